#!/usr/bin/env python3
"""On paper: train-lora's step time on W machines, from figures measured on one (mpi_scaling.sh).

  T(W) = T1 / W * imbalance(W) + communication(W)

T1 is the measured step time of one process (batch 8, all of the machine's threads). Each of W ranks computes one
micro-batch of 8 / W examples, and the step waits for the costliest: imbalance(W) = E[max over the W micro-batches of
its cost] / E[cost of the step / W], over random batches of the reference subset's real lengths (lengths.tsv), with a
FLOP model of flan-t5-base's LoRA step (per token: forward plus input-gradient backward through the frozen linears,
4 FLOP per weight; attention 3x its forward 4 L^2 d per layer). communication(W): rank 0 receives W - 1 gradient
buffers and a binomial-tree broadcast sends log2(W) rounds of one, at the given link rate.
Usage: mpi_projection.py --lengths TSV --step-seconds T1 [--gradient-mb 14.2] [--gbit 10] [--subset-every 12]
"""
import argparse, math, random

D, ENC_LINEAR, DEC_LINEAR, LM_HEAD, LAYERS = 768, 85.0e6, 113.0e6, 24.7e6, 12


def cost(source, label):
    linear = 4 * ENC_LINEAR * source + 4 * (DEC_LINEAR + LM_HEAD) * label + 4 * 2 * D * D * LAYERS * source  # + cross K/V
    attention = 3 * LAYERS * 4 * D * (source * source + label * label + label * source)
    return linear + attention


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lengths", required=True)
    ap.add_argument("--step-seconds", type=float, required=True)
    ap.add_argument("--gradient-mb", type=float, default=14.16, help="LoRA r 32 on q, v: 3.54M floats")
    ap.add_argument("--gbit", type=float, default=10.0)
    ap.add_argument("--subset-every", type=int, default=12)
    ap.add_argument("--batch", type=int, default=8)
    args = ap.parse_args()
    rows = []
    for line in open(args.lengths):
        f = line.rstrip("\n").split("\t")
        if len(f) == 4 and f[0] == "train" and int(f[1]) % args.subset_every == 0:
            rows.append((int(f[2]), int(f[3])))
    rng = random.Random(42)
    batches = [rng.sample(rows, args.batch) for _ in range(20000)]
    seconds_per_mb = 8e-3 / args.gbit  # 1 MB at `gbit` Gbit/s
    print(f"projection from {len(rows)} subset examples, T1 = {args.step_seconds:.2f} s, {args.gradient_mb:.1f} MB of "
          f"gradients, {args.gbit:g} Gbit/s links")
    print("machines  imbalance  compute s  communication s  step s  speed-up")
    for w in [1, 2, 4, 8]:
        if args.batch % w:
            continue
        k = args.batch // w
        ratios = []
        for b in batches:
            parts = [sum(cost(*e) for e in b[i * k:(i + 1) * k]) for i in range(w)]
            ratios.append(max(parts) / (sum(parts) / w))
        imbalance = sum(ratios) / len(ratios)
        compute = args.step_seconds / w * imbalance
        comm = 0.0 if w == 1 else ((w - 1) + math.ceil(math.log2(w))) * args.gradient_mb * seconds_per_mb
        step = compute + comm
        print(f"{w:>8}  {imbalance:9.2f}  {compute:9.2f}  {comm:15.3f}  {step:6.2f}  {args.step_seconds / step:8.2f}")


if __name__ == "__main__":
    main()
