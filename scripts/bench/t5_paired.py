#!/usr/bin/env python3
"""Greedy generation at batch 8 (64 new tokens, sources of 256 ids), PyTorch against the Swift engine
in alternating rounds, so that both sides of each ratio are timed within the same half minute.

The machine's speed drifts by 20-25% over minutes (see docs/BENCHMARKS.md); t5_bench.sh times PyTorch
first and Swift minutes later, so its ratio carries that drift. Here PyTorch's model stays loaded and
each round times one PyTorch generation (after one warm-up at the start), then runs `t5-bench --parts
gen --batches 8 --reps 1` once per precision (its own warm-up, then one timed generation). Inputs and
settings are bench_torch.py's: seed 42, min_new_tokens = max_new_tokens = 64, num_beams 1, sdpa.

Prints one line per round and the median of the per-round ratios; --json writes everything.
"""
import argparse, json, os, statistics, subprocess, sys, tempfile, time


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="a flan-t5-base-size model directory (make_t5.py --size base)")
    ap.add_argument("--swift-bench", required=True, help="the t5-bench executable")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--precisions", default="bf16,f32")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    precisions = [p for p in args.precisions.split(",") if p]

    import torch, transformers
    from transformers import T5ForConditionalGeneration
    transformers.logging.set_verbosity_error()
    torch.set_num_threads(args.threads)
    B, S, NEW = 8, 256, 64
    g = torch.Generator().manual_seed(42)  # bench_torch.py's sources
    src = torch.randint(3, 32000, (B, S), generator=g)
    src[:, -1] = 1
    mask = torch.ones_like(src)
    model = T5ForConditionalGeneration.from_pretrained(args.model, attn_implementation="sdpa").eval()

    def torch_generate():
        with torch.no_grad():
            t0 = time.perf_counter()
            out = model.generate(input_ids=src, attention_mask=mask, max_new_tokens=NEW, min_new_tokens=NEW,
                                 num_beams=1, do_sample=False)
            t = time.perf_counter() - t0
        assert out.shape[1] == NEW + 1, out.shape
        return t

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(src.tolist(), f)
        sources = f.name

    def swift_generate(precision):
        run = subprocess.run([args.swift_bench, "--model", args.model, "--sources", sources, "--threads", str(args.threads),
                              "--precision", precision, "--parts", "gen", "--batches", "8", "--reps", "1"],
                             capture_output=True, text=True)
        if run.returncode != 0:
            sys.exit(f"t5-bench failed: {run.stderr.strip()}")
        return json.loads(run.stdout)["greedy_generate_b8"]["median_s"]

    try:
        torch_generate()  # warm-up
        rounds = []
        for r in range(args.rounds):
            entry = {"torch_s": torch_generate()}
            for p in precisions:
                entry[f"swift_{p}_s"] = swift_generate(p)
                entry[f"ratio_{p}"] = entry["torch_s"] / entry[f"swift_{p}_s"]
            rounds.append(entry)
            print(f"round {r + 1}: torch {entry['torch_s']:.2f} s ({B * NEW / entry['torch_s']:.1f} tok/s)" +
                  "".join(f"; swift {p} {entry[f'swift_{p}_s']:.2f} s, {entry[f'ratio_{p}']:.2f}x" for p in precisions),
                  flush=True)
    finally:
        os.unlink(sources)

    summary = {"rounds": rounds, "threads": args.threads, "torch": torch.__version__, "transformers": transformers.__version__,
               "load_average": os.getloadavg()[0]}
    for p in precisions:
        ratios = [e[f"ratio_{p}"] for e in rounds]
        summary[f"median_ratio_{p}"] = statistics.median(ratios)
        print(f"greedy b=8, {p}: median of {len(ratios)} paired ratios {statistics.median(ratios):.2f}x "
              f"(range {min(ratios):.2f}-{max(ratios):.2f}x)")
    print(f"threads={args.threads}; ratios > 1 mean the Swift engine is faster; load average {os.getloadavg()[0]:.1f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=1)


if __name__ == "__main__":
    main()
