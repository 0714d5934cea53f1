// Figures for reports, drawn by PLplot (Debian libplplot-dev) with its SVG driver: each function
// returns one self-contained <svg> element (no external fonts, scripts or files) to inline in an
// HTML page. PLplot keeps global state, so figures are drawn one at a time (not thread-safe).
//
// Every figure has a title and labelled axes; a chart with more than one series has a legend,
// and a heatmap without numbers in its cells has a colour bar.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace emofuse::report {

/// Size of a figure in CSS pixels (the SVG's width and height; it scales down with the page).
struct FigureSize {
  int width = 640;
  int height = 360;
};

/// A named sequence of values, one per category (bars) or per x (lines).
struct Series {
  std::string name;
  std::vector<double> values;
};

/// Grouped vertical bars: one group per category, one bar per series in each group.
struct BarChart {
  std::string title, x_label, y_label;
  std::vector<std::string> categories;
  std::vector<Series> series;
  /// Optional reference value per category (e.g. the floor of each fold), drawn as a black tick
  /// across the group and named in the legend.
  std::optional<Series> reference;
  /// y range; unset: from 0 (or the smallest value when negative) to 5 % above the largest.
  std::optional<std::pair<double, double>> y_range;
  FigureSize size;
};
std::string bar_chart_svg(const BarChart& chart);

/// A matrix drawn as coloured cells, row 0 at the top.
struct Heatmap {
  std::string title, x_label, y_label;
  std::vector<std::string> row_labels, column_labels;  ///< empty: numbered ticks instead
  std::vector<std::vector<double>> values;             ///< [rows][columns]
  double low = 0, high = 1;                            ///< values mapped to the ends of the colour scale
  bool diverging = false;  ///< blue - white - red (correlations in [-1, 1]); else white - blue
  /// printf format of the number written in each cell (e.g. "%.0f", "%.2f"); empty: none, and a
  /// colour bar is drawn instead.
  std::string cell_format;
  std::string colour_bar_label;  ///< the colour bar's axis label (no numbers in the cells)
  FigureSize size{480, 420};
};
std::string heatmap_svg(const Heatmap& map);

/// One line of a line chart (x and y of the same length); NaN values are skipped.
struct Line {
  std::string name;
  std::vector<double> x, y;
  bool dashed = false;
  bool points = false;    ///< a marker at every point
  bool connected = true;  ///< false: markers only (implies points)
  bool in_legend = true;  ///< false: not named in the legend (e.g. one line per fold of many)
};

/// A vertical marker at x (e.g. the selected epoch), dashed, named in the legend.
struct Marker {
  std::string name;
  double x = 0;
};

struct LineChart {
  std::string title, x_label, y_label;
  std::vector<Line> lines;
  std::vector<Marker> markers;
  bool diagonal = false;  ///< the line y = x (e.g. perfect calibration)
  std::optional<std::pair<double, double>> x_range, y_range;
  FigureSize size;
};
std::string line_chart_svg(const LineChart& chart);

/// Points (x, y), optionally with the diagonal y = x.
struct Scatter {
  std::string title, x_label, y_label;
  std::vector<double> x, y;
  bool diagonal = false;
  std::string diagonal_name = "y = x";
  std::optional<std::pair<double, double>> x_range, y_range;
  FigureSize size;
};
std::string scatter_svg(const Scatter& plot);

}  // namespace emofuse::report
