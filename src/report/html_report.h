// `emofuse report`: one self-contained HTML page (no network, no external script or font; the
// figures are inline SVG drawn by PLplot, report/plot.h) for one or more run folders:
//
//   comparison   the table of every run with the floor (prior) row, the paired statistics
//                across folds, and the headline metric per fold (per subject under LOSO) with
//                the floor drawn
//   per run      what ran on what; the per-fold table; the confusion matrix (counts and
//                row-normalised); per-class precision, recall and F1; the mean predicted against
//                the mean target distribution; the best, median and worst test samples; a
//                reliability diagram and prediction against target entropy; the training curves
//                of every fold with the selected epoch; for HeLo, the label correlation R of the
//                training targets beside the learned label-embedding similarity S, and the
//                transport plan of one test sample
//
// What it reads (train/experiment.h): <run>/metrics.json, predictions.csv, config.yaml and, per
// fold, folds/NN_<name>/history.csv and model_views.json. A folder written by `demo` or `ablate`
// (comparison.json) or by `ldl-bench` (summary.json) stands for the runs it lists.
//
// The page checks itself when a browser opens it: an inline script records the size of every
// figure and any script error in the <html> element's data-report-check attribute (the browser
// test, tests/report/, reads it from headless Chromium).
#pragma once

#include <string>
#include <vector>

#include "train/experiment.h"

namespace emofuse::report {

/// The run folders `folder` stands for: itself when it holds a run's metrics.json, else the runs
/// listed by its comparison.json (demo, ablate) or summary.json (ldl-bench). Throws DataError
/// naming the folder or the listing file otherwise.
std::vector<std::string> run_folders_of(const std::string& folder);

/// The HTML report of the runs in `folders` (each expanded by run_folders_of), in that order.
/// Throws DataError naming the file and field of a run folder that cannot be read.
std::string render_report(const std::vector<std::string>& folders);

/// render_report written atomically to `out_path` (its folder must exist).
void write_report(const std::vector<std::string>& folders, const std::string& out_path);

}  // namespace emofuse::report
