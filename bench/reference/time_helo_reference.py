#!/usr/bin/env python3
"""Times the public PyTorch HeLo code the way build/bench/bench_helo times emofuse.

Every speed ratio between emofuse and the public code in docs/models/helo.md should be measured
on one machine, with the same BLAS and the same threads, in one sitting. This script does the
reference's half: point it at a checkout of the public code (github.com/kaio-99/HeLo; it is not
part of emofuse and is not copied here) and run it with Debian's python3-torch, whose LibTorch is
the same build as the one emofuse links:

    python3 bench/reference/time_helo_reference.py --code /path/to/HeLo --threads 1 --json ref.json
    build/bench/bench_helo --threads 1 --json emofuse.json

It changes nothing in the public code's files. Its model places the label embeddings and the
optimal-transport buffers with `.cuda()`; on a machine without a GPU this script makes
`Tensor.cuda()` return the tensor where it is (the CPU), for this process only: the one change of
device the code needs to run on a CPU.

What it measures, as bench_helo does (DMER shapes: EEG 18x5, GSR 28, PPG 27, video 768, 10
emotions; the code's own defaults from its params.py):
  - the process's matmul GFLOP/s (1024^3 float32), to show both programs use the same BLAS;
  - training at batch 128 as its train_validate.py does it: forward with the labels, summed KL
    plus the correlation MSE, backward, Adam (lr 1e-3, weight decay 1e-5) step; per-step median
    and p99, samples/s at the median;
  - inference under eval() and no_grad at batch 1 and 128: median and p99;
  - the matrix products' FLOPs (aten::mm, addmm, bmm, baddbmm; counted by torch.profiler), the
    same count bench_helo makes from ATen;
  - the process's peak resident set.
OpenBLAS's own thread pool is tied to --threads (as emofuse ties it), so "1 thread" is one
thread in the BLAS too. OpenMP threads spin while they wait unless OMP_WAIT_POLICY=PASSIVE (at 2 threads that made the
public code ~10x slower here); the script sets PASSIVE unless the environment says otherwise, as
emofuse does for itself.
"""
import argparse
import ctypes
import json
import os
import resource
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402  (after OMP_WAIT_POLICY, which OpenMP reads when it starts)

MATRIX_PRODUCTS = {"aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm"}


def quantiles(samples):
    """Median and p99 (nearest rank), as bench_helo computes them."""
    ordered = sorted(samples)
    n = len(ordered)
    rank99 = min(n - 1, max(0, -(-99 * n // 100) - 1))
    return ordered[n // 2], ordered[rank99]


def matmul_gflops():
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    for _ in range(2):
        a.matmul(b)
    reps = 10
    start = time.perf_counter()
    for _ in range(reps):
        a.matmul(b)
    return 2.0 * 1024**3 * reps / (time.perf_counter() - start) / 1e9


def matrix_product_flops(fn):
    """FLOPs of the matrix products `fn` runs, from torch.profiler's per-operator counts."""
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU], with_flops=True) as prof:
        fn()
    return float(sum(e.flops for e in prof.key_averages() if e.key in MATRIX_PRODUCTS and e.flops))


def set_blas_threads(threads):
    """Ties OpenBLAS's own thread pool to `threads`, as emofuse's --threads does (torch's
    set_num_threads leaves it at the core count). Returns the count in effect, None without OpenBLAS."""
    for name in ("libblas.so.3", "libopenblas.so.0"):
        try:
            lib = ctypes.CDLL(name)
            lib.openblas_set_num_threads(threads)
            return lib.openblas_get_num_threads()
        except (OSError, AttributeError):
            continue
    return None


def load_reference(code_dir):
    """The public code's HeLo class and its default arguments, imported from `code_dir`."""
    for name in ("models/model.py", "params.py"):
        if not os.path.isfile(os.path.join(code_dir, name)):
            sys.exit(f"time_helo_reference: {code_dir}: no {name} (expected a checkout of the public HeLo code)")
    if not torch.cuda.is_available():
        # The device change: .cuda() leaves a tensor on the CPU (this process only, no file changed).
        torch.Tensor.cuda = lambda self, *args, **kwargs: self
    sys.path.insert(0, os.path.abspath(code_dir))
    from models.model import HeLo  # noqa: E402  (the public code)
    from params import Config  # noqa: E402

    config = Config()
    config.initialize()
    return HeLo, config.parser.parse_args([])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--code", required=True, help="a checkout of the public HeLo code (github.com/kaio-99/HeLo)")
    parser.add_argument("--threads", default="1", help="thread counts to measure, e.g. 1 or 1,2 (default 1)")
    parser.add_argument("--steps", type=int, default=20, help="timed training steps at batch 128 (default 20)")
    parser.add_argument("--infer-calls", type=int, default=300, help="timed batch-1 forward passes (default 300)")
    parser.add_argument("--json", help="also write the figures as JSON")
    args = parser.parse_args()
    HeLo, options = load_reference(args.code)

    batch, classes = 128, options.emotion_classes
    torch.manual_seed(0)

    def inputs(b):
        label = torch.softmax(torch.randn(b, classes), 1)
        return (torch.randn(b, 18, 5), torch.randn(b, 1, 28), torch.randn(b, 1, 27), torch.randn(b, 768), label)

    report = {"benchmark": "time_helo_reference", "torch": torch.__version__, "code": os.path.abspath(args.code),
              "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"), "configurations": []}
    print(f"public HeLo code at {args.code}, torch {torch.__version__}, OMP_WAIT_POLICY={report['omp_wait_policy']}")
    print(f"{'threads':<8}{'matmul':<9}{'train/s':<10}{'step med':<10}{'step p99':<10}{'infer-1':<10}"
          f"{'infer-1':<10}{'infer-128':<11}{'infer-128':<11}{'peak RSS':<9}")
    print(f"{'':<8}{'GFLOP/s':<9}{'samples':<10}{'ms':<10}{'ms':<10}{'med ms':<10}{'p99 ms':<10}{'med ms':<11}"
          f"{'p99 ms':<11}{'MB':<9}")
    for threads in [int(t) for t in args.threads.split(",")]:
        torch.set_num_threads(threads)
        blas_threads = set_blas_threads(threads)
        matmul = matmul_gflops()
        torch.manual_seed(0)
        model = HeLo(options)
        parameters = sum(p.numel() for p in model.parameters())
        optimizer = torch.optim.Adam(model.parameters(), lr=options.lr, weight_decay=1e-5)
        kl, mse = torch.nn.KLDivLoss(reduction="sum"), torch.nn.MSELoss()
        eeg, gsr, ppg, video, label = inputs(batch)

        def train_step():
            predict, learned, target = model(eeg, gsr, ppg, video, label)
            loss = kl(predict.log(), label) + mse(learned, target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

        model.train()
        for _ in range(3):
            train_step()
        step_flops = matrix_product_flops(train_step)
        step_ms = []
        for _ in range(args.steps):
            start = time.perf_counter()
            train_step()
            step_ms.append((time.perf_counter() - start) * 1e3)
        step_med, step_p99 = quantiles(step_ms)

        model.eval()
        one, many = inputs(1), inputs(batch)
        one_ms, many_ms = [], []
        with torch.no_grad():
            for _ in range(20):
                model(*one)
            one_flops = matrix_product_flops(lambda: model(*one))
            for _ in range(args.infer_calls):
                start = time.perf_counter()
                model(*one)
                one_ms.append((time.perf_counter() - start) * 1e3)
            for _ in range(3):
                model(*many)
            for _ in range(max(10, args.infer_calls // 6)):
                start = time.perf_counter()
                model(*many)
                many_ms.append((time.perf_counter() - start) * 1e3)
        one_med, one_p99 = quantiles(one_ms)
        many_med, many_p99 = quantiles(many_ms)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6
        print(f"{threads:<8}{matmul:<9.1f}{batch / (step_med * 1e-3):<10.1f}{step_med:<10.2f}{step_p99:<10.2f}"
              f"{one_med:<10.3f}{one_p99:<10.3f}{many_med:<11.2f}{many_p99:<11.2f}{peak:<9.0f}")
        report["configurations"].append({
            "threads": threads, "openblas_threads": blas_threads, "parameters": parameters, "matmul_gflops": matmul,
            "train": {"batch": batch, "steps": args.steps, "step_ms_median": step_med, "step_ms_p99": step_p99,
                      "samples_per_second": batch / (step_med * 1e-3), "matmul_flops_per_step": step_flops,
                      "gflops": step_flops / (step_med * 1e-3) / 1e9},
            "infer_batch_1": {"calls": args.infer_calls, "ms_median": one_med, "ms_p99": one_p99,
                              "matmul_flops": one_flops, "gflops": one_flops / (one_med * 1e-3) / 1e9},
            "infer_batch_128": {"calls": len(many_ms), "ms_median": many_med, "ms_p99": many_p99},
            "memory_mb": {"process_peak": peak},
        })
    print("FLOPs: matrix products only (aten::mm/addmm/bmm/baddbmm), as bench_helo counts them.")
    if args.json:
        with open(args.json, "w") as out:
            json.dump(report, out, indent=2)
        print(f"JSON: {args.json}")


if __name__ == "__main__":
    main()
