#!/usr/bin/env python3
"""Reference ROUGE: Google's rouge_score (RougeScorer, use_stemmer=True) on predictions and references.

Inputs (--pred, --ref): plain text, one text per line, or JSONL (the first non-empty line starts with
"{"). The JSONL field is --pred-field / --ref-field, else the first present of
  predictions: prediction, pred, generated, output, text, summary
  references:  reference, ref, summary, target, text
When both files are JSONL with an "id" on every row, references are matched by id (in --pred's
order); otherwise by position.

Output JSON (stdout, and --out FILE):
  settings     what was run
  per_example  [{index, id?, rouge1: {precision, recall, fmeasure}, rouge2, rougeL, rougeLsum}]
  mean         the plain mean of each figure, summed left to right
  bootstrap    rouge_score's BootstrapAggregator (1000 resamples of the global NumPy generator after
               np.random.seed(--bootstrap-seed)): low/mid/high F1. mid is what Hugging Face
               `evaluate`'s rouge reports with its default use_aggregator=True.

rouge_score's tokenizer: lowercase, [^a-z0-9]+ to spaces, split, Porter-stem (nltk's PorterStemmer,
NLTK_EXTENSIONS mode) tokens longer than 3 characters. rougeLsum splits texts on "\\n" only, so a
one-line text has rougeLsum == rougeL; --nltk-newlines first rewrites each text as
"\\n".join(nltk.sent_tokenize(text)), as Hugging Face's run_summarization does (needs NLTK's punkt_tab
data: NLTK_DATA=DIR after scripts/reference/punkt_english.py --nltk-data DIR). score-rouge's
rouge.lsum_split: sentences is the same.
scripts/fixtures/rouge_make_fixtures.sh runs this for Tests/Fixtures/Rouge.
"""
import argparse
import json
import sys

TYPES = ["rouge1", "rouge2", "rougeL", "rougeLsum"]
MEASURES = ("precision", "recall", "fmeasure")
PRED_FIELDS = ["prediction", "pred", "generated", "output", "text", "summary"]
REF_FIELDS = ["reference", "ref", "summary", "target", "text"]


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pred", required=True, help="predictions: text lines or JSONL")
    ap.add_argument("--ref", required=True, help="references: text lines or JSONL")
    ap.add_argument("--pred-field")
    ap.add_argument("--ref-field")
    ap.add_argument("--no-stemmer", action="store_true", help="use_stemmer=False (HF evaluate's default)")
    ap.add_argument("--nltk-newlines", action="store_true",
                    help='rewrite texts as "\\n".join(nltk.sent_tokenize(t)) first (run_summarization style)')
    ap.add_argument("--bootstrap-seed", type=int, default=0, help="np.random.seed before aggregating (default 0)")
    ap.add_argument("--threads", type=int, default=2,
                    help="accepted for symmetry with the other reference scripts; scoring is single-threaded")
    ap.add_argument("--out", help="also write the JSON here")
    return ap.parse_args()


def read_texts(path, field, candidates):
    """(texts, ids or Nones, field used or None) of a text or JSONL file."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    first = next((line for line in lines if line.strip()), "")
    if not first.lstrip().startswith("{"):
        return lines, [None] * len(lines), None
    rows = [json.loads(line) for line in lines if line.strip()]
    used = field or next((c for c in candidates if c in rows[0]), None)
    if used is None:
        sys.exit(f"{path}: none of {candidates} in JSONL; use --pred-field/--ref-field")
    return [row[used] for row in rows], [row.get("id") for row in rows], used


def main():
    args = parse_args()
    import numpy as np
    from rouge_score import rouge_scorer, scoring

    preds, pred_ids, pred_field = read_texts(args.pred, args.pred_field, PRED_FIELDS)
    refs, ref_ids, ref_field = read_texts(args.ref, args.ref_field, REF_FIELDS)
    if None not in pred_ids and None not in ref_ids:
        by_id = dict(zip(ref_ids, refs))
        missing = [i for i in pred_ids if i not in by_id]
        if missing:
            sys.exit(f"ids missing in --ref: {missing[:5]}")
        refs = [by_id[i] for i in pred_ids]
    elif len(preds) != len(refs):
        sys.exit(f"line count differs: {len(preds)} preds vs {len(refs)} refs")
    if args.nltk_newlines:
        import nltk
        preds = ["\n".join(nltk.sent_tokenize(t)) for t in preds]
        refs = ["\n".join(nltk.sent_tokenize(t)) for t in refs]

    scorer = rouge_scorer.RougeScorer(TYPES, use_stemmer=not args.no_stemmer)
    aggregator = scoring.BootstrapAggregator()
    per_example = []
    for index, (pred, ref) in enumerate(zip(preds, refs)):
        scores = scorer.score(ref, pred)  # rouge_score's order: (target, prediction)
        aggregator.add_scores(scores)
        row = {"index": index}
        if pred_ids[index] is not None:
            row["id"] = pred_ids[index]
        for t in TYPES:
            row[t] = dict(precision=scores[t].precision, recall=scores[t].recall, fmeasure=scores[t].fmeasure)
        per_example.append(row)

    n = len(per_example)
    mean = {t: {m: (sum(row[t][m] for row in per_example) / n if n else 0.0) for m in MEASURES} for t in TYPES}
    np.random.seed(args.bootstrap_seed)
    aggregate = aggregator.aggregate() if n else {}
    bootstrap = {t: dict(low_f=a.low.fmeasure, mid_f=a.mid.fmeasure, high_f=a.high.fmeasure)
                 for t, a in aggregate.items()}
    settings = dict(rouge_types=TYPES, use_stemmer=not args.no_stemmer, nltk_newlines=args.nltk_newlines,
                    pred_field=pred_field, ref_field=ref_field, n=n, bootstrap_seed=args.bootstrap_seed,
                    scorer_call="RougeScorer.score(target=ref, prediction=pred)")
    text = json.dumps(dict(settings=settings, mean=mean, bootstrap=bootstrap, per_example=per_example), indent=1)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
