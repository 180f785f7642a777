#!/usr/bin/env python3
"""Does train-lora's loss fall like PyTorch + PEFT's on the same task?

Trains a LoRA adapter with transformers + PEFT on the same token files, base model and
hyper-parameters as a finished `train-lora` run (dropout on: T5 0.1, LoRA 0.05; AdamW,
linear decay, clipping), then prints both loss curves as windowed means side by side.
The two runs draw different batches and dropout masks (different generators), so the
curves are compared statistically, not step by step.

    $PY scripts/check/loss_curve_vs_peft.py --data data/demo --config pipeline.demo.yaml [--first 50]

The PyTorch model is loaded in the config's train.weights_dtype (--dtype overrides): bf16 as the tutorial does it,
`from_pretrained(torch_dtype=torch.bfloat16)` with PEFT's adapters in fp32, against train-lora's bf16 mode;
--first N also prints the first N losses of each side step by step.

Needs the reference venv (scripts/reference/setup.sh, or make reference-venv).
"""
import argparse, json, math
import torch, yaml
from safetensors import safe_open
from transformers import T5ForConditionalGeneration, get_linear_schedule_with_warmup
from peft import LoraConfig, get_peft_model


def load_config(path):
    cfg = yaml.safe_load(open(path))
    base = cfg.pop("base", None)
    out = load_config(path.rsplit("/", 1)[0] + "/" + base if "/" in path else base) if base else {}
    for section, values in cfg.items():
        out.setdefault(section, {}).update(values)
    return out


def ragged(f, name):
    flat, off = f.get_tensor(f"{name}_ids"), f.get_tensor(f"{name}_offsets")
    return [flat[off[i]:off[i + 1]].tolist() for i in range(len(off) - 1)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="data/demo")
    ap.add_argument("--config", default="pipeline.demo.yaml")
    ap.add_argument("--window", type=int, default=20)
    ap.add_argument("--dtype", choices=["f32", "bf16"], default=None, help="default: the config's train.weights_dtype")
    ap.add_argument("--first", type=int, default=0, help="also print the first N losses of both runs")
    a = ap.parse_args()
    c = load_config(a.config)
    dtype = a.dtype or c["train"].get("weights_dtype", "f32")
    t, l = c["train"], c["lora"]
    torch.manual_seed(int(t["seed"]))
    torch.set_num_threads(int(c["runtime"]["threads"]))
    with safe_open(f"{a.data}/tokens/train.safetensors", "pt") as f:
        sources, labels = ragged(f, "source"), ragged(f, "label")
    model = T5ForConditionalGeneration.from_pretrained(f"{a.data}/model", dropout_rate=float(t["dropout_rate"]),
                                                       torch_dtype=torch.bfloat16 if dtype == "bf16" else torch.float32)
    model = get_peft_model(model, LoraConfig(r=int(l["r"]), lora_alpha=float(l["alpha"]), lora_dropout=float(l["dropout"]),
                                             target_modules=list(l["target_modules"]), bias="none", task_type="SEQ_2_SEQ_LM"))
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=float(t["lr"]), betas=(float(t["beta1"]), float(t["beta2"])),
                            eps=float(t["eps"]), weight_decay=float(t["weight_decay"]))
    b = int(t["batch_size"])
    steps = int(t["max_steps"]) or int(t["epochs"]) * math.ceil(len(sources) / b)
    sched = get_linear_schedule_with_warmup(opt, int(t["warmup_steps"]), steps)
    torch_losses = []
    order = []
    while len(torch_losses) < steps:
        if not order:
            order = torch.randperm(len(sources)).tolist()
        idx, order = order[:b], order[b:]
        s = [sources[i] for i in idx]; y = [labels[i] for i in idx]
        ws, wy = max(map(len, s)), max(map(len, y))
        ids = torch.tensor([x + [0] * (ws - len(x)) for x in s])
        mask = torch.tensor([[1] * len(x) + [0] * (ws - len(x)) for x in s])
        lab = torch.tensor([x + [-100] * (wy - len(x)) for x in y])
        loss = model(input_ids=ids, attention_mask=mask, labels=lab).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, float(t["max_grad_norm"]))
        opt.step(); sched.step(); opt.zero_grad()
        torch_losses.append(loss.item())
    ours = [json.loads(line)["loss"] for line in open(f"{a.data}/adapter/log.jsonl") if '"loss"' in line]
    assert all(p.dtype == torch.float32 for p in params), "PEFT keeps the adapters in fp32"
    print(f"PyTorch + PEFT with the base model in {dtype} ({next(model.parameters()).dtype} base weights, fp32 LoRA);"
          f" train-lora's log from {a.data}/adapter/log.jsonl")
    if a.first:
        print(f"{'step':>5}  {'train-lora':>10}  {'PyTorch+PEFT':>12}")
        for i in range(min(a.first, len(ours), len(torch_losses))):
            print(f"{i + 1:>5}  {ours[i]:>10.4f}  {torch_losses[i]:>12.4f}")
    w = a.window
    print(f"{'steps':>11}  {'train-lora':>10}  {'PyTorch+PEFT':>12}")
    for start in range(0, min(len(ours), len(torch_losses)), w):
        o = ours[start:start + w]; p = torch_losses[start:start + w]
        print(f"{start + 1:>5}-{start + len(o):<5}  {sum(o) / len(o):>10.4f}  {sum(p) / len(p):>12.4f}")
    tail = min(w, len(ours))
    print(json.dumps({"steps": steps, "first_window_mean": [sum(ours[:w]) / w, sum(torch_losses[:w]) / w],
                      "last_window_mean": [sum(ours[-tail:]) / tail, sum(torch_losses[-tail:]) / tail]}))


if __name__ == "__main__":
    main()
