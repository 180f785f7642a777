"""Saving a T5 model in Hugging Face layout as every script here does (make_t5.py and the T5 and training
fixture scripts): save_pretrained, then config.json rewritten with the intended tie_word_embeddings
(transformers 5 forces it to True in memory), without transformers 5's scale_decoder_outputs, keys sorted."""
import json
import os


def save_t5(model, out, tie, keep_generation_config=True):
    model.save_pretrained(out, safe_serialization=True)
    path = os.path.join(out, "config.json")
    with open(path) as f:
        config = json.load(f)
    config["tie_word_embeddings"] = tie
    config.pop("scale_decoder_outputs", None)
    with open(path, "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")
    generation = os.path.join(out, "generation_config.json")
    if not keep_generation_config and os.path.exists(generation):
        os.remove(generation)
