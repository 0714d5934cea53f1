// Raw physiological datasets -> windowed feature tables, the entry points of `emofuse features`:
//   wesad_readers.h    the raw WESAD files (E4 CSVs, RespiBAN recording, quest.csv)
//   wesad_features.h   WESAD (Schmidt et al. 2018) subjects -> feature table
//   csv_recording.h    the generic one-CSV-per-recording layout -> feature table
//   feature_sources.h  the windowing both layouts share
#pragma once

#include "signal/csv_recording.h"
#include "signal/wesad_features.h"
#include "signal/wesad_readers.h"
