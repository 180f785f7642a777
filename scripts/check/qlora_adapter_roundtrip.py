#!/usr/bin/env python3
"""An adapter trained on the nf4 base (train.weights_dtype nf4) loads in PEFT on top of a bitsandbytes 4-bit model, and
what our engine generated on the nf4 base is what that model computes, within bf16's tolerance.

Loads the run's base model as the tutorial's QLoRA section does (transformers + bitsandbytes: torch_dtype bf16,
BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
bnb_4bit_compute_dtype=torch.bfloat16)) with the adapter through PEFT, then for each test example:
  - greedy-decodes it (PEFT's generate) and compares the text with our `predictions/lora.jsonl` (made with
    generation.weights_dtype nf4): identical texts are expected for most, not all, examples, since PyTorch rounds every
    activation and the logits to bf16 and we keep them fp32;
  - runs PEFT + bitsandbytes teacher-forced on OUR predicted tokens and measures, at every step, how far our token's
    logit is below that model's best (the margin): 0 where we chose its argmax. A near-tie decided the other way by
    bf16 rounding gives a small margin; a wrong adapter, base or quantization gives large ones. Our tokens are the
    prediction's text encoded again (the file holds text): a text its pieces do not give back is skipped, and EOS is
    scored only where the text is shorter than --max-new-tokens (the run's generation.max_new_tokens: 48 on the demo).
Prints a JSON summary and exits 1 when the largest margin exceeds --tolerance (default 0.25 logits: a few bf16 steps at
the logits' magnitude) or fewer than --min-identical of the texts agree.

    $PY scripts/check/qlora_adapter_roundtrip.py --data data/demo [--limit 60] [--max-new-tokens 48]

Needs the reference venv with bitsandbytes (scripts/reference/setup.sh, or make reference-venv).
"""
import argparse, json, sys

import sentencepiece as spm
import torch
import bitsandbytes, peft, transformers
from peft import PeftModel
from transformers import BitsAndBytesConfig, T5ForConditionalGeneration

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from peft_adapter_roundtrip import decode, greedy, token_file  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="data/demo")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--max-new-tokens", type=int, default=48)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tolerance", type=float, default=0.25)
    ap.add_argument("--min-identical", type=float, default=0.8)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    transformers.logging.set_verbosity_error()
    ids, sources = token_file(f"{a.data}/tokens/test.safetensors")
    if a.limit:
        ids, sources = ids[:a.limit], sources[:a.limit]
    sp = spm.SentencePieceProcessor(model_file=f"{a.data}/model/spiece.model")
    with open(f"{a.data}/predictions/lora.jsonl") as f:
        ours = {r["id"]: r["prediction"] for r in map(json.loads, f)}

    config = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                                bnb_4bit_compute_dtype=torch.bfloat16)
    base = T5ForConditionalGeneration.from_pretrained(f"{a.data}/model", dtype=torch.bfloat16, quantization_config=config)
    model = PeftModel.from_pretrained(base.eval(), f"{a.data}/adapter").eval()
    quantized = sum(isinstance(m, bitsandbytes.nn.Linear4bit) for m in model.modules())

    texts = [decode(sp, g) for g in greedy(model, sources, a.max_new_tokens)]
    identical = sum(ours[i] == t for i, t in zip(ids, texts))

    # teacher-forced on our tokens: our text re-encoded is not our ids (sentencepiece round trip), so score the ids
    # PEFT would read from our text; the margin is taken where both decodings agree on the prefix
    margins, steps, argmax_steps, reencoded = [], 0, 0, 0
    for i, src in zip(ids, sources):
        target = sp.encode(ours[i])
        if sp.decode(target) != ours[i]:
            reencoded += 1  # the text does not come back from its own pieces: not our ids, skip it
            continue
        if len(target) < a.max_new_tokens:
            target.append(1)  # our decoding ended with EOS (a text of max_new_tokens pieces was cut instead)
        dec = torch.tensor([[0] + target[:-1]])
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([src]), decoder_input_ids=dec).logits[0].float()
        chosen = logits[torch.arange(len(target)), torch.tensor(target)]
        margin = (logits.max(-1).values - chosen)
        margins.append(float(margin.max()))
        steps += len(target)
        argmax_steps += int((margin == 0).sum())
    result = dict(examples=len(ids), identical_texts=identical, quantized_linears=quantized,
                  scored_examples=len(margins), skipped_not_reencodable=reencoded,
                  steps=steps, steps_at_argmax=argmax_steps, largest_margin=max(margins),
                  examples_with_margin_over_0_1=sum(m > 0.1 for m in margins),
                  versions=dict(bitsandbytes=bitsandbytes.__version__, peft=peft.__version__,
                                transformers=transformers.__version__, torch=torch.__version__))
    first = next(((i, ours[i], t) for i, t in zip(ids, texts) if ours[i] != t), None)
    if first:
        result["first_difference"] = dict(id=first[0], ours=first[1], peft_bitsandbytes=first[2])
    print(json.dumps(result, indent=2))
    ok = result["largest_margin"] <= a.tolerance and identical >= a.min_identical * len(ids)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
