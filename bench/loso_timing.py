#!/usr/bin/env python3
"""Times a whole LOSO run end to end and splits it into model time and everything else.

Writes a synthetic cohort (`emofuse synth`), runs `emofuse train -c CONFIG` on it as a child
process, and reads the run folder back:

  total          wall-clock seconds of the `emofuse train` process (start to exit)
  training       the training batches (forward, loss, backward, optimiser step) of every fold
                 and of the final model (metrics.json: training_seconds of each fold and of
                 final_model): the model's own work
  validation     the per-epoch validation passes and their metrics (validation_seconds), which
                 early stopping needs; evaluation, so outside the model in the strict reading
  checkpoints    the rest of every fit (fit_seconds minus the two above): checkpoints, history
                 files, the best-epoch copy
  test           predicting each fold's held-out subject (predict_seconds)
  other          total minus every fit and test prediction: loading, standardising, splitting,
                 the floor, writing the run's files
  outside        total - training: everything but the training batches; its share of the total
                 is the figure reported. Also printed: the share outside the model when the
                 validation passes are counted as the model's (total - training - validation)
  peak RSS       the largest resident set of the `emofuse train` process (getrusage)

Standard library only. Example (the command behind the figures in docs/models/helo.md):
  python3 bench/loso_timing.py --emofuse build/src/cli/emofuse --subjects 24 --threads 1 \
      --set training.epochs=2 --json loso_timing.json
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--emofuse", default="build/src/cli/emofuse", help="the emofuse binary")
    parser.add_argument("--config", default="configs/helo_dmer.yaml", help="the run's config")
    parser.add_argument("--subjects", type=int, default=24, help="synthetic subjects (one LOSO fold each)")
    parser.add_argument("--seed", type=int, default=1, help="synthetic cohort seed")
    parser.add_argument("--threads", type=int, default=1, help="LibTorch threads of the run")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="config overrides passed to emofuse train (repeatable)")
    parser.add_argument("--work", help="folder for the cohort and the run (default: a temporary one)")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()

    if not os.access(args.emofuse, os.X_OK):
        sys.exit(f"loso_timing: --emofuse: {args.emofuse} is not an executable file (build it first)")
    work = args.work or tempfile.mkdtemp(prefix="emofuse_loso_timing_")
    cohort, run_dir = os.path.join(work, "cohort"), os.path.join(work, "run")
    subprocess.run([args.emofuse, "synth", "--out", cohort, "--subjects", str(args.subjects), "--seed",
                    str(args.seed)], check=True, stdout=subprocess.DEVNULL)
    command = [args.emofuse, "train", "-c", args.config, "--data", cohort, "--threads", str(args.threads),
               "--run-dir", run_dir, "--overwrite", "--quiet", "--no-report"]
    for override in args.set:
        command += ["--set", override]
    print("running:", " ".join(command), flush=True)
    start = time.monotonic()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    total = time.monotonic() - start
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 / 1e6  # KiB on Linux

    with open(os.path.join(run_dir, "metrics.json")) as f:
        metrics = json.load(f)
    fits = list(metrics["folds"])
    if "final_model" in metrics:
        fits.append(metrics["final_model"])
    for fit in fits:
        if "training_seconds" not in fit:
            sys.exit("loso_timing: metrics.json has no training_seconds (a run from an older emofuse?)")
    training = sum(f["training_seconds"] for f in fits)
    validation = sum(f["validation_seconds"] for f in fits)
    fit = sum(f["fit_seconds"] for f in fits)
    test = sum(f["predict_seconds"] for f in metrics["folds"])
    figures = {
        "command": " ".join(command),
        "subjects": args.subjects,
        "folds": len(metrics["folds"]),
        "final_model": "final_model" in metrics,
        "epochs_run": sum(f["epochs_run"] for f in fits),
        "threads": args.threads,
        "total_seconds": total,
        "reported_run_seconds": metrics.get("seconds"),
        "training_seconds": training,
        "validation_seconds": validation,
        "checkpoint_seconds": fit - training - validation,
        "test_prediction_seconds": test,
        "other_seconds": total - fit - test,
        "outside_model_seconds": total - training,
        "outside_model_share": (total - training) / total,
        "outside_model_share_validation_as_model": (total - training - validation) / total,
        "peak_rss_mb": peak_mb,
    }
    print(f"{figures['folds']} folds{' and the final model' if figures['final_model'] else ''}, "
          f"{figures['epochs_run']} epochs in all, {args.threads} thread(s)")
    for key, label in [("total_seconds", "total (wall clock)"), ("training_seconds", "training batches"),
                       ("validation_seconds", "validation passes (early stopping)"),
                       ("checkpoint_seconds", "checkpoints, history, best-epoch copy"),
                       ("test_prediction_seconds", "test prediction"),
                       ("other_seconds", "loading, standardising, splitting, writing")]:
        print(f"  {label:<45} {figures[key]:9.1f} s  {100 * figures[key] / total:5.1f} %")
    print(f"  outside the model (total - training batches)  {figures['outside_model_seconds']:9.1f} s  "
          f"{100 * figures['outside_model_share']:5.1f} %")
    print(f"  the same, validation passes counted as model  "
          f"{total - training - validation:9.1f} s  {100 * figures['outside_model_share_validation_as_model']:5.1f} %")
    print(f"  peak RSS of emofuse train                     {peak_mb:9.0f} MB")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=2)
            f.write("\n")
        print("JSON:", args.json)


if __name__ == "__main__":
    main()
