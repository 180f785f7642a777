// The LoRA module: see docs/ARCHITECTURE.md.
//
// What lives here (one concept per file):
//   PhiloxGenerator        counter-based seeded RNG (uniform fills, Bernoulli draws, shuffles), Codable state
//   LoRAInitialization     PEFT's init (lora_A Kaiming-uniform a=sqrt(5), lora_B zero) and alpha/r scaling
//   TargetModules          PEFT's target_modules rule for a list (names, dotted suffixes), T5's linear names
//   ModulePatterns         PEFT's regular-expression rules: target_modules as a string, rank/alpha_pattern keys
//   AdapterConfig          adapter_config.json read/validate/write, byte-identical to PEFT 0.21.2 (via JSON)
//   AdapterTensorNames     adapter_model.safetensors keys: base_model.model.<module>.lora_A/lora_B.weight
//   AdamW, LearningRateSchedule, GradientClipping   torch.optim.AdamW(fused), HF schedules, clip_grad_norm_
//   TrainingBatches        per-epoch shuffled or length-grouped batches, accumulation, resumable data position
// (Training checkpoints are the train-lora stage's: Stages/TrainingCheckpoint.swift.)
