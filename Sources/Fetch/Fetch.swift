// The Fetch module: see docs/ARCHITECTURE.md.
