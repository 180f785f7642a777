#!/usr/bin/env python3
"""A randomly initialised flan-t5-architecture T5ForConditionalGeneration, in Hugging Face layout.

Writes into --out: config.json, model.safetensors, generation_config.json, make_t5_info.json (the
init recipe, parameter count, tensor shapes, the weights' sha256) and, with --spiece, spiece.model.
The benchmarks use `--size base` (flan-t5-base sizes, 247,577,856 parameters); the test fixtures
build their own smaller-vocabulary models with the same recipe (scripts/fixtures/t5_make_fixtures.py).

Architecture, every size: gated-gelu feed-forward (gelu_new), untied lm_head (no d_model^-0.5
rescaling of the decoder output), 32 relative-position buckets, max distance 128, RMS norm eps 1e-6,
vocab 32128, pad 0, eos 1, decoder start 0, dropout 0.1 (as google/flan-t5-base).

  size   d_model d_kv d_ff heads layers (enc+dec)
  tiny        64   16  128     4  2+2
  small      512   64 1024     6  8+8
  base       768   64 2048    12 12+12
  large     1024   64 2816    16 24+24   (google/flan-t5-large: the QLoRA memory benchmark)

Init "varied" (default). transformers' own init gives embeddings and lm_head std 1, so logits have
std 8-25 and greedy decoding repeats one token. Instead every tensor is drawn from one
torch.Generator seeded with --seed, in named_parameters() order:
  shared.weight                 N(0, 1)
  lm_head.weight                N(0, (lm_gain / sqrt(d_model))^2), then the EOS row (id 1) times
                                eos_scale, so that generation does stop sometimes
  *.q.weight, *.k.weight        N(0, 1 / (fan_in * sqrt(d_kv)))   (attention scores of std ~d_kv^0.25)
  any other Linear weight       N(0, 1 / fan_in)
  relative_attention_bias       N(0, 1)
  *layer_norm.weight            1 + ln_jitter * N(0, 1)   (not all ones, so a dropped norm weight shows)
--init hf keeps transformers' init instead (torch seeded with --seed; lm_head N(0, 1)).
Same arguments, same bytes.

transformers 5 ties lm_head to the embeddings whatever the config says. The script unties it,
then rewrites config.json with tie_word_embeddings false and without the internal
scale_decoder_outputs key (like flan-t5-base's own config), reloads the directory and checks that the
reloaded model gives exactly the same logits.
"""
import argparse
import hashlib
import json
import math
import os
import shutil

from t5_checkpoint import save_t5

SIZES = {
    "tiny": dict(d_model=64, d_kv=16, d_ff=128, num_heads=4, num_layers=2, num_decoder_layers=2),
    "small": dict(d_model=512, d_kv=64, d_ff=1024, num_heads=6, num_layers=8, num_decoder_layers=8),
    "base": dict(d_model=768, d_kv=64, d_ff=2048, num_heads=12, num_layers=12, num_decoder_layers=12),
    "large": dict(d_model=1024, d_kv=64, d_ff=2816, num_heads=16, num_layers=24, num_decoder_layers=24),
}
PAD, EOS, DECODER_START = 0, 1, 0


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", choices=sorted(SIZES), required=True)
    ap.add_argument("--seed", type=int, default=0, help="seed of every draw (default 0)")
    ap.add_argument("--out", required=True, help="output directory (created)")
    ap.add_argument("--spiece", help="a sentencepiece model to copy in as spiece.model")
    ap.add_argument("--init", choices=["varied", "hf"], default="varied")
    ap.add_argument("--lm-gain", type=float, default=3.0)
    ap.add_argument("--eos-scale", type=float, default=2.0)
    ap.add_argument("--ln-jitter", type=float, default=0.2)
    ap.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    return ap.parse_args()


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def varied_init(model, cfg, args, torch):
    """Draws every parameter as the module docstring says; returns {name: recipe text}."""
    gen = torch.Generator().manual_seed(args.seed)
    recipe, seen = {}, set()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.data_ptr() in seen:  # a shared tensor is drawn once
                continue
            seen.add(p.data_ptr())
            if "layer_norm" in name:
                p.copy_(1.0 + args.ln_jitter * torch.randn(p.shape, generator=gen))
                recipe[name] = f"1+{args.ln_jitter}*N(0,1)"
            elif name == "shared.weight" or "relative_attention_bias" in name:
                p.copy_(torch.randn(p.shape, generator=gen))
                recipe[name] = "N(0,1)"
            elif name == "lm_head.weight":
                std = args.lm_gain / math.sqrt(cfg.d_model)
                p.copy_(torch.randn(p.shape, generator=gen) * std)
                p[cfg.eos_token_id] *= args.eos_scale
                recipe[name] = f"N(0,{std:.6g}^2), row {cfg.eos_token_id} x{args.eos_scale}"
            elif p.dim() == 2:
                std = 1.0 / math.sqrt(p.shape[1])
                if name.endswith((".q.weight", ".k.weight")):
                    std *= cfg.d_kv ** -0.25
                p.copy_(torch.randn(p.shape, generator=gen) * std)
                recipe[name] = f"N(0,{std:.6g}^2)"
            else:
                raise RuntimeError(f"no init rule for {name} {tuple(p.shape)}")
    return recipe


def main():
    args = parse_args()
    import torch
    import transformers
    from safetensors import safe_open
    from transformers import T5Config, T5ForConditionalGeneration

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    cfg = T5Config(
        vocab_size=32128, feed_forward_proj="gated-gelu", tie_word_embeddings=False,
        relative_attention_num_buckets=32, relative_attention_max_distance=128, layer_norm_epsilon=1e-6,
        decoder_start_token_id=DECODER_START, pad_token_id=PAD, eos_token_id=EOS, dropout_rate=0.1,
        initializer_factor=1.0, n_positions=512, architectures=["T5ForConditionalGeneration"],
        **SIZES[args.size])
    model = T5ForConditionalGeneration(cfg)
    if model.lm_head.weight.data_ptr() == model.shared.weight.data_ptr():
        model.lm_head.weight = torch.nn.Parameter(model.shared.weight.detach().clone())
    assert model.lm_head.weight.data_ptr() != model.shared.weight.data_ptr()

    recipe = {}
    if args.init == "hf":
        with torch.no_grad():  # transformers' rule for an untied lm_head
            model.lm_head.weight.normal_(0.0, cfg.initializer_factor)
    else:
        recipe = varied_init(model, cfg, args, torch)
    model.eval()

    # Logits of a fixed random batch, to compare with the reloaded files.
    check = torch.Generator().manual_seed(1234)
    input_ids = torch.randint(3, 32000, (2, 9), generator=check)
    decoder_ids = torch.randint(3, 32000, (2, 5), generator=check)
    with torch.no_grad():
        expected = model(input_ids=input_ids, decoder_input_ids=decoder_ids).logits

    os.makedirs(args.out, exist_ok=True)
    model.generation_config.decoder_start_token_id = DECODER_START
    model.generation_config.pad_token_id = PAD
    model.generation_config.eos_token_id = EOS
    save_t5(model, args.out, tie=False)
    if args.spiece:
        shutil.copyfile(args.spiece, os.path.join(args.out, "spiece.model"))

    transformers.logging.set_verbosity_error()  # the "lm_head will not be tied" notice
    reloaded = T5ForConditionalGeneration.from_pretrained(args.out).eval()
    assert reloaded.lm_head.weight.data_ptr() != reloaded.shared.weight.data_ptr(), "lm_head tied on reload"
    assert not reloaded.config.scale_decoder_outputs
    with torch.no_grad():
        got = reloaded(input_ids=input_ids, decoder_input_ids=decoder_ids).logits
    max_diff = (got - expected).abs().max().item()
    assert max_diff == 0.0, f"reloaded logits differ by {max_diff}"

    weights_path = os.path.join(args.out, "model.safetensors")
    with safe_open(weights_path, "pt") as f:
        shapes = {k: list(f.get_slice(k).get_shape()) for k in sorted(f.keys())}
        dtypes = sorted({str(f.get_slice(k).get_dtype()) for k in f.keys()})
    varied = args.init == "varied"
    info = dict(
        size=args.size, seed=args.seed, init=args.init,
        init_params=dict(lm_gain=args.lm_gain, eos_scale=args.eos_scale, ln_jitter=args.ln_jitter) if varied else None,
        recipe=recipe if varied else "transformers T5PreTrainedModel._init_weights",
        torch=torch.__version__, transformers=transformers.__version__,
        n_params_in_file=sum(math.prod(s) for s in shapes.values()), n_tensors=len(shapes), dtypes=dtypes,
        model_safetensors_sha256=sha256_of(weights_path),
        reload_check_logits_maxdiff=max_diff,
        weights=shapes,
    )
    with open(os.path.join(args.out, "make_t5_info.json"), "w") as f:
        json.dump(info, f, indent=1)
    print(json.dumps({k: v for k, v in info.items() if k not in ("weights", "recipe")}, indent=1))


if __name__ == "__main__":
    main()
