// The LoRA module: see docs/ARCHITECTURE.md.
//
// What lives here (one concept per file):
//   PhiloxGenerator        counter-based seeded RNG (uniform, Bernoulli/dropout masks, shuffles), Codable state
//   LoRAInitialization     PEFT's init (lora_A Kaiming-uniform a=sqrt(5), lora_B zero) and alpha/r scaling
//   TargetModules          PEFT's target_modules suffix rule on Hugging Face T5 weight names
//   AdapterTensorLayout    an adapter's PEFT keys and shapes; fresh tensors; checking a loaded adapter
//   AdapterConfig          adapter_config.json read/validate/write, byte-identical to PEFT 0.21.2 (via JSON)
//   AdamW, LinearSchedule, GradientClipping   torch.optim.AdamW(fused), HF linear schedule, clip_grad_norm_
//   TrainingBatches        per-epoch shuffled or length-grouped batches, accumulation, resumable data position
//   NamedTensor            a named fp32 tensor (fresh adapter tensors)
// (Training checkpoints are the train-lora stage's: Stages/TrainingCheckpoint.swift.)
