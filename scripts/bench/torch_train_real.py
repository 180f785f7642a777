#!/usr/bin/env python3
"""PyTorch + PEFT LoRA training steps on real-length batches (make_real_length_batches.py).

The setup is bench_torch.py's lora_train_step, unchanged: T5ForConditionalGeneration.from_pretrained
(attn_implementation --attn, sdpa), peft LoraConfig(r=32, lora_alpha=32, target_modules ["q","v"],
lora_dropout=0.05, bias "none", SEQ_2_SEQ_LM), model.train() (T5 dropout 0.1 active), AdamW(fused,
lr 1e-3, wd 0.01, betas (0.9, 0.999), eps 1e-8), one step = zero_grad + forward + backward +
clip_grad_norm_(1.0) + AdamW step; torch.set_num_threads(--threads), torch.manual_seed(--seed).

Each batch is right-padded to its own longest row: input_ids padded with 0 and an attention mask,
labels padded with -100; the model makes decoder_input_ids from the labels (shift right after
decoder_start 0, -100 -> pad), as Hugging Face training does. One warm-up step on the first batch
(--warmup), then one timed step per batch. examples_per_s = all examples / total timed seconds.
"""
import argparse, json, os, resource, statistics, time


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--batches", required=True, help="JSON from make_real_length_batches.py")
    ap.add_argument("--json", required=True, help="output JSON")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--attn", choices=["sdpa", "eager"], default="sdpa")
    ap.add_argument("--warmup", type=int, default=1, help="warm-up steps on the first batch")
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()

    import torch, transformers, peft
    from transformers import T5ForConditionalGeneration
    from peft import LoraConfig, TaskType, get_peft_model

    transformers.logging.set_verbosity_error()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    spec = json.load(open(args.batches, encoding="utf-8"))

    def pad(rows, value):
        width = max(len(r) for r in rows)
        return torch.tensor([r + [value] * (width - len(r)) for r in rows], dtype=torch.long)

    batches = []
    for b in spec["batches"]:
        ids = pad(b["sources"], 0)
        mask = pad([[1] * len(s) for s in b["sources"]], 0)
        labels = pad(b["targets"], -100)
        batches.append((ids, mask, labels))

    model = T5ForConditionalGeneration.from_pretrained(args.model, attn_implementation=args.attn)
    lcfg = LoraConfig(r=32, lora_alpha=32, target_modules=["q", "v"], lora_dropout=0.05, bias="none",
                      task_type=TaskType.SEQ_2_SEQ_LM)
    pm = get_peft_model(model, lcfg)
    pm.train()
    params = [p for p in pm.parameters() if p.requires_grad]
    ntrain = sum(p.numel() for p in params)
    opt = torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01, betas=(0.9, 0.999), eps=1e-8, fused=True)

    def step(ids, mask, labels):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = pm(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        return time.perf_counter() - t0, loss.item()

    warm = [step(*batches[0]) for _ in range(args.warmup)]
    ts, losses = [], []
    for b in batches:
        t, loss = step(*b)
        ts.append(t)
        losses.append(loss)

    total = sum(ts)
    examples = sum(int(ids.shape[0]) for ids, _, _ in batches)
    real_src = sum(int(m.sum()) for _, m, _ in batches)
    real_tgt = sum(int((l != -100).sum()) for _, _, l in batches)
    pad_src = sum(int(ids.numel()) for ids, _, _ in batches)
    pad_tgt = sum(int(l.numel()) for _, _, l in batches)
    res = dict(
        median_s=statistics.median(ts), all_s=ts, total_s=total, warmup_s=[w[0] for w in warm],
        examples=examples, examples_per_s=examples / total, samples_per_s=examples / total,
        tokens_source=real_src, tokens_target=real_tgt, tokens_source_padded=pad_src, tokens_target_padded=pad_tgt,
        tokens_per_s=(real_src + real_tgt) / total, padded_tokens_per_s=(pad_src + pad_tgt) / total,
        shapes=[list(ids.shape) + [int(l.shape[1])] for ids, _, l in batches],
        losses=losses, warmup_losses=[w[1] for w in warm], trainable_params=ntrain,
        threads=args.threads, attn=args.attn, torch=torch.__version__, transformers=transformers.__version__,
        peft=peft.__version__, model=os.path.abspath(args.model),
        peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )
    print(f"torch {torch.__version__}, threads={args.threads}, attn={args.attn}, {len(batches)} batches "
          f"(warm-up {args.warmup} on batch 0)")
    for (ids, _, l), t, loss in zip(batches, ts, losses):
        print(f"  B={ids.shape[0]} S={ids.shape[1]:3d} T={l.shape[1]:3d}  {t:.3f} s  loss {loss:.4f}")
    print(f"median {res['median_s']:.3f} s, {res['examples_per_s']:.2f} examples/s, peak RSS {res['peak_rss_mib']:.0f} MiB")
    with open(args.json, "w") as f:
        json.dump(res, f, indent=1)
    print("wrote", args.json)


if __name__ == "__main__":
    main()
