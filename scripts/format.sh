#!/usr/bin/env bash
# Formats every C++ source of the tree with .clang-format (clang-format 14, Debian's
# clang-format-14).
#   scripts/format.sh          rewrite the files in place
#   scripts/format.sh --check  change nothing; list the files that differ and exit 1 if any (CI)
set -euo pipefail
cd "$(dirname "$0")/.."
formatter="$(command -v clang-format-14 || command -v clang-format || true)"
if [ -z "$formatter" ]; then
  echo "format.sh: clang-format not found (apt install clang-format-14)" >&2
  exit 2
fi
mapfile -t files < <(git ls-files '*.cpp' '*.h')
if [ "${1:-}" = "--check" ]; then
  differ=0
  for f in "${files[@]}"; do
    if ! "$formatter" --style=file "$f" | cmp -s - "$f"; then
      echo "not formatted: $f (run scripts/format.sh)"
      differ=1
    fi
  done
  exit "$differ"
fi
"$formatter" --style=file -i "${files[@]}"
