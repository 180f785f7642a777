#!/usr/bin/env python3
"""Times the `sentencepiece` library's encode over every line of a file (ids only,
timing only the encode calls): one thread with a Python loop of sp.encode(line),
the batch API on one thread (the C++ loop, no per-call Python cost), then the
batch API sp.encode(lines, num_threads=N). Prints JSON.

usage: spm_bench.py --model spiece.model --input corpus.txt [--threads 2] [--repeats 3]
"""
import argparse
import json
import time

import sentencepiece as spm


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    sp = spm.SentencePieceProcessor(model_file=args.model)
    with open(args.input, encoding="utf-8", newline="") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    nbytes = sum(len(line.encode("utf-8")) for line in lines)

    def best(fn):
        times, tokens = [], 0
        for _ in range(max(1, args.repeats)):
            t0 = time.perf_counter()
            tokens = fn()
            times.append(time.perf_counter() - t0)
        return min(times), tokens

    encode = sp.encode
    single, tokens = best(lambda: sum(len(encode(line)) for line in lines))
    # The batch API on one thread loops in C++: the library's speed without Python's per-call cost.
    native, _ = best(lambda: sum(len(ids) for ids in sp.encode(lines, num_threads=1)))
    batch, _ = best(lambda: sum(len(ids) for ids in sp.encode(lines, num_threads=args.threads)))
    print(json.dumps(dict(implementation="sentencepiece " + spm.__version__, lines=len(lines), bytes=nbytes,
                          tokens=tokens, seconds_1thread=single, lines_per_s_1thread=len(lines) / single,
                          mb_per_s_1thread=nbytes / 1e6 / single, seconds_batch_1thread=native,
                          lines_per_s_batch_1thread=len(lines) / native, threads=args.threads, seconds_batch=batch,
                          lines_per_s_batch=len(lines) / batch), sort_keys=True))


if __name__ == "__main__":
    main()
