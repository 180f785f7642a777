#!/usr/bin/env python3
"""PyTorch CPU timings on a flan-t5-base-size model (make a random one with make_t5.py --size base).

Inputs: --seed's generator (default 42) draws 8 sources of 256 ids and 8 targets of 64 ids in
[3, 32000), each ending with EOS (1), no padding. scripts/bench/t5_bench.sh draws the same sources.

  enc    encoder forward alone (no_grad, eval) at batch 1 and 8: median of 5 after 1 warm-up, with
         an approximate GFLOP/s (q/k/v/o, the gated feed-forward's 3 products, QK^T and AV).
  gen    greedy generation of exactly 64 new tokens (min_new_tokens = max_new_tokens = 64, num_beams 1,
         KV cache) with the plain model in eval mode, batch 1 and 8: median of --gen-reps after 1
         warm-up; tokens/s = batch * 64 / time, and decode-only tokens/s when enc ran too.
  train  one LoRA step: PEFT LoraConfig(r 32, alpha 32, q and v, lora_dropout 0.05), train mode (T5
         dropout 0.1 on), batch 8, 256/64 tokens; zero_grad + forward + backward +
         clip_grad_norm_(1.0) + fused AdamW (lr 1e-3, wd 0.01). Median of --steps after --warmup.

Runs enc, gen, train in that order (--skip leaves some out), on --threads torch threads (default 2).
Prints a table and writes --json (default bench_torch.json beside --model) with the keys
encoder_forward_b{1,8}, greedy_generate_b{1,8}, lora_train_step, peak_rss_mib and meta, which
scripts/bench/t5_bench.sh and train_bench.sh read.
"""
import argparse
import json
import os
import platform
import resource
import statistics
import time

BATCH, SOURCE_LEN, TARGET_LEN, NEW_TOKENS = 8, 256, 64, 64


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="a T5 model directory")
    ap.add_argument("--json", default=None, help="output JSON (default: bench_torch.json beside --model)")
    ap.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    ap.add_argument("--attn", choices=["sdpa", "eager"], default="sdpa")
    ap.add_argument("--warmup", type=int, default=2, help="untimed training steps (default 2)")
    ap.add_argument("--steps", type=int, default=5, help="timed training steps (default 5)")
    ap.add_argument("--gen-reps", type=int, default=3, help="timed generations per batch size (default 3)")
    ap.add_argument("--skip", default="", help="comma list of parts to skip: train,gen,enc")
    ap.add_argument("--seed", type=int, default=42, help="seed of the inputs and of torch (default 42)")
    return ap.parse_args()


def encoder_gflop(cfg, batch):
    """Approximate GFLOP of one encoder forward at SOURCE_LEN tokens."""
    d, d_ff, heads, d_kv, layers = cfg.d_model, cfg.d_ff, cfg.num_heads, cfg.d_kv, cfg.num_layers
    tokens = batch * SOURCE_LEN
    projections = 2 * tokens * (3 * d * heads * d_kv + heads * d_kv * d + 3 * d * d_ff)
    attention = 4 * batch * heads * SOURCE_LEN * SOURCE_LEN * d_kv
    return layers * (projections + attention) / 1e9


def bench_encoder(model, src, mask, res, rows, torch):
    model.eval()
    seconds = {}
    for bs in (1, 8):
        times = []
        with torch.no_grad():
            for _ in range(6):
                t0 = time.perf_counter()
                model.encoder(input_ids=src[:bs], attention_mask=mask[:bs])
                times.append(time.perf_counter() - t0)
        t = statistics.median(times[1:])
        gflop = encoder_gflop(model.config, bs)
        seconds[bs] = t
        res[f"encoder_forward_b{bs}"] = dict(median_s=t, all_s=times[1:], approx_gflop=gflop,
                                             approx_gflops_per_s=gflop / t)
        rows.append((f"encoder fwd b={bs} S={SOURCE_LEN}", f"{t*1000:.1f} ms", f"~{gflop/t:.1f} GFLOP/s"))
    return seconds


def bench_generate(model, src, mask, reps, encoder_seconds, res, rows, torch):
    model.eval()
    for bs in (1, 8):
        times = []
        for _ in range(1 + reps):
            with torch.no_grad():
                t0 = time.perf_counter()
                out = model.generate(input_ids=src[:bs], attention_mask=mask[:bs], max_new_tokens=NEW_TOKENS,
                                     min_new_tokens=NEW_TOKENS, num_beams=1, do_sample=False)
                times.append(time.perf_counter() - t0)
            assert out.shape[1] == NEW_TOKENS + 1, out.shape
        t = statistics.median(times[1:])
        entry = dict(median_s=t, all_s=times[1:], tokens_per_s=bs * NEW_TOKENS / t, out_len=int(out.shape[1]))
        note = ""
        if bs in encoder_seconds:
            entry["decode_only_tokens_per_s"] = bs * NEW_TOKENS / (t - encoder_seconds[bs])
            note = f" ({entry['decode_only_tokens_per_s']:.1f} decode-only)"
        res[f"greedy_generate_b{bs}"] = entry
        rows.append((f"greedy 64 new b={bs} S={SOURCE_LEN}", f"{t:.2f} s", f"{bs*NEW_TOKENS/t:.1f} tok/s" + note))


def bench_train(model, src, mask, tgt, args, res, rows, torch):
    from peft import LoraConfig, TaskType, get_peft_model
    config = LoraConfig(r=32, lora_alpha=32, target_modules=["q", "v"], lora_dropout=0.05, bias="none",
                        task_type=TaskType.SEQ_2_SEQ_LM)
    peft_model = get_peft_model(model, config)
    peft_model.train()
    params = [p for p in peft_model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01, betas=(0.9, 0.999), eps=1e-8, fused=True)
    times, losses = [], []
    for _ in range(args.warmup + args.steps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = peft_model(input_ids=src, attention_mask=mask, labels=tgt).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        times.append(time.perf_counter() - t0)
        losses.append(loss.item())
    t = statistics.median(times[args.warmup:])
    res["lora_train_step"] = dict(median_s=t, all_s=times, warmup=args.warmup, losses=losses,
                                  trainable_params=sum(p.numel() for p in params), samples_per_s=BATCH / t,
                                  est_1536_steps_hours=1536 * t / 3600)
    rows.append((f"LoRA r=32 train step b={BATCH} S={SOURCE_LEN} T={TARGET_LEN}", f"{t:.2f} s",
                 f"{BATCH/t:.2f} samples/s; 1536 steps ~{1536*t/3600:.1f} h"))


def main():
    args = parse_args()
    skip = {part for part in args.skip.split(",") if part}
    import peft
    import torch
    import transformers
    from transformers import T5ForConditionalGeneration

    transformers.logging.set_verbosity_error()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)  # LoRA's A init and the dropout masks
    gen = torch.Generator().manual_seed(args.seed)
    src = torch.randint(3, 32000, (BATCH, SOURCE_LEN), generator=gen)
    src[:, -1] = 1
    tgt = torch.randint(3, 32000, (BATCH, TARGET_LEN), generator=gen)
    tgt[:, -1] = 1
    mask = torch.ones_like(src)

    model = T5ForConditionalGeneration.from_pretrained(args.model, attn_implementation=args.attn)
    cfg = model.config
    res = dict(meta=dict(model=os.path.abspath(args.model), threads=args.threads, torch=torch.__version__,
                         transformers=transformers.__version__, peft=peft.__version__, attn=args.attn,
                         cpu=platform.processor() or platform.machine(),
                         torch_parallel_info=torch.__config__.parallel_info().splitlines()[:6],
                         d_model=cfg.d_model, layers=cfg.num_layers, batch=BATCH, src_len=SOURCE_LEN,
                         tgt_len=TARGET_LEN, new_tokens=NEW_TOKENS))
    rows = []
    encoder_seconds = {} if "enc" in skip else bench_encoder(model, src, mask, res, rows, torch)
    if "gen" not in skip:
        bench_generate(model, src, mask, args.gen_reps, encoder_seconds, res, rows, torch)
    if "train" not in skip:
        bench_train(model, src, mask, tgt, args, res, rows, torch)

    res["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    width = max((len(r[0]) for r in rows), default=10)
    print(f"torch {torch.__version__}, threads={args.threads}, attn={args.attn}")
    for label, value, note in rows:
        print(f"{label:<{width}}  {value:>10}  {note}")
    print(f"peak RSS {res['peak_rss_mib']:.0f} MiB")
    out = args.json or os.path.join(os.path.dirname(os.path.abspath(args.model.rstrip("/"))), "bench_torch.json")
    with open(out, "w") as f:
        json.dump(res, f, indent=1)
    print("wrote", out)


if __name__ == "__main__":
    main()
