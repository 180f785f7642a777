#!/usr/bin/env bash
# `make fuzz`: builds each libFuzzer harness here with the sources of the parser it drives (swiftc
# -sanitize=fuzzer,address, one module per harness, so internal entry points are reachable), seeds it
# from the fixtures, and runs it for SECONDS (default 60) each. A crash leaves its input in
# .build/fuzz/<harness>/crash-* and fails the run: make it a regression test.
# Usage: scripts/fuzz/run.sh [harness ...]   (default: all)   Env: SECONDS_EACH (60), JOBS (1).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
OUT=.build/fuzz
EACH="${SECONDS_EACH:-60}"

# harness -> "module name|source globs|seed files" (JSON for parsers that import JSON: its own import is then ignored).
# Failures, the leaf every library imports, is built once as its own module and linked into each harness.
declare -A SPEC=(
  [json]="JSON|Sources/JSON/*.swift|Tests/Fixtures/T5/tiny/config.json Tests/Fixtures/PEFT/adapter_config_reference.json Tests/Fixtures/Corpus/records.json"
  [safetensors]="JSON|Sources/SafeTensors/*.swift Sources/JSON/*.swift|Tests/Fixtures/T5/adapter/adapter_model.safetensors Tests/Fixtures/T5/python_written.safetensors"
  [spiece]="SentencePiece|Sources/SentencePiece/*.swift|demo/spiece.model"
  [corpus]="JSON|Sources/JSON/*.swift Sources/Corpus/DialogueRecord.swift Sources/Corpus/DialogueRecord+Validation.swift|Tests/Fixtures/Corpus/records.json Tests/Fixtures/Corpus/records.jsonl"
  [config]="JSON|Sources/JSON/*.swift Sources/Pipeline/PipelineConfig.swift Sources/Pipeline/ConfigBaseChain.swift Sources/Pipeline/LockFile.swift Sources/Pipeline/AtomicFile.swift Sources/Pipeline/ParameterSchema.swift Sources/Pipeline/YAMLNesting.swift Sources/Pipeline/OverrideList.swift Sources/Pipeline/BuiltInConfiguration.swift|$OUT/seeds/config/*"
  [adapter_config]="JSON|Sources/PEFT/AdapterConfig.swift Sources/PEFT/AdapterMethod.swift Sources/PEFT/LoRAConfig.swift Sources/PEFT/LoRAConfig+AdapterFields.swift Sources/PEFT/IA3Config.swift Sources/PEFT/IA3Config+AdapterFields.swift Sources/PEFT/LycorisConfig.swift Sources/PEFT/LycorisConfig+AdapterFields.swift Sources/PEFT/PromptConfig.swift Sources/PEFT/PromptConfig+AdapterFields.swift Sources/PEFT/TargetModules.swift Sources/PEFT/ModulePatterns.swift Sources/JSON/*.swift|Tests/Fixtures/PEFT/adapter_config_reference.json Tests/Fixtures/PEFT/adapter_config_rslora.json Tests/Fixtures/PEFT/adapter_config_ia3.json Tests/Fixtures/PEFT/adapter_config_loha.json Tests/Fixtures/PEFT/adapter_config_lokr.json Tests/Fixtures/T5/adapter/adapter_config.json Tests/Fixtures/T5/adapter_ia3/adapter_config.json Tests/Fixtures/T5/adapter_p_tuning/adapter_config.json Tests/Fixtures/T5/adapter_prompt_tuning/adapter_config.json Tests/Fixtures/T5/adapter_prefix_tuning/adapter_config.json"
)
HARNESSES=("$@")
[[ ${#HARNESSES[@]} -gt 0 ]] || HARNESSES=(json safetensors spiece corpus adapter_config config)

MODULES="$OUT/modules"
mkdir -p "$MODULES"
swiftc -O -parse-as-library -module-name Failures -emit-module -emit-module-path "$MODULES/Failures.swiftmodule" \
  -emit-library -static -o "$MODULES/libFailures.a" Sources/Failures/*.swift

# The config harness reads YAML through Yams, built here from the package's checkout (swift build fetched it) with the
# same instrumentation: its C parser (CYaml) by clang, its Swift by swiftc. Seeds: the committed configs, SET empty.
if [[ " ${HARNESSES[*]} " == *" config "* ]]; then
  YAMS=.build/checkouts/Yams/Sources
  [[ -d "$YAMS" ]] || swift package resolve
  mkdir -p "$MODULES/cyaml" "$OUT/seeds/config"
  log="$MODULES/yams-build.log"
  {
    for c in "$YAMS"/CYaml/src/*.c; do
      clang -O1 -fsanitize=fuzzer-no-link,address -I"$YAMS/CYaml/include" -c "$c" -o "$MODULES/cyaml/$(basename "$c" .c).o"
    done
    rm -f "$MODULES/libCYaml.a" && ar rcs "$MODULES/libCYaml.a" "$MODULES"/cyaml/*.o
    swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name Yams -D SWIFT_PACKAGE -I "$YAMS/CYaml/include" \
      -emit-module -emit-module-path "$MODULES/Yams.swiftmodule" -emit-library -static -o "$MODULES/libYams.a" "$YAMS"/Yams/*.swift
  } > "$log" 2>&1 || { echo "fuzz: building Yams failed, see $log" >&2; tail -20 "$log" >&2; exit 1; }
  for f in pipeline.yaml pipeline.demo.yaml pipeline.demo-pretrain.yaml; do { echo; cat "$f"; } > "$OUT/seeds/config/$f"; done
  echo 'lora.target_modules=[q, v] train.lr=5e-3' > "$OUT/seeds/config/sets"; cat pipeline.yaml >> "$OUT/seeds/config/sets"
fi

status=0
for h in "${HARNESSES[@]}"; do
  [[ -n "${SPEC[$h]:-}" ]] || { echo "fuzz: no harness '$h' (have: ${!SPEC[*]})" >&2; exit 64; }
  IFS='|' read -r module sources seeds <<< "${SPEC[$h]}"
  dir="$OUT/$h"
  mkdir -p "$dir/corpus"
  # shellcheck disable=SC2086
  swiftc -O -sanitize=fuzzer,address -parse-as-library -module-name "$module" $sources "scripts/fuzz/$h.swift" \
    -I "$MODULES" -L "$MODULES" -lFailures $([[ $h == config ]] && echo "-I $YAMS/CYaml/include -lYams -lCYaml") \
    -o "$dir/fuzz-$h" 2> >(grep -v "warning: Cannot export local symbol\|ignoring import\|^import\|^ *|\|^ *[0-9]* *|" >&2)
  # shellcheck disable=SC2086
  cp $seeds "$dir/corpus/" 2>/dev/null || true
  rm -f "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-*
  log="$dir/fuzz.log"
  if (cd "$dir" && "./fuzz-$h" -max_total_time="$EACH" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 corpus > fuzz.log 2>&1); then
    runs=$(grep -o "stat::number_of_executed_units: *[0-9]*" "$log" | grep -o "[0-9]*$" || echo "?")
    echo "fuzz $h: $runs executions in ${EACH} s, no crash"
  else
    echo "fuzz $h: FAILED, see $log and $(ls "$dir"/crash-* "$dir"/timeout-* "$dir"/leak-* 2>/dev/null | tr '\n' ' ')" >&2
    tail -20 "$log" >&2
    status=1
  fi
done
exit $status
