#!/usr/bin/env bash
# Distributed runs on this machine, like for like (same data, seed, cores; one sitting):
#   1. 12-subject LOSO wall time: 1 process x 2 threads against 2 processes x 1 thread
#      (fold-parallel, scripts/launch_local.sh), for mlp_early (30 epochs) and HeLo (2 epochs);
#   2. data-parallel step time: one HeLo / mlp_early fold, 1 process x 2 threads against
#      2 ranks x 1 thread with training.data_parallel (the same global batch of 128);
#   3. the Gloo all-reduce cost (bench_allreduce) and from it each model's communication per step.
# Usage: bench/distributed_bench.sh [WORK_DIR]   (default /tmp/emofuse_distributed_bench)
# Prints Markdown tables (docs/distributed.md). Needs a built tree (build/).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
emofuse=build/src/cli/emofuse
work=${1:-/tmp/emofuse_distributed_bench}
mkdir -p "$work"
common=(--quiet --no-report --overwrite --set seed=0)

# Runs "$@" (a command), stderr to $work/last.err; prints its wall time in seconds.
wall() {
  local start=$EPOCHREALTIME
  if ! "$@" > /dev/null 2> "$work/last.err"; then
    cat "$work/last.err" >&2
    exit 1
  fi
  awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'
}

# Mean seconds per epoch of a run folder's first fold (history.csv's last column).
epoch_seconds() {
  awk -F, 'NR > 1 { s += $NF; n++ } END { printf "%.3f", s / n }' "$(ls -d "$1"/folds/*/ | head -n 1)/history.csv"
}

field() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

echo "## LOSO, 12 subjects (synthetic cohort: 12 x 32 clips x 10 s), wall time"
echo
echo "| model | 1 process x 2 threads | 2 processes x 1 thread | speed-up | chebyshev (1 / 2 processes) | floor |"
echo "|---|---|---|---|---|---|"
for spec in "mlp_early 30" "helo 2"; do
  set -- $spec
  model=$1 epochs=$2
  args=(train --set model.name=$model --set training.epochs=$epochs "${common[@]}")
  one=$(wall "$emofuse" "${args[@]}" --threads 2 --run-dir "$work/loso_${model}_1x2")
  two=$(MASTER_PORT=29611 wall scripts/launch_local.sh 2 "${args[@]}" --threads 1 --run-dir "$work/loso_${model}_2x1")
  c1=$(field "$work/loso_${model}_1x2/metrics.json" "'%.4f' % j['summary']['chebyshev']['mean']")
  c2=$(field "$work/loso_${model}_2x1/metrics.json" "'%.4f' % j['summary']['chebyshev']['mean']")
  fl=$(field "$work/loso_${model}_2x1/metrics.json" "'%.4f' % j['floor']['chebyshev']['mean']")
  echo "| $model ($epochs epochs) | $one s | $two s | $(awk -v a="$one" -v b="$two" 'BEGIN { printf "%.2fx", a / b }') | $c1 / $c2 | $fl |"
done
echo

echo "## All-reduce (Gloo over loopback, 2 ranks, float32)"
echo
MASTER_PORT=29612 scripts/launch_local.sh 2 build/bench/bench_allreduce --repeats 30 --json "$work/allreduce.json" |
  sed 's/^/    /'
latency=$(field "$work/allreduce.json" "j['latency_ms']")
per_mb=$(field "$work/allreduce.json" "j['ms_per_mb']")
echo

echo "## Data-parallel step (one LOSO fold, global batch 128)"
echo
echo "| model | parameters | 1 process x 2 threads: ms/step | 2 ranks x 1 thread, data-parallel: ms/step | all-reduce per step (cost model) | communication share |"
echo "|---|---|---|---|---|---|"
for spec in "mlp_early 5" "helo 2"; do
  set -- $spec
  model=$1 epochs=$2
  args=(train --set model.name=$model --set training.epochs=$epochs --set protocol.max_folds=1
        --set training.batch_size=128 "${common[@]}")
  wall "$emofuse" "${args[@]}" --threads 2 --run-dir "$work/dp_${model}_1x2" > /dev/null
  MASTER_PORT=29613 wall scripts/launch_local.sh 2 "${args[@]}" --threads 1 --set training.data_parallel=true \
    --run-dir "$work/dp_${model}_2x1" > /dev/null
  params=$(field "$work/dp_${model}_2x1/metrics.json" "j['parameters']")
  train_rows=$(field "$work/dp_${model}_2x1/metrics.json" "j['folds'][0]['train_size']")
  steps=$(( (train_rows + 127) / 128 ))
  s1=$(epoch_seconds "$work/dp_${model}_1x2")
  s2=$(epoch_seconds "$work/dp_${model}_2x1")
  awk -v m="$model" -v p="$params" -v s1="$s1" -v s2="$s2" -v n="$steps" -v lat="$latency" -v mb="$per_mb" 'BEGIN {
    comm = lat + mb * p * 4 / 1e6; step2 = 1000 * s2 / n;
    printf "| %s | %d | %.1f | %.1f | %.2f ms | %.0f%% |\n", m, p, 1000 * s1 / n, step2, comm, 100 * comm / step2 }'
done
echo
echo "(ms/step: mean epoch seconds of history.csv, validation included, over the epoch's steps;"
echo "communication: latency + bytes x ms/MB of the all-reduce fit above, for the model's float32 gradients.)"
