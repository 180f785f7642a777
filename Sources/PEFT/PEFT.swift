// The PEFT module: PEFT's adapter methods and files, nothing that trains (see docs/ARCHITECTURE.md).
//
// What lives here (one concept per file):
//   LoRAConfig             PEFT's LoraConfig: r, alpha, dropout, the target rule, per-module rank/alpha/scale, the one range check
//   TargetModules          PEFT's target_modules rule for a list (names, dotted suffixes), T5's linear names
//   ModulePatterns         PEFT's regular-expression rules: target_modules as a string, rank/alpha_pattern keys
//   LoRAInitialization     torch's Kaiming-uniform (a=sqrt(5)) draw; PEFT's LoRA init (lora_A Kaiming, lora_B zero)
//   MergeLoRA              W += scale·B·A, as PEFT's merge_and_unload
//   IA3Config              PEFT's IA3Config: targets, feed-forward modules (input scaled) and the others (output scaled)
//   MergeIA3               W ⊙ ia3_l (rows, or columns on a feed-forward module), as PEFT's merge
//   LycorisConfig          PEFT's LoHaConfig and LoKrConfig (LyCORIS): r, alpha, targets, patterns; LoKr's decomposition
//   LoHaWeight             ΔW = (w1a·w1b) ⊙ (w2a·w2b) · α/r
//   LoKrShape, LoKrWeight  PEFT's factorization of a layer's widths; ΔW = kron(w1, w2) · α/r and its backward
//   PromptConfig           PEFT's PromptTuningConfig, PromptEncoderConfig (P-tuning) and PrefixTuningConfig (its slot layout)
//   AdapterMethod          which method, with its config: what train.mode chooses and peft_type names
//   AdapterConfig          adapter_config.json read/validate/write, byte-identical to PEFT 0.21.2 (via JSON);
//                          each method's own fields in <Method>Config+AdapterFields
//   AdapterTensorNames     adapter_model.safetensors keys: base_model.model.<module>.<tensor> (lora_A.weight, ia3_l, …)
// (The optimiser, the batches and the loop are the Training module's.)
