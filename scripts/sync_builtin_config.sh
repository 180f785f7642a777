#!/usr/bin/env bash
# Copies pipeline.yaml into Sources/Pipeline/BuiltInConfiguration.swift: the defaults the tools use when run
# with no --config in a folder without pipeline.yaml. ConfigLocationTests fails until the two are the same.
set -euo pipefail
cd "$(dirname "$0")/.."
grep -q '"""#' pipeline.yaml && { echo "sync_builtin_config: pipeline.yaml contains \"\"\"#" >&2; exit 1; }
OUT=Sources/Pipeline/BuiltInConfiguration.swift
{
    sed -n '1,/^    public static let yaml = #"""$/p' "$OUT"
    cat pipeline.yaml
    printf '\n"""#\n}\n'  # a multi-line literal ends before its last line break: this one keeps the file's
} > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
