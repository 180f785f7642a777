// pipeline.yaml's values, compiled in: what a tool uses when it is run with no `--config` in a folder
// that has no pipeline.yaml (e.g. `generate --model DIR --input F --output P` anywhere). The text is
// the repository's pipeline.yaml; BuiltInConfigurationTests fails when the two hold different values.

public enum BuiltInConfiguration {
    /// The configuration file a folder may hold instead.
    public static let fileName = "pipeline.yaml"

    public static let yaml = #"""
# Every parameter of the experiment. Stages hash exactly the keys they read, so changing
# a generation setting reruns only generate and score-rouge. Override any key for one run
# with `--set section.key=value` (or `make all SET="section.key=value"`).
#
# Reference: LoRA fine-tuning of google/flan-t5-base on SAMSum (HF Transformers + PEFT).

paths:                       # where stable outputs appear (not part of any stage key)
  data: data
  metrics: metrics
  reports: reports

runtime:
  threads: 2                 # results are byte-identical for the same thread count; auto: this machine's cores

samsum:
  archive: ""                # a local corpus.7z for offline use; "" downloads from urls
  urls:
    - https://arxiv.org/src/1911.12237v2/anc/corpus.7z
    - https://huggingface.co/datasets/samsum/resolve/main/data/corpus.7z
  sha256: a97674c66726f66b98a08ca5e8868fb8af9d4843f2b05c4f839bc5cfe91e8899
  size: 2944100
  invalid_records: error     # error | skip (skipped records are counted in the manifest)

model:
  repo: google/flan-t5-base
  revision: 7bcac572ce56db69c1ea7c8af255c5d7c9672fc2
  local_dir: ""              # a local directory with config.json, spiece.model, model.safetensors
  endpoint: https://huggingface.co

tokenize:
  prompt: "Summarize the following conversation.\n\n{dialogue}\n\nSummary: "
  subset_every: 12           # keep examples with index % subset_every == subset_offset
  subset_offset: 0
  max_source_length: 512
  max_target_length: 128

lora:
  r: 32
  alpha: 32
  dropout: 0.05
  target_modules: [q, v]     # PEFT names or dotted suffixes; [all-linear]: every linear layer but lm_head
  use_rslora: false
  rank_pattern: {}           # PEFT's per-module r, {regex: r}, e.g. {"decoder.*\\.q": 8}; a key adapting nothing is an error
  alpha_pattern: {}          # PEFT's per-module lora_alpha, {regex: alpha}, the same rule

ia3:                         # PEFT's IA3Config (train.mode: ia3), PEFT's T5 defaults: a learned vector per module
  target_modules: [k, v, wo] # scales each target's output ([all-linear]: every linear layer but lm_head) ...
  feedforward_modules: [wo]  # ... or, for these (a subset; PEFT's rule: the name ends with one), its input

loha:                        # PEFT's LoHaConfig (train.mode: loha): dW = (w1a w1b) * (w2a w2b) * alpha/r, PEFT's defaults
  r: 8
  alpha: 8
  target_modules: [q, v]     # as lora.target_modules
  rank_pattern: {}           # as lora.rank_pattern
  alpha_pattern: {}

lokr:                        # PEFT's LoKrConfig (train.mode: lokr): dW = kron(w1, w2) * alpha/r, PEFT's defaults
  r: 8                       # the rank of a factor that is low-rank (w2 when r < half its larger side)
  alpha: 8
  target_modules: [q, v]
  rank_pattern: {}
  alpha_pattern: {}
  decompose_both: false      # w1 low-rank too when r is small enough
  decompose_factor: -1       # the factorisation's divisor; -1: near the square root of each width

prompt_tuning:               # PEFT's PromptTuningConfig (train.mode: prompt_tuning): rows in front of every source
  num_virtual_tokens: 20     # n (PEFT keeps 2n for a seq2seq model; the encoder reads the first n)
  prompt_tuning_init: RANDOM # RANDOM: N(0, 1) | TEXT: the embeddings of prompt_tuning_init_text's tokens, repeated
  prompt_tuning_init_text: ""

p_tuning:                    # PEFT's PromptEncoderConfig (train.mode: p_tuning): the rows through an MLP while training
  num_virtual_tokens: 20
  encoder_hidden_size: 0     # the MLP's width; 0: the model's d_model (PEFT's default, 768 for flan-t5-base)

prefix_tuning:               # PEFT's PrefixTuningConfig (train.mode: prefix_tuning; prefix_projection false): on T5,
  num_virtual_tokens: 20     # n learned keys and values in front of every decoder layer's self-attention

train:
  mode: lora                 # lora | ia3 | loha | lokr | prompt_tuning | p_tuning | prefix_tuning (the PEFT method; README: "PEFT methods") | full
  epochs: 10
  max_steps: 0               # 0 = epochs * steps per epoch
  batch_size: 8
  grad_accum: 1               # micro-batches per step; loss over the step's label tokens (HF >= 4.46)
  lr: 0.001
  weight_decay: 0.01
  beta1: 0.9
  beta2: 0.999
  eps: 1.0e-8
  lr_scheduler_type: linear  # HF get_scheduler: linear | cosine | constant | constant_with_warmup
  warmup_steps: 0            # steps of linear warm-up
  warmup_ratio: 0.0          # or the warm-up as a fraction of all steps, rounded up (HF); set one of the two
  max_grad_norm: 1.0
  dropout_rate: 0.1          # T5's own dropout while training
  label_smoothing: 0.0       # HF label_smoothing_factor (training and validation loss); 0 = off
  group_by_length: false
  seed: 42
  checkpoint_every: 100      # steps; also at the end of every epoch
  eval_every: 0              # validation loss every N steps and at the last; 0 = at every epoch end
  eval_limit: 0              # validation examples used (a hashed, seeded subset); 0 = all
  keep: last                 # last | best: publish the state of the best evaluation (metric_for_best_model; ties: earlier step)
  early_stopping_patience: 0 # stop after N evaluations without a better one (needs keep: best); 0 = off
  metric_for_best_model: loss # loss | rouge1 | rouge2 | rougeL | rougeLsum: "best" by the mean F1 of validation summaries generated with generation.* at each evaluation (HF predict_with_generate)
  weights_dtype: bf16        # frozen base weights and their products: bf16 (as the seed's torch_dtype) | f32 | nf4 (QLoRA, quantization.*)
  merge: false               # also write data/merged/: the base with the adapter folded in

generation:
  num_beams: 1
  max_new_tokens: 200
  min_new_tokens: 0
  length_penalty: 1.0
  early_stopping: false
  no_repeat_ngram_size: 0
  repetition_penalty: 1.0    # HF: a token already generated has its score divided (or, negative, multiplied) by this; 1 = off
  batch_size: 8
  limit: 0                   # 0 = the whole test split
  weights_dtype: bf16        # base weights and their products: bf16 | f32 | nf4 (README: bf16 mode, QLoRA)

quantization:                # weights_dtype nf4: bitsandbytes' BitsAndBytesConfig(load_in_4bit, bnb_4bit_quant_type nf4, compute bf16)
  blocksize: 64              # values per absmax (bitsandbytes: 32 | 64 | ... | 4096)
  double_quant: true         # bnb_4bit_use_double_quant: the absmax values in 8 bits, blocks of 256

rouge:
  bootstrap_samples: 1000
  confidence: 0.95
  seed: 42
  randomization_trials: 10000 # the report's paired approximate randomization test (per-example section)
  tutorial_examples: 10      # the report's row for the tutorial's protocol: ROUGE over the first N test dialogues
  lsum_split: newline        # ROUGE-Lsum's sentences: newline (rouge_score, HF evaluate: the tutorial's figures) | sentences (nltk's sent_tokenize first, as HF run_summarization)

"""#
}
