#!/usr/bin/env bash
# Runs N emofuse processes on this machine as one distributed run (docs/distributed.md):
#
#   scripts/launch_local.sh N <emofuse arguments...>
#   scripts/launch_local.sh 2 train -c configs/helo_dmer.yaml --threads 1
#   scripts/launch_local.sh N ./path/to/program <its arguments...>   (another emofuse program)
#
# Each process gets torchrun's variables (WORLD_SIZE=N, RANK=LOCAL_RANK=i, MASTER_ADDR=127.0.0.1,
# MASTER_PORT=$MASTER_PORT or 29500); rank 0 writes the run folder and prints the results. Lines
# of the other ranks on stderr start with "[rank i]". A failing rank tells the others, which stop
# with its reason (a rank that dies silently is noticed after --dist-timeout); the script waits
# for all and exits with the first failure's exit code. Ctrl-C stops every rank. EMOFUSE points
# at the binary (default: build/src/cli/emofuse of this checkout, else `emofuse` on PATH).
set -uo pipefail

if [ $# -lt 2 ] || ! [[ "$1" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 N <emofuse arguments...>   (N >= 1 processes on this machine)" >&2
  exit 2
fi
world_size=$1
shift

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
emofuse_bin="${EMOFUSE:-}"
if [ -z "$emofuse_bin" ]; then
  if [ -x "$here/build/src/cli/emofuse" ]; then emofuse_bin="$here/build/src/cli/emofuse"; else emofuse_bin=emofuse; fi
fi

program=("$emofuse_bin")
if [[ "$1" == */* ]] && [ -x "$1" ]; then
  program=("$1")
  shift
fi

export WORLD_SIZE=$world_size MASTER_ADDR=127.0.0.1 MASTER_PORT="${MASTER_PORT:-29500}"
pids=()
for ((rank = 0; rank < world_size; rank++)); do
  if [ "$rank" -eq 0 ]; then
    RANK=$rank LOCAL_RANK=$rank "${program[@]}" "$@" &
  else
    RANK=$rank LOCAL_RANK=$rank "${program[@]}" "$@" 2> >(sed -u "s/^/[rank $rank] /" >&2) > /dev/null &
  fi
  pids+=($!)
done

stop_all() {
  for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null; done
}
trap 'stop_all; exit 130' INT TERM

status=0
running=("${pids[@]}")
while [ ${#running[@]} -gt 0 ]; do
  finished=""
  wait -n -p finished "${running[@]}"
  code=$?
  [ -n "$finished" ] || break  # nothing left to wait for
  if [ "$code" -ne 0 ]; then
    for i in "${!pids[@]}"; do
      if [ "${pids[$i]}" = "$finished" ]; then echo "launch_local: rank $i exited with $code" >&2; fi
    done
    if [ "$status" -eq 0 ]; then status=$code; fi
  fi
  still=()
  for pid in "${running[@]}"; do [ "$pid" = "$finished" ] || still+=("$pid"); done
  running=("${still[@]}")
done
exit "$status"
