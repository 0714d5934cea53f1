# Run-time options of the ASan+UBSan build (build-asan), sourced by scripts/sanitize.sh and
# scripts/fuzz.sh; source it yourself before running anything in build-asan by hand:
#   source fuzz/sanitizer_env.sh
# Why each option (docs/robustness.md):
#   detect_container_overflow=0  Debian's LibTorch (and yaml-cpp, matio, ...) are not instrumented;
#                                a std::vector grown inside them and read in our code (or the
#                                reverse) makes ASan's container annotations disagree and report
#                                false overflows. Real overflows are still caught by the redzones.
#   allocator_may_return_null=1 an allocation too large for the machine throws std::bad_alloc as
#                                it does without ASan (LibTorch's unpickler trusts length fields
#                                of a corrupt .pt), instead of ASan ending the process.
#   abort_on_error=1             a finding ends the process with SIGABRT, which ctest and
#                                libFuzzer both report as a failure.
#   halt_on_error=1 / UBSan print_stacktrace=1
#                                stop at the first report, with the stack.
#   suppressions=fuzz/lsan.supp  leaks that belong to third-party libraries' one-time
#                                initialisation, each listed with its reason in that file.
_emofuse_fuzz_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export ASAN_OPTIONS="detect_container_overflow=0:allocator_may_return_null=1:abort_on_error=1:halt_on_error=1:check_initialization_order=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export LSAN_OPTIONS="suppressions=${_emofuse_fuzz_dir}/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
unset _emofuse_fuzz_dir
