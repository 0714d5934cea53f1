#!/usr/bin/env bash
# One command from a fresh Debian 12 machine: install what is missing, build, then
#   demo  -> build the CLI only and run `emofuse demo` (synthetic cohort, LOSO, models vs. the floor
#            and the ceiling), printing a line per fold as it completes
#   test  -> run the whole test suite with ctest
# Usage: scripts/quickstart.sh demo|test      (BUILD_DIR, default build/; JOBS, default nproc)
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-}"
case "$mode" in demo|test) ;; *) echo "usage: $0 demo|test" >&2; exit 2 ;; esac

bash scripts/install_deps.sh
build_dir="${BUILD_DIR:-build}"
jobs="${JOBS:-$(nproc)}"
# Warnings are errors here (and so in CI, which runs `test`).
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DEMOFUSE_WERROR=ON

if [ "$mode" = demo ]; then
  # The demo needs the command-line tool only (not the test binary or the benchmarks).
  cmake --build "$build_dir" --parallel "$jobs" --target emofuse
  # It prints a line per fold and model as each completes (the full demo runs for minutes).
  "$build_dir/src/cli/emofuse" demo
else
  cmake --build "$build_dir" --parallel "$jobs"
  # Each test is its own process; run two at a time (2 cores) and print failures in full.
  ctest --test-dir "$build_dir" --output-on-failure --parallel "$jobs" --timeout 600
fi
