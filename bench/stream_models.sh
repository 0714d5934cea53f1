#!/usr/bin/env bash
# The figures of docs/streaming.md "Benchmark": trains an early-fusion MLP and HeLo on causal
# window features of the raw simulator (WESAD wrist streams, 60 s windows every 1 s), then runs
# bench_stream on each bundle with 1,000 simulated wearables on one thread: windows predicted one by
# one as they come (what `emofuse stream` does), then batched per 10 ms tick.
#
#   bench/stream_models.sh [BUILD_DIR=build] [WORK_DIR=/tmp/emofuse_stream_bench] [STREAMS=1000]
#
# Training is short (2 epochs, one fold): the benchmark measures cost, which does not depend on
# how well the weights are trained.
set -euo pipefail
build=${1:-build}
work=${2:-/tmp/emofuse_stream_bench}
streams=${3:-1000}
emofuse="$build/src/cli/emofuse"
rm -rf "$work"
"$emofuse" synth --raw --subjects 3 --condition-seconds 120 --seed 1 --out "$work/raw"
"$emofuse" features --dataset wesad --data "$work/raw" --causal --window 60 --step 1 --context 60 \
  --out "$work/features"
for model in mlp_early helo; do
  "$emofuse" train --data "$work/features" --run-dir "$work/run_$model" --threads 1 --quiet \
    --set model.name="$model" --set training.epochs=2 --set protocol.max_folds=1 > /dev/null
  bundle=$(ls -d "$work/run_$model"/folds/*/model | head -n 1)
  "$build/bench/bench_stream" --model "$bundle" --streams "$streams" --seconds 75
  "$build/bench/bench_stream" --model "$bundle" --streams "$streams" --seconds 75 --batch-per-tick
done
