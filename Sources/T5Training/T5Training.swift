// The T5Training module: see docs/ARCHITECTURE.md.
