#!/usr/bin/env python3
"""Seeded benchmark inputs shaped like the score-rouge stage's: 819 references (the size of
SAMSum's test split) and two systems' predictions, "base" (noisier) and "lora" (closer).
Reuses the parity fixture's text generator (scripts/fixtures/rouge_pairs.py).

Usage: python3 scripts/bench/rouge_bench_data.py OUT_DIR [--n 819] [--seed 7]
Writes OUT_DIR/{references,base,lora}.jsonl.
"""
import argparse, json, os, random, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import rouge_pairs  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument("--n", type=int, default=819)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--words", default="Tests/Fixtures/Rouge/stemmer_words.txt")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    words = rouge_pairs.word_pool(args.words)
    os.makedirs(args.out_dir, exist_ok=True)
    refs, base, lora = [], [], []
    for k in range(args.n):
        ident = str(13810000 + k)
        sents = [rouge_pairs.fill(rng, words) for _ in range(rng.choice([1, 2, 2, 3]))]
        refs.append({"id": ident, "summary": " ".join(sents), "dialogue": rouge_pairs.dialogue(rng, words)})
        noisy = " ".join(rouge_pairs.perturb(rng, rouge_pairs.perturb(rng, s, words), words) for s in sents)
        close = " ".join(rouge_pairs.perturb(rng, s, words) for s in sents)
        base.append({"id": ident, "prediction": noisy})
        lora.append({"id": ident, "prediction": close})
    for name, rows in (("references", refs), ("base", base), ("lora", lora)):
        with open(os.path.join(args.out_dir, f"{name}.jsonl"), "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
