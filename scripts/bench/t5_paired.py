#!/usr/bin/env python3
"""Greedy generation at batch 1 and batch 8 (64 new tokens, sources of 256 ids), PyTorch against the Swift
engine in alternating rounds, so that both sides of each ratio are timed within the same half minute, once per
precision on both sides: f32 (PyTorch's fp32 model against `t5-bench --precision f32`) and bf16 (PyTorch's
model loaded with torch_dtype=torch.bfloat16, as the tutorial does, against `--precision bf16`: bf16 weights,
inputs rounded to bf16, fp32 sums; docs/ARCHITECTURE.md, "bf16 products") and, when asked, nf4 (bitsandbytes'
4-bit model as the tutorial's QLoRA section loads it, against `--precision nf4`).

The machine's speed drifts by 20-25% over minutes (see docs/BENCHMARKS.md); t5_bench.sh times PyTorch
first and Swift minutes later, so its ratio carries that drift. Here PyTorch's models stay loaded and
each round times one PyTorch generation per precision and batch (after one warm-up at the start), then runs
`t5-bench --parts gen --batches B --reps 1` once per precision (its own warm-up, then one timed generation).
Inputs and settings are bench_torch.py's: seed 42, min_new_tokens = max_new_tokens = 64, num_beams 1, sdpa.

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
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    precisions = [p for p in args.precisions.split(",") if p]
    batches = [int(b) for b in args.batches.split(",") if b]

    import torch, transformers
    from transformers import T5ForConditionalGeneration
    transformers.logging.set_verbosity_error()
    torch.set_num_threads(args.threads)
    S, NEW = 256, 64
    g = torch.Generator().manual_seed(42)  # bench_torch.py's sources
    src = torch.randint(3, 32000, (max(batches), S), generator=g)
    src[:, -1] = 1
    dtypes = {"f32": torch.float32, "bf16": torch.bfloat16, "nf4": torch.bfloat16}

    def load(precision):
        extra = {}
        if precision == "nf4":  # QLoRA as the tutorial loads it: bitsandbytes' 4-bit base, bf16 compute
            from transformers import BitsAndBytesConfig
            extra["quantization_config"] = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4",
                                                              bnb_4bit_use_double_quant=True,
                                                              bnb_4bit_compute_dtype=torch.bfloat16)
        return T5ForConditionalGeneration.from_pretrained(args.model, attn_implementation="sdpa", torch_dtype=dtypes[precision],
                                                          **extra).eval()
    models = {p: load(p) for p in precisions}

    def torch_generate(precision, batch):
        ids = src[:batch]
        with torch.no_grad():
            t0 = time.perf_counter()
            out = models[precision].generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=NEW,
                                             min_new_tokens=NEW, num_beams=1, do_sample=False)
            t = time.perf_counter() - t0
        assert out.shape[1] == NEW + 1, out.shape
        return t

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(src.tolist(), f)
        sources = f.name

    def swift_generate(precision, batch):
        run = subprocess.run([args.swift_bench, "--model", args.model, "--sources", sources, "--threads", str(args.threads),
                              "--precision", precision, "--parts", "gen", "--batches", str(batch), "--reps", "1"],
                             capture_output=True, text=True)
        if run.returncode != 0:
            sys.exit(f"t5-bench failed: {run.stderr.strip()}")
        result = json.loads(run.stdout)
        products.setdefault(precision, result.get("bf16_product", "?"))
        return result[f"greedy_generate_b{batch}"]["median_s"]

    cases = [(p, b) for p in precisions for b in batches]
    products = {}
    try:
        for p, b in cases:
            torch_generate(p, b)  # warm-up
        rounds = []
        for r in range(args.rounds):
            entry = {}
            for p, b in cases:
                name = f"{p}_b{b}"
                entry[f"torch_{name}_s"] = torch_generate(p, b)
                entry[f"swift_{name}_s"] = swift_generate(p, b)
                entry[f"ratio_{name}"] = entry[f"torch_{name}_s"] / entry[f"swift_{name}_s"]
            rounds.append(entry)
            print(f"round {r + 1}: " + "; ".join(
                f"{p} b{b} torch {entry[f'torch_{p}_b{b}_s']:.2f} s swift {entry[f'swift_{p}_b{b}_s']:.2f} s "
                f"{entry[f'ratio_{p}_b{b}']:.2f}x" for p, b in cases), flush=True)
    finally:
        os.unlink(sources)

    summary = {"rounds": rounds, "threads": args.threads, "torch": torch.__version__, "transformers": transformers.__version__,
               "load_average": os.getloadavg()[0]}
    for p, b in cases:
        name = f"{p}_b{b}"
        ratios = [e[f"ratio_{name}"] for e in rounds]
        summary[f"median_ratio_{name}"] = statistics.median(ratios)
        summary[f"median_torch_{name}_s"] = statistics.median(e[f"torch_{name}_s"] for e in rounds)
        summary[f"median_swift_{name}_s"] = statistics.median(e[f"swift_{name}_s"] for e in rounds)
        print(f"greedy b={b}, {p} (PyTorch {p} model): PyTorch {summary[f'median_torch_{name}_s']:.2f} s, Swift "
              f"{summary[f'median_swift_{name}_s']:.2f} s; median of {len(ratios)} paired ratios "
              f"{statistics.median(ratios):.2f}x (range {min(ratios):.2f}-{max(ratios):.2f}x)")
    print(f"threads={args.threads}; ratios > 1 mean the Swift engine is faster; load average {os.getloadavg()[0]:.1f}; "
          f"Swift's bf16 products: {products.get('bf16', 'not run')}")
    summary["bf16_product"] = products.get("bf16")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=1)


if __name__ == "__main__":
    main()
