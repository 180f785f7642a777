#!/usr/bin/env python3
"""An adapter written by train-lora (any PEFT method) loads in Python PEFT and generates what our engine generates.

Loads the base model (transformers) and the adapter (PEFT) that a pipeline run produced,
greedy-decodes the tokenised test split with the run's settings, and compares the decoded
texts with `data/.../predictions/lora.jsonl` from our `generate --variant lora`. Also runs
the base model alone against `base.jsonl`, and reports the largest logit difference of the
first decoding step between PEFT and a merged-weight evaluation.

    $PY scripts/check/peft_adapter_roundtrip.py --data data/demo [--limit 120] [--max-new-tokens 48]

Needs the reference venv (scripts/reference/setup.sh, or make reference-venv).
"""
import argparse, json, sys
import sentencepiece as spm
import torch
from safetensors import safe_open
from transformers import T5ForConditionalGeneration
from peft import PeftModel


def token_file(path):
    with safe_open(path, "pt") as f:
        meta = f.metadata()
        ids = json.loads(meta["ids"])
        src, off = f.get_tensor("source_ids"), f.get_tensor("source_offsets")
    return ids, [src[off[i]:off[i + 1]].tolist() for i in range(len(ids))]


def padded_batches(sources, batch):
    """Batches of `batch` sources right-padded with 0 as Hugging Face collates them: (input_ids, attention_mask)."""
    for i in range(0, len(sources), batch):
        chunk = sources[i:i + batch]
        width = max(len(s) for s in chunk)
        yield (torch.tensor([s + [0] * (width - len(s)) for s in chunk]),
               torch.tensor([[1] * len(s) + [0] * (width - len(s)) for s in chunk]))


def greedy(model, sources, max_new_tokens, batch=16):
    out = []
    for ids, mask in padded_batches(sources, batch):
        with torch.no_grad():
            gen = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=max_new_tokens, num_beams=1, do_sample=False)
        out += gen[:, 1:].tolist()
    return out


def greedy_by_forward(model, sources, max_new_tokens, batch=16):
    """Greedy decoding by full forward passes (no cache): what PEFT's forward computes. Prefix tuning needs it:
    PEFT 0.21.2's generate on T5 drops the prefix (transformers passes its own cache)."""
    out = []
    for ids, mask in padded_batches(sources, batch):
        dec = torch.zeros(len(ids), 1, dtype=torch.long)
        done = torch.zeros(len(ids), dtype=torch.bool)
        with torch.no_grad():
            for _ in range(max_new_tokens):
                nxt = model(input_ids=ids, attention_mask=mask, decoder_input_ids=dec).logits[:, -1].argmax(-1)
                nxt = torch.where(done, torch.zeros_like(nxt), nxt)
                dec = torch.cat([dec, nxt[:, None]], dim=1)
                done |= nxt == 1
                if bool(done.all()):
                    break
        out += dec[:, 1:].tolist()
    return out


def decode(sp, ids):
    pieces = sp.get_piece_size()
    return sp.decode([i for i in ids if i not in (0, 1) and i < pieces])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="data/demo")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--max-new-tokens", type=int, default=48)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    ids, sources = token_file(f"{a.data}/tokens/test.safetensors")
    if a.limit:
        ids, sources = ids[:a.limit], sources[:a.limit]
    sp = spm.SentencePieceProcessor(model_file=f"{a.data}/model/spiece.model")
    ours = {}
    for variant in ("base", "lora"):
        with open(f"{a.data}/predictions/{variant}.jsonl") as f:
            ours[variant] = {r["id"]: r["prediction"] for r in map(json.loads, f)}

    base = T5ForConditionalGeneration.from_pretrained(f"{a.data}/model").eval()
    results = {}
    base_texts = [decode(sp, g) for g in greedy(base, sources, a.max_new_tokens)]
    peft = PeftModel.from_pretrained(base, f"{a.data}/adapter").eval()
    config = peft.peft_config["default"]
    decoding = greedy_by_forward if config.peft_type == "PREFIX_TUNING" else greedy
    results["peft_type"] = str(config.peft_type.value if hasattr(config.peft_type, "value") else config.peft_type)
    lora_texts = [decode(sp, g) for g in decoding(peft, sources, a.max_new_tokens)]
    for variant, texts in (("base", base_texts), ("lora", lora_texts)):
        same = sum(ours[variant].get(i) == t for i, t in zip(ids, texts))
        results[variant] = {"identical": same, "of": len(ids)}
        for i, t in zip(ids, texts):
            if ours[variant].get(i) != t:
                results[variant]["first_difference"] = {"id": i, "ours": ours[variant].get(i), "transformers": t}
                break
    # PEFT unmerged vs merged weights on the first decoder step: the adapter's math agrees (prompts do not merge).
    if not config.is_prompt_learning:
        x = torch.tensor([sources[0]])
        start = torch.tensor([[0]])
        with torch.no_grad():
            unmerged = peft(input_ids=x, decoder_input_ids=start).logits
            merged_model = peft.merge_and_unload()
            merged = merged_model(input_ids=x, decoder_input_ids=start).logits
        results["peft_merged_vs_unmerged_max_abs_logit_diff"] = float((unmerged - merged).abs().max())
    print(json.dumps(results, indent=2))
    sys.exit(0 if all(results[v]["identical"] == results[v]["of"] for v in ("base", "lora")) else 1)


if __name__ == "__main__":
    main()
