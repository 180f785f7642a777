// The Kernels module: see docs/ARCHITECTURE.md.
