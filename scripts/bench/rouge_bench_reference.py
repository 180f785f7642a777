#!/usr/bin/env python3
"""The reference side of the ROUGE benchmark: what the Swift `score-rouge compare` does,
with rouge_score 0.1.2: score base and lora predictions against references
(RougeScorer(use_stemmer=True), all four types) and aggregate each system with
BootstrapAggregator (1000 resamples, np.random.seed(0)). Prints the seconds spent after
imports (reading the JSONL, scoring, bootstrap) as `reference_seconds=... reference_cpu_seconds=...`
(wall clock and process CPU time).

Usage: $PY scripts/bench/rouge_bench_reference.py DATA_DIR
"""
import json, os, sys, time

import numpy as np
from rouge_score import rouge_scorer, scoring

TYPES = ["rouge1", "rouge2", "rougeL", "rougeLsum"]


def read(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


def main():
    d = sys.argv[1]
    t0 = time.perf_counter()
    c0 = time.process_time()
    refs = {r["id"]: r["summary"] for r in read(os.path.join(d, "references.jsonl"))}
    scorer = rouge_scorer.RougeScorer(TYPES, use_stemmer=True)
    results = {}
    np.random.seed(0)
    for system in ("base", "lora"):
        agg = scoring.BootstrapAggregator()
        for row in read(os.path.join(d, f"{system}.jsonl")):
            agg.add_scores(scorer.score(refs[row["id"]], row["prediction"]))
        results[system] = agg.aggregate()
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - c0
    for system, a in results.items():
        print(system, " ".join(f"{t}={a[t].mid.fmeasure:.4f}" for t in TYPES))
    print(f"reference_seconds={elapsed:.4f} reference_cpu_seconds={cpu:.4f}")


if __name__ == "__main__":
    main()
