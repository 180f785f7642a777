#!/usr/bin/env python3
"""samsum_lengths.tsv from the pipeline's own tokenize output: every record's source and label token counts, no text.

    python3 scripts/bench/samsum_lengths.py DATA/tokens > scripts/bench/samsum_lengths.tsv

DATA/tokens holds tokenize's {train,validation,test}.safetensors (format flan-lora-tokens/1: ragged int32 ids with
int64 offsets and each example's line number). The benchmarks need every record, so tokenize must run with
tokenize.subset_every 1 (scripts/bench/README.md gives the commands); the benchmarks apply pipeline.yaml's subset
themselves. Standard library only (no venv needed).
"""
import json
import struct
import sys
from pathlib import Path

SPLITS = ("train", "validation", "test")


def read_tensors(path):
    """{name: list of ints} for the I32/I64 tensors of a safetensors file, and its metadata."""
    raw = path.read_bytes()
    (size,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + size])
    meta = header.pop("__metadata__", {})
    body = raw[8 + size:]
    out = {}
    for name, t in header.items():
        code = {"I32": "i", "I64": "q"}.get(t["dtype"])
        if code is None:
            continue
        start, end = t["data_offsets"]
        out[name] = list(struct.unpack(f"<{(end - start) // struct.calcsize(code)}{code}", body[start:end]))
    return out, meta


def main():
    if len(sys.argv) != 2 or sys.argv[1] in ("-h", "--help"):
        sys.exit("usage: python3 scripts/bench/samsum_lengths.py TOKENS_DIR > scripts/bench/samsum_lengths.tsv")
    folder = Path(sys.argv[1])
    rows, counts, limits = [], {}, None
    for split in SPLITS:
        path = folder / f"{split}.safetensors"
        if not path.is_file():
            sys.exit(f"samsum_lengths: {path}: no such token file (run tokenize first)")
        t, meta = read_tensors(path)
        if meta.get("format") != "flan-lora-tokens/1":
            sys.exit(f"samsum_lengths: {path}: not a token file of this pipeline (format {meta.get('format')})")
        if meta.get("subset_every") != "1":
            sys.exit(f"samsum_lengths: {path}: tokenize.subset_every is {meta.get('subset_every')}; "
                     "the lengths file needs every record (tokenize.subset_every=1)")
        limits = (meta.get("max_source_length"), meta.get("max_target_length"))
        src, lab, index = t["source_offsets"], t["label_offsets"], t["example_index"]
        counts[split] = len(index)
        for i, example in enumerate(index):
            rows.append(f"{split}\t{example}\t{src[i + 1] - src[i]}\t{lab[i + 1] - lab[i]}")
    print(f"# SAMSum token lengths: the real corpus (train {counts['train']:,} / validation {counts['validation']:,} / "
          f"test {counts['test']:,}), tokenised with T5's spiece.model,")
    print(f"# the pipeline.yaml prompt template and </s>, truncated at {limits[0]} source / {limits[1]} label tokens. "
          "Lengths only, no text.")
    print("split\texample_index\tsource_tokens\tlabel_tokens")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
