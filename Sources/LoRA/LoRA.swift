// The LoRA module: see docs/ARCHITECTURE.md.
