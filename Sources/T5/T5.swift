// The T5 module: see docs/ARCHITECTURE.md.
