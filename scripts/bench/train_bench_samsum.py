#!/usr/bin/env python3
"""LoRA training steps of the reference run on SAMSum's real shapes: PyTorch + PEFT against train-lora's engine,
in alternating rounds, on one random flan-t5-base-size model.

The plan (`train-bench plan`, from scripts/bench/samsum_lengths.tsv) holds optimiser steps of the reference run's
batches exactly as train-lora draws them (tokenize's subset, BatchPlan with pipeline.yaml's seed, batch size,
accumulation, epochs and grouping), spread evenly over the run, with random token ids at the real lengths, and the
validation pass's batches (sorted by source length, as train-lora forms them).

PyTorch side (the user's alternative, Hugging Face's way): T5ForConditionalGeneration (sdpa) + PEFT LoraConfig from
pipeline.yaml's lora.* (r, alpha, dropout, target_modules, rslora; or with --method ia3, loha or lokr PEFT's IA3Config,
LoHaConfig or LoKrConfig from that section, the Swift side `--set train.mode=METHOD`), model.train() with T5's dropout at
train.dropout_rate, fused AdamW (lr, weight decay, betas, eps from train.*), one step = zero_grad + forward + backward
+ clip_grad_norm_(max_grad_norm) + step; each batch right-padded to its longest row (input_ids 0 + attention mask,
labels -100, decoder inputs shifted from the labels by the model). Validation: model.eval(), no_grad, the same
length-sorted batches, each padded to its longest (fewer pad tokens than Seq2SeqTrainer's dataset order: PyTorch's
best case).

Swift side: `train-bench serve` keeps the model loaded (LoRA initialised as train-lora does) and answers one command
per line; it times each step (forward on the real tokens only, backward, clipping, AdamW) itself.

Each side first runs, untimed, the plan's batch with the most real tokens and the one with the largest padded
shape (Swift then the first of them once more: its arena settles at the step after it grew). Then for each planned
batch both sides run it, PyTorch first in even rounds and Swift first in odd ones, so the machine's drift over
minutes cancels in the paired ratio. Then two validation passes each, in the order PyTorch, Swift, Swift, PyTorch:
the first grows each side's buffers to the validation batches (Swift's activation arena keeps that size, so a run
pays it once), the second is the pass a run repeats. Projected run = total steps x mean step + the first validation pass + (validation passes - 1) x the second.

--dtype f32|bf16 (default f32) is PyTorch's weight type: bf16 is the seed's setting,
from_pretrained(torch_dtype=torch.bfloat16), every base weight and activation bf16 (logits and loss too, so PyTorch's
losses are bf16-rounded), with PEFT's default autocast_adapter_dtype=True keeping the LoRA weights (and so AdamW) fp32.
--dtype nf4 is QLoRA as the tutorial describes it: from_pretrained(torch_dtype=torch.bfloat16,
quantization_config=BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
bnb_4bit_compute_dtype=torch.bfloat16)): bitsandbytes' 4-bit q, k, v, o, wi_0, wi_1, the rest bf16.
--swift-dtype (default: --dtype) goes to `train-bench serve --weights-dtype`: the Swift trainer's bf16 mode (base
weights rounded to bf16, fp32 arithmetic; docs/ARCHITECTURE.md), or its nf4 mode (the bf16 mode with the same linears
in NF4, dequantized to bf16 a tile at a time for each product).
"""
import argparse, json, os, resource, statistics, subprocess, sys, time


def peft_config(method, cfg):
    """PEFT's config for `method` from its pipeline.yaml section, as train-lora reads it ([all-linear] is PEFT's
    "all-linear"); main() checks that both sides train as many parameters."""
    from peft import IA3Config, LoHaConfig, LoKrConfig, LoraConfig, TaskType
    task_type = TaskType.SEQ_2_SEQ_LM
    c = cfg[method]
    targets = "all-linear" if c["target_modules"] == ["all-linear"] else c["target_modules"]
    if method == "lora":
        return LoraConfig(r=c["r"], lora_alpha=c["alpha"], target_modules=targets, lora_dropout=c["dropout"],
                          use_rslora=c["use_rslora"], rank_pattern=c["rank_pattern"], alpha_pattern=c["alpha_pattern"],
                          bias="none", task_type=task_type)
    if method == "ia3":
        return IA3Config(target_modules=targets, feedforward_modules=c["feedforward_modules"], task_type=task_type)
    shared = dict(r=c["r"], alpha=c["alpha"], target_modules=targets, rank_pattern=c["rank_pattern"],
                  alpha_pattern=c["alpha_pattern"], task_type=task_type)
    if method == "loha":
        return LoHaConfig(**shared)
    return LoKrConfig(decompose_both=c["decompose_both"], decompose_factor=c["decompose_factor"], **shared)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="a flan-t5-base-size model directory (make_t5.py --size base)")
    ap.add_argument("--plan", required=True, help="JSON from `train-bench plan`")
    ap.add_argument("--swift-bench", required=True, help="the train-bench executable")
    ap.add_argument("--config", default="pipeline.yaml")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", default=None)
    ap.add_argument("--dtype", choices=["f32", "bf16", "nf4"], default="f32", help="PyTorch's base weights (default f32)")
    ap.add_argument("--method", choices=["lora", "ia3", "loha", "lokr"], default="lora",
                    help="the PEFT method, with its pipeline.yaml section (train-bench serve --set train.mode=METHOD)")
    ap.add_argument("--swift-dtype", choices=["f32", "bf16", "nf4"], default=None,
                    help="train-bench serve --weights-dtype (default: --dtype)")
    args = ap.parse_args()
    args.swift_dtype = args.swift_dtype or args.dtype

    import torch, transformers, peft, yaml
    from transformers import T5ForConditionalGeneration
    from peft import get_peft_model

    transformers.logging.set_verbosity_error()
    torch.set_num_threads(args.threads)
    cfg = yaml.safe_load(open(args.config, encoding="utf-8"))
    if "base" in cfg:
        sys.exit(f"{args.config}: a config with base: is not supported here; give the full pipeline.yaml")
    train = cfg["train"]
    torch.manual_seed(train["seed"])
    plan = json.load(open(args.plan, encoding="utf-8"))

    def pad(rows, value):
        width = max(len(r) for r in rows)
        return torch.tensor([r + [value] * (width - len(r)) for r in rows], dtype=torch.long)

    def tensors(b):
        return pad(b["sources"], 0), pad([[1] * len(s) for s in b["sources"]], 0), pad(b["targets"], -100)

    batches = [tensors(b) for b in plan["batches"]]
    validation = [tensors(b) for b in plan["validation"]]

    torch_dtype = dict(f32=torch.float32, bf16=torch.bfloat16, nf4=torch.bfloat16)[args.dtype]
    quantization = {}
    if args.dtype == "nf4":
        from transformers import BitsAndBytesConfig
        quantization = dict(quantization_config=BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=torch.bfloat16))
    model = T5ForConditionalGeneration.from_pretrained(args.model, attn_implementation="sdpa",
                                                       dropout_rate=train["dropout_rate"], torch_dtype=torch_dtype,
                                                       **quantization)
    pm = get_peft_model(model, peft_config(args.method, cfg))
    params = [p for p in pm.parameters() if p.requires_grad]
    base_dtypes = sorted({str(p.dtype) for p in pm.parameters() if not p.requires_grad})
    lora_dtypes = sorted({str(p.dtype) for p in params})
    expected = [str(torch_dtype)] if args.dtype != "nf4" else sorted([str(torch_dtype), "torch.uint8"])  # bnb's packed codes
    if base_dtypes != expected or lora_dtypes != ["torch.float32"]:
        sys.exit(f"PyTorch --dtype {args.dtype}: base weights {base_dtypes}, {args.method} weights {lora_dtypes}")
    opt = torch.optim.AdamW(params, lr=train["lr"], weight_decay=train["weight_decay"],
                            betas=(train["beta1"], train["beta2"]), eps=train["eps"], fused=True)

    def torch_step(ids, mask, labels):
        pm.train()
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = pm(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, train["max_grad_norm"])
        opt.step()
        return time.perf_counter() - t0, loss.item()

    def torch_validate():
        pm.eval()
        t0 = time.perf_counter()
        total, tokens = 0.0, 0
        with torch.no_grad():
            for ids, mask, labels in validation:
                n = int((labels != -100).sum())
                total += pm(input_ids=ids, attention_mask=mask, labels=labels).loss.item() * n
                tokens += n
        return time.perf_counter() - t0, total / max(tokens, 1)

    swift = subprocess.Popen([args.swift_bench, "serve", "--model", args.model, "--plan", args.plan, "--config", args.config,
                              "--threads", str(args.threads), "--weights-dtype", args.swift_dtype,
                              "--set", f"train.mode={args.method}"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(command):
        swift.stdin.write(command + "\n")
        swift.stdin.flush()
        line = swift.stdout.readline()
        if not line:
            sys.exit(f"train-bench serve stopped (exit {swift.wait()}) on '{command}'")
        return json.loads(line)

    ready = json.loads(swift.stdout.readline() or "{}")
    if not ready.get("ready"):
        sys.exit(f"train-bench serve did not start (exit {swift.wait()})")
    torch_trainable = sum(p.numel() for p in params)
    if ready["trainable_parameters"] != torch_trainable:
        sys.exit(f"trainable parameters differ: Swift {ready['trainable_parameters']}, PyTorch {torch_trainable}")

    # Warm-up on the batch with the most real tokens and the one with the largest padded shape: each side's
    # buffers (Swift's activation arena, PyTorch's allocator cache) reach their peak before any timed step.
    largest = sorted({max(range(len(batches)), key=lambda i: int(batches[i][1].sum())),
                      max(range(len(batches)), key=lambda i: batches[i][0].numel())})
    warm_torch = sum(torch_step(*batches[i])[0] for i in largest)
    warm_swift = sum(ask(f"step {i}")["seconds"] for i in largest)
    # Swift's arena merges the chunks a step added into one at the next step's start, whose pages are touched for
    # the first time then (219,153 page faults against 176-415 in the steps after, Emerald Rapids): one more untimed
    # step keeps that out of the first timed one.
    warm_swift += ask(f"step {largest[0]}")["seconds"]
    print(f"method: {args.method} (Swift: {ready.get('method', '?')}); "
          f"dtype: PyTorch {args.dtype} (base weights {base_dtypes[0]}, adapter {lora_dtypes[0]}), "
          f"Swift --weights-dtype {args.swift_dtype}; Swift's products: {ready.get('product', '?')} "
          f"(CPU bf16 features: {ready.get('bf16_cpu_features', '?')}"
          + (f"; AVX512_BF16's dot product: {ready['bf16_dot_over_fma']:.2f}x the fp32 FMA's multiply-adds a second"
             if ready.get("bf16_dot_over_fma") else "") + ")", flush=True)
    print(f"{len(batches)} of {plan['totalSteps']} steps of the reference run ({plan['trainExamples']} examples, "
          f"{plan['stepsPerEpoch']} steps/epoch, group_by_length {str(plan['groupByLength']).lower()}, seed {plan['seed']}), "
          f"threads {args.threads}; warm-up on batches {largest}: PyTorch {warm_torch:.2f} s, Swift {warm_swift:.2f} s",
          flush=True)
    print(f"{'step':>5s} {'B':>2s} {'src max':>7s} {'src real':>8s} {'tgt max':>7s} {'GFLOP':>6s} "
          f"{'PyTorch s':>9s} {'Swift s':>8s} {'ratio':>6s}", flush=True)
    rows = []
    for i, (b, (ids, mask, labels)) in enumerate(zip(plan["batches"], batches)):
        if i % 2 == 0:
            t, tl = torch_step(ids, mask, labels)
            s = ask(f"step {i}")
        else:
            s = ask(f"step {i}")
            t, tl = torch_step(ids, mask, labels)
        row = dict(step=b["step"], batch=len(b["sources"]), source_max=int(ids.shape[1]), target_max=int(labels.shape[1]),
                   source_tokens=int(mask.sum()), target_tokens=int((labels != -100).sum()),
                   source_padded=int(ids.numel()), target_padded=int(labels.numel()),
                   gflop=s["gflop"], attention_gflop=s["attention_gflop"], attention_s=s["attention_s"], torch_s=t,
                   swift_s=s["seconds"], torch_loss=tl, swift_loss=s["loss"], ratio=t / s["seconds"])
        rows.append(row)
        print(f"{row['step']:5d} {row['batch']:2d} {row['source_max']:7d} {row['source_tokens']:8d} {row['target_max']:7d} "
              f"{row['gflop']:6.0f} {t:9.2f} {s['seconds']:8.2f} {row['ratio']:6.2f}", flush=True)

    torch_val_first, _ = torch_validate()
    sv_first = ask("validate")
    sv = ask("validate")
    torch_val, torch_val_loss = torch_validate()
    swift_val_first, swift_val, swift_val_loss = sv_first["seconds"], sv["seconds"], sv["loss"]
    swift_rss = ask("quit")["peak_rss_mib"]
    swift.wait()
    torch_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    ratios = [r["ratio"] for r in rows]
    mean_torch = statistics.mean(r["torch_s"] for r in rows)
    mean_swift = statistics.mean(r["swift_s"] for r in rows)
    total, passes = plan["totalSteps"], plan["validationPasses"]
    # every validation pass of the run: the first once, the warm one for the rest
    validating_torch = torch_val_first + (passes - 1) * torch_val
    validating_swift = swift_val_first + (passes - 1) * swift_val
    run_torch = total * mean_torch + validating_torch
    run_swift = total * mean_swift + validating_swift
    src_real = sum(r["source_tokens"] for r in rows)
    src_padded = sum(r["source_padded"] for r in rows)
    gflop = sum(r["gflop"] for r in rows)
    val_examples = sum(len(b["sources"]) for b in plan["validation"])
    attention_s = sum(r["attention_s"] for r in rows)
    attention_gflop = sum(r["attention_gflop"] for r in rows)
    swift_total = sum(r["swift_s"] for r in rows)
    print()
    print(f"Swift's per-head attention (products, softmax, dropout, forward + backward): {100 * attention_s / swift_total:.0f}% "
          f"of step time for {100 * attention_gflop / gflop:.0f}% of the FLOPs; attention {attention_gflop / attention_s:.0f} GFLOP/s, "
          f"the rest {(gflop - attention_gflop) / (swift_total - attention_s):.0f} GFLOP/s; "
          f"validation: {100 * sv['attention_s'] / swift_val:.0f}% attention")
    print(f"padding: {100 * (1 - src_real / src_padded):.0f}% of PyTorch's source positions are padding; "
          f"Swift computes real tokens only ({gflop / sum(r['swift_s'] for r in rows):.0f} GFLOP/s of real-token work)")
    print(f"{f'PyTorch {args.dtype}, Swift {args.swift_dtype}':34s} {'PyTorch':>10s} {'Swift':>10s}")
    print(f"{'mean step (s)':34s} {mean_torch:10.2f} {mean_swift:10.2f}")
    print(f"{'median step (s)':34s} {statistics.median(r['torch_s'] for r in rows):10.2f} "
          f"{statistics.median(r['swift_s'] for r in rows):10.2f}")
    print(f"{f'validation pass, {val_examples} examples (s)':34s} {torch_val:10.2f} {swift_val:10.2f}")
    print(f"{'  the first pass (s)':34s} {torch_val_first:10.2f} {swift_val_first:10.2f}")
    print(f"{f'projected run: {total} steps + {passes} passes':34s} {run_torch / 3600:9.2f}h {run_swift / 3600:9.2f}h")
    # The sampled steps' mean is a noisy estimate when batch sizes vary a lot (grouped batches): the same projection
    # by the FLOP count, the whole run's work at each side's measured rate (PyTorch computes the padded shapes).
    rate_swift = gflop / sum(r["swift_s"] for r in rows)
    rate_torch = sum(b["gflopPadded"] for b in plan["batches"]) / sum(r["torch_s"] for r in rows)
    flops_torch = plan["runGFLOPPadded"] / rate_torch + validating_torch
    flops_swift = plan["runGFLOP"] / rate_swift + validating_swift
    print(f"{'  by the FLOP count at those rates':34s} {flops_torch / 3600:9.2f}h {flops_swift / 3600:9.2f}h")
    print(f"{'peak RSS (MiB)':34s} {torch_rss:10.0f} {swift_rss:10.0f}")
    print(f"validation loss: PyTorch {args.dtype} {torch_val_loss:.4f}, Swift {args.swift_dtype} {swift_val_loss:.4f} "
          f"(different random adapter initialisations and dropout{'; PyTorch bf16 losses are bf16-rounded' if args.dtype == 'bf16' else ''})")
    print(f"per-step ratio PyTorch {args.dtype}/Swift {args.swift_dtype}: median of {len(ratios)} paired ratios {statistics.median(ratios):.2f}x "
          f"(range {min(ratios):.2f}-{max(ratios):.2f}x); mean-step ratio {mean_torch / mean_swift:.2f}x; "
          f"projected-run ratio {run_torch / run_swift:.2f}x   (>1: Swift faster)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(rows=rows, method=args.method, dtype=args.dtype, swift_dtype=args.swift_dtype, torch_base_dtype=base_dtypes[0],
                           torch_lora_dtype=lora_dtypes[0], threads=args.threads, total_steps=total, validation_passes=passes,
                           mean_step_torch_s=mean_torch, mean_step_swift_s=mean_swift,
                           warmup_torch_s=warm_torch, warmup_swift_s=warm_swift,
                           validation_torch_s=torch_val, validation_swift_s=swift_val,
                           validation_first_torch_s=torch_val_first, validation_first_swift_s=swift_val_first,
                           projected_torch_s=run_torch, projected_swift_s=run_swift,
                           projected_by_flops_torch_s=flops_torch, projected_by_flops_swift_s=flops_swift,
                           median_paired_ratio=statistics.median(ratios), attention_s=attention_s, attention_gflop=attention_gflop,
                           peak_rss_torch_mib=torch_rss,
                           peak_rss_swift_mib=swift_rss, group_by_length=plan["groupByLength"],
                           swift_base_weight_bytes=ready.get("base_weight_bytes"),
                           swift_rss_after_load_mib=ready.get("rss_after_load_mib"),
                           torch=torch.__version__, transformers=transformers.__version__, peft=peft.__version__,
                           load_average=os.getloadavg()[0]), f, indent=1)


if __name__ == "__main__":
    main()
