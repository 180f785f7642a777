#!/usr/bin/env python3
"""The nf4 mode's 4-bit weights of a whole model against bitsandbytes', byte for byte.

Loads MODEL_DIR (e.g. a random flan-t5-base from scripts/reference/make_t5.py --size base) the way the QLoRA section of
the tutorial does, transformers + bitsandbytes with torch_dtype=torch.bfloat16 and
BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
bnb_4bit_compute_dtype=torch.bfloat16), and compares every Linear4bit's packed codes, absmax codes, nested absmax and
offset with what `t5-bench --model MODEL_DIR --quantize-to FILE` wrote (the Swift engine's nf4 load); also that the
set of quantized modules is the same. Prints one line per kind of tensor and exits 1 on any difference.

    $PY scripts/check/nf4_base_parity.py --model /tmp/t5base --swift-bench .build-bench/release/t5-bench

Needs the reference venv with bitsandbytes (scripts/reference/setup.sh, or make reference-venv).
"""
import argparse, os, subprocess, sys, tempfile, time

import torch
import bitsandbytes, transformers
from safetensors import safe_open
from transformers import BitsAndBytesConfig, T5ForConditionalGeneration


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--swift-bench", required=True, help="the t5-bench executable")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    transformers.logging.set_verbosity_error()

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "nf4.safetensors")
        subprocess.run([args.swift_bench, "--model", args.model, "--quantize-to", out, "--threads", str(args.threads)],
                       check=True)
        swift = {}
        with safe_open(out, "pt") as f:
            for k in f.keys():
                swift[k] = f.get_tensor(k)

    t0 = time.perf_counter()
    config = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                                bnb_4bit_compute_dtype=torch.bfloat16)
    model = T5ForConditionalGeneration.from_pretrained(args.model, dtype=torch.bfloat16, quantization_config=config)
    print(f"bitsandbytes {bitsandbytes.__version__}, transformers {transformers.__version__}, torch {torch.__version__}: "
          f"loaded and quantized in {time.perf_counter() - t0:.1f} s")
    reference = {}
    for name, module in model.named_modules():
        if isinstance(module, bitsandbytes.nn.Linear4bit):
            qs = module.weight.quant_state
            reference[name + ".packed"] = module.weight.data.reshape(-1)
            reference[name + ".codes"] = qs.absmax.reshape(-1)
            reference[name + ".nested_absmax"] = qs.state2.absmax.reshape(-1)
            reference[name + ".offset"] = qs.offset.reshape(1).float()

    if set(reference) != set(swift):
        print(f"different modules: only bitsandbytes {sorted(set(reference) - set(swift))[:5]}, "
              f"only Swift {sorted(set(swift) - set(reference))[:5]}")
        return 1
    failed = 0
    for kind in ["packed", "codes", "nested_absmax", "offset"]:
        names = [k for k in reference if k.endswith("." + kind)]
        same = sum(torch.equal(reference[k].view(torch.uint8), swift[k].view(torch.uint8)) for k in names)
        values = sum(reference[k].numel() for k in names)
        print(f"{kind}: {same}/{len(names)} tensors byte-identical ({values:,} values)")
        failed += len(names) - same
    print(f"{len(reference) // 4} quantized linears: {'all identical' if failed == 0 else f'{failed} tensors differ'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
