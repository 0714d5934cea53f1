#!/usr/bin/env bash
# Installs every Debian package emofuse needs. Idempotent: installs only what is missing,
# runs `apt-get update` only when something must be installed. Root runs apt directly,
# other users go through sudo.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libtorch-dev            # LibTorch 1.13 (CPU), found by find_package(Torch)
  libopenblas0-pthread    # takes over libblas.so.3: ~20x faster matmul than reference BLAS
  libmatio-dev            # MATLAB v5 .mat files (DMER, LDL benchmark sets)
  libgtest-dev libgmock-dev libbenchmark-dev
  libcli11-dev libyaml-cpp-dev nlohmann-json3-dev libfmt-dev
  libsentencepiece-dev libsndfile1-dev  # text and audio (audio also uses libfftw3-dev, below)
  libfftw3-dev libliquid-dev  # signal processing
  clang-14 libclang-rt-14-dev # the ASan+UBSan build and the libFuzzer targets (docs/robustness.md)
  clang-format-14         # scripts/format.sh (.clang-format), checked in CI
  libboost-math-dev       # distributions for the paired statistics (Wilcoxon signed-rank, metrics/)
  libplplot-dev           # report figures (SVG), src/report/
  libgloo-dev             # headers of the Gloo transport under torch.distributed (src/dist/)
  chromium                # the report's browser test (tests/report/), headless
  pybind11-dev python3-dev python3-numpy  # the Python module (src/python/, docs/python.md)
  python3-pip python3-venv                # `pip install .` of the package (docs/python.md)
  python3-pytest python3-sklearn          # its tests (tests/python/), scikit-learn's model selection among them
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install_deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
echo "install_deps: installing ${missing[*]}"
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
