// The SafeTensors module: see docs/ARCHITECTURE.md.
