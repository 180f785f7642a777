// The Rouge module: see docs/ARCHITECTURE.md.
