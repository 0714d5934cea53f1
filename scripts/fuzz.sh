#!/usr/bin/env bash
# Runs emofuse's libFuzzer targets (fuzz/, docs/robustness.md) under ASan+UBSan.
#
#   scripts/fuzz.sh [RUNS] [TARGET...]
#
# RUNS: executions per target (default 10000). TARGET: fuzz_dmer_mat, fuzz_config, ... (default:
# every target in fuzz/CMakeLists.txt). Builds $EMOFUSE_ASAN_BUILD (default build-asan, clang-14) if
# needed, runs each target on a scratch copy of fuzz/corpus/<target>/ (the seeds stay untouched),
# one target at a time at low priority, and prints one line per target:
#   target  executions  exec/s  crashes  leaks  timeouts  ooms  seconds
# Inputs that found something are kept in $EMOFUSE_ASAN_BUILD/fuzz-findings/<target>/ with the log;
# the exit status is non-zero when any target found something.
# Environment: EMOFUSE_JOBS (build jobs, default 1), EMOFUSE_FUZZ_STRICT=1 (treat exceptions that
# are not emofuse::Error as findings, see fuzz/fuzz_common.h), FUZZ_ARGS (extra libFuzzer flags).
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${EMOFUSE_ASAN_BUILD:-$root/build-asan}"
runs="${1:-10000}"
[ $# -gt 0 ] && shift
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(sed -n '/set(EMOFUSE_FUZZ_TARGETS/,/)/p' "$root/fuzz/CMakeLists.txt" |
                         grep -o 'fuzz_[a-z_]*')
fi

if [ ! -f "$build/build.ninja" ]; then
  CC="${CC:-clang-14}" CXX="${CXX:-clang++-14}" cmake -S "$root" -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEMOFUSE_SANITIZE=ON -DEMOFUSE_FUZZ=ON \
    -DEMOFUSE_BUILD_BENCH=OFF >/dev/null || exit 2
fi
# shellcheck source=../fuzz/sanitizer_env.sh
source "$root/fuzz/sanitizer_env.sh"
nice -n 15 cmake --build "$build" -j "${EMOFUSE_JOBS:-1}" --target "${targets[@]}" || exit 2

status=0
printf '%-18s %11s %8s %7s %5s %8s %4s %7s\n' target executions exec/s crashes leaks timeouts ooms seconds
for t in "${targets[@]}"; do
  exe="$build/fuzz/$t"
  seeds="$root/fuzz/corpus/$t"
  findings="$build/fuzz-findings/$t"
  work="$(mktemp -d "${TMPDIR:-/tmp}/emofuse-fuzz-$t-XXXXXX")"
  mkdir -p "$findings" "$work/corpus"
  [ -d "$seeds" ] && cp -r "$seeds/." "$work/corpus/"
  limits=(-rss_limit_mb=2048)
  case "$t" in
    # A bundle's weights.pt is read by LibTorch (torch::load), whose unpickler sizes buffers from
    # the length fields of a corrupt file, up to 4 GiB, before it notices the file is short
    # (docs/robustness.md, findings); give this target room for that, so that it fuzzes past it.
    fuzz_bundle) limits=(-rss_limit_mb=6144 -malloc_limit_mb=6144) ;;
  esac
  touch "$work/stamp"
  start=$(date +%s)
  # -timeout: one input taking over 10 s is a hang; -rss_limit_mb: 2 GB is far beyond any valid
  # small input, so reaching it means an unchecked size field. Extra flags come from FUZZ_ARGS.
  # shellcheck disable=SC2086
  nice -n 15 "$exe" -runs="$runs" -timeout=10 "${limits[@]}" -print_final_stats=1 \
    -artifact_prefix="$findings/" ${FUZZ_ARGS:-} "$work/corpus" >"$work/log" 2>&1
  rc=$?
  seconds=$(( $(date +%s) - start ))
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/log" | grep -o '[0-9]*$' | tail -1)
  speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$work/log" | grep -o '[0-9]*$' | tail -1)
  # libFuzzer names what it keeps crash-*, leak-*, timeout-*, oom-* (one per finding: it stops at
  # the first one).
  count() { find "$findings" -name "$1-*" -newer "$work/stamp" | wc -l; }
  crashes=$(count crash)
  leaks=$(count leak)
  timeouts=$(count timeout)
  ooms=$(count oom)
  printf '%-18s %11s %8s %7s %5s %8s %4s %7s\n' "$t" "${execs:-?}" "${speed:-?}" "$crashes" "$leaks" \
    "$timeouts" "$ooms" "$seconds"
  if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ] || [ "$leaks" -ne 0 ] || [ "$timeouts" -ne 0 ] ||
     [ "$ooms" -ne 0 ]; then
    status=1
    cp "$work/log" "$findings/log-$(date +%Y%m%dT%H%M%S).txt"
    echo "  -> finding (exit $rc); input and log in $findings" >&2
  fi
  rm -rf "$work"
done
exit $status
