#!/usr/bin/env python3
"""The table of scripts/bench/qlora_memory.sh: per model size and weights dtype, one train-bench serve process (the
frozen base's bytes as the engine holds them, VmRSS after loading, VmHWM after a warm-up step and two timed steps of
the plan's real-shape batches) and one t5-bench process (greedy generation at batch 8, 64 new tokens from sources of 256
ids: its peak resident size and tokens/s). Prints a Markdown table; --json writes the numbers."""
import argparse, json, os, subprocess, sys, tempfile


def train(bench, model, plan, dtype, threads):
    p = subprocess.Popen([bench, "serve", "--model", model, "--plan", plan, "--config", "pipeline.yaml",
                          "--threads", str(threads), "--weights-dtype", dtype],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(cmd=None):
        if cmd:
            p.stdin.write(cmd + "\n")
            p.stdin.flush()
        return json.loads(p.stdout.readline())
    ready = ask()
    steps = [ask(f"step {i}")["seconds"] for i in (0, 1, 2)]
    peak = ask("quit")["peak_rss_mib"]
    p.wait()
    return dict(base_weight_mib=ready["base_weight_bytes"] / 2**20, rss_after_load_mib=ready["rss_after_load_mib"],
                train_peak_mib=peak, step_s=steps[1:])


def generate(bench, model, dtype, threads, sources):
    out = subprocess.run([bench, "--model", model, "--sources", sources, "--threads", str(threads), "--precision", dtype,
                          "--parts", "gen", "--batches", "8", "--reps", "1"], capture_output=True, text=True, check=True)
    r = json.loads(out.stdout)
    return dict(generate_peak_mib=r["peak_rss_mib"], generate_s=r["greedy_generate_b8"]["median_s"])


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--models-dir", required=True)
    ap.add_argument("--sizes", default="base large")
    ap.add_argument("--dtypes", default="f32 bf16 nf4")
    ap.add_argument("--train-bench", required=True)
    ap.add_argument("--t5-bench", required=True)
    ap.add_argument("--plans", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json")
    a = ap.parse_args()
    import random
    rng = random.Random(42)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump([[rng.randrange(3, 32000) for _ in range(255)] + [1] for _ in range(8)], f)
        sources = f.name
    rows = []
    for size in a.sizes.split():
        model = os.path.join(a.models_dir, f"t5{size}")
        for dtype in a.dtypes.split():
            row = dict(size=size, dtype=dtype)
            row.update(train(a.train_bench, model, os.path.join(a.plans, f"plan-{size}.json"), dtype, a.threads))
            row.update(generate(a.t5_bench, model, dtype, a.threads, sources))
            rows.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
    print("| model | weights | frozen base (MiB) | resident after load (MiB) | training peak (MiB) | step (s) | "
          "generation peak, batch 8 (MiB) | generation (s) |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| flan-t5-{r['size']} | {r['dtype']} | {r['base_weight_mib']:.0f} | {r['rss_after_load_mib']:.0f} | "
              f"{r['train_peak_mib']:.0f} | {sum(r['step_s']) / len(r['step_s']):.2f} | {r['generate_peak_mib']:.0f} | "
              f"{r['generate_s']:.2f} |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
