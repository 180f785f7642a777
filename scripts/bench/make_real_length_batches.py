#!/usr/bin/env python3
"""Batches of real-length (source, target) token ids for the training-step benchmark
(scripts/bench/train_bench_real.sh).

Takes examples from a SAMSum-form corpus.7z (train.json: a JSON array of {id, dialogue,
summary}), keeps the training subset that pipeline.yaml's tokenize.subset_every /
subset_offset select (what train-lora trains on), samples --batches x --batch-size of them
without replacement with random.Random(--seed), and tokenizes them as the tokenize stage
does: the prompt template tokenize.prompt around the dialogue, the summary alone, both
encoded with the real T5 SentencePiece model (no </s> from sentencepiece), then </s> (id 1)
appended and truncated to tokenize.max_source_length / max_target_length keeping </s> last.
Batches are consecutive groups in sampled order (no length sorting, as group_by_length
false). Output JSON:
  {"batches": [{"sources": [[ids] x B], "targets": [[ids] x B]}, ...],
   "source_lengths_mean": .., "target_lengths_mean": .., ...}

The corpus defaults to demo/corpus.7z, because the real SAMSum archive is not on this
machine. The demo dialogues are generated and much SHORTER than SAMSum's: with the T5
tokenizer and the prompt they average ~56 source tokens (31-87) and ~14 target tokens
(10-26) including </s>, where SAMSum averages ~120-130 and ~25-30. Batches made from the
demo are therefore about half of SAMSum's length in both source and target; the script
prints the lengths it got and never rescales them. Pass --corpus with the real
corpus.7z (pipeline.yaml samsum.urls) to get SAMSum's own lengths.
"""
import argparse, json, os, random, statistics, sys, tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def find_spiece():
    for p in (os.path.join(ROOT, "..", "shared", "data", "t5", "spiece.model"),
              "/work/shared/data/t5/spiece.model",
              os.path.join(ROOT, "Tests", "Fixtures", "SentencePiece", "t5.model")):
        if os.path.isfile(p):
            return os.path.abspath(p)
    return None


def read_split(archive, name):
    """The JSON array `name` from a 7z: py7zr when importable, else bsdtar (libarchive-tools)."""
    try:
        import py7zr
    except ImportError:
        py7zr = None
    if py7zr is not None:
        with tempfile.TemporaryDirectory() as tmp:
            with py7zr.SevenZipFile(archive) as z:
                z.extract(path=tmp, targets=[name])
            with open(os.path.join(tmp, name), encoding="utf-8", newline="") as f:
                return json.load(f)
    import subprocess
    try:
        data = subprocess.run(["bsdtar", "-xOf", archive, name], check=True, capture_output=True).stdout
    except FileNotFoundError:
        sys.exit("needs python's py7zr or bsdtar (apt-get install libarchive-tools) to read " + archive)
    return json.loads(data.decode("utf-8"))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=os.path.join(ROOT, "demo", "corpus.7z"), help="SAMSum-form corpus.7z")
    ap.add_argument("--split", default="train.json")
    ap.add_argument("--config", default=os.path.join(ROOT, "pipeline.yaml"), help="for the tokenize.* keys")
    ap.add_argument("--spiece", default=None, help="T5 SentencePiece model (default: ../shared/data/t5/spiece.model)")
    ap.add_argument("--batches", type=int, default=8)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", required=True, help="output JSON")
    args = ap.parse_args()

    import sentencepiece as spm
    import yaml

    tok = yaml.safe_load(open(args.config, encoding="utf-8"))["tokenize"]
    prompt, every, offset = tok["prompt"], int(tok["subset_every"]), int(tok["subset_offset"])
    max_src, max_tgt = int(tok["max_source_length"]), int(tok["max_target_length"])
    assert "{dialogue}" in prompt, "tokenize.prompt must contain {dialogue}"
    spiece = args.spiece or find_spiece()
    if not spiece:
        sys.exit("no T5 spiece.model found; pass --spiece")
    sp = spm.SentencePieceProcessor(model_file=spiece)
    assert sp.get_piece_size() == 32000 and sp.eos_id() == 1 and sp.pad_id() == 0, f"{spiece} is not T5's tokenizer"

    examples = read_split(args.corpus, args.split)
    subset = [e for i, e in enumerate(examples) if i % every == offset]
    need = args.batches * args.batch_size
    if len(subset) < need:
        sys.exit(f"{args.corpus} {args.split}: {len(subset)} examples in the subset, {need} needed")
    picked = random.Random(args.seed).sample(subset, need)

    def with_eos(ids, limit):  # as SplitTokenizer.withEOS: </s> stays last after truncation
        return (ids if len(ids) + 1 <= limit else ids[:max(0, limit - 1)]) + [1]

    sources = [with_eos(sp.encode(prompt.replace("{dialogue}", e["dialogue"])), max_src) for e in picked]
    targets = [with_eos(sp.encode(e["summary"]), max_tgt) for e in picked]
    B = args.batch_size
    batches = [dict(ids=[e["id"] for e in picked[i:i + B]], sources=sources[i:i + B], targets=targets[i:i + B])
               for i in range(0, need, B)]
    sl, tl = [len(s) for s in sources], [len(t) for t in targets]
    padded_s = [max(len(s) for s in b["sources"]) for b in batches]
    padded_t = [max(len(t) for t in b["targets"]) for b in batches]
    out = dict(
        batches=batches,
        source_lengths_mean=statistics.mean(sl), target_lengths_mean=statistics.mean(tl),
        source_lengths_min=min(sl), source_lengths_max=max(sl),
        target_lengths_min=min(tl), target_lengths_max=max(tl),
        padded_source_lengths=padded_s, padded_target_lengths=padded_t,
        padded_source_mean=statistics.mean(padded_s), padded_target_mean=statistics.mean(padded_t),
        meta=dict(corpus=os.path.abspath(args.corpus), split=args.split, subset_every=every, subset_offset=offset,
                  subset_size=len(subset), seed=args.seed, batch_size=B, spiece=spiece, prompt=prompt,
                  max_source_length=max_src, max_target_length=max_tgt,
                  truncated_sources=sum(len(s) == max_src for s in sources),
                  truncated_targets=sum(len(t) == max_tgt for t in targets)),
    )
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f)
    print(f"{len(batches)} batches of {B} from {os.path.relpath(args.corpus)} {args.split} "
          f"(subset {len(subset)} of {len(examples)}, seed {args.seed}); lengths incl. prompt and </s>:")
    print(f"  source mean {out['source_lengths_mean']:.1f}  min {min(sl)}  max {max(sl)}   "
          f"padded per batch mean {out['padded_source_mean']:.1f} {padded_s}")
    print(f"  target mean {out['target_lengths_mean']:.1f}  min {min(tl)}  max {max(tl)}   "
          f"padded per batch mean {out['padded_target_mean']:.1f} {padded_t}")
    if out["source_lengths_mean"] < 100 or out["target_lengths_mean"] < 20:
        print("  note: shorter than real SAMSum (~120-130 source, ~25-30 target tokens); the demo corpus is "
              "generated, not SAMSum", file=sys.stderr)
    print("wrote", args.out)


if __name__ == "__main__":
    main()
