# The pipeline's dependency graph. Make only orders the stages; each stage decides from
# content (its key: parameters read + input hashes) whether there is work to do, so every
# target is phony and a second `make all` is all cache hits (docs/ARCHITECTURE.md).
#
#   make all                      the real experiment (pipeline.yaml)
#   make demo                     the same graph on the embedded demo assets (pipeline.demo.yaml)
#   make train-lora FORCE=1       recompute one stage (what it needs is reused from the cache)
#   make all SET="generation.num_beams=4 generation.max_new_tokens=64"
#   make verify                   recompute every stage and check it is byte-identical to the cache
#   make all MPI="-np 4 --hostfile hosts"   train-lora and generate under Open MPI's mpirun (README)

SHELL := /bin/bash
CONFIG ?= pipeline.yaml
SET ?=
COMPARE ?=
BUILD ?= release
BIN := .build/$(BUILD)
# Code generation for this machine's CPU (AVX2/FMA when present): scripts/swift_cpu_flags.sh.
CPU_FLAGS := $(shell bash scripts/swift_cpu_flags.sh)
SWIFT_BUILD := swift build -c $(BUILD) $(CPU_FLAGS)

# --force only for the stage named on the command line, not for what it depends on.
force = $(if $(FORCE),$(if $(filter $(1),$(MAKECMDGOALS)),--force))
# MPI="<mpirun options>": train-lora and generate run as `mpirun <options> <tool>` (their ranks share each batch).
MPIRUN = $(if $(MPI),mpirun $(MPI) ,)
# SET reaches the tools through the environment, untouched by make or the shell: lists, mappings, quotes and
# spaces inside brackets need no escaping (`--sets` splits it, Pipeline/OverrideList.swift).
export SET
SET_ARGS = $(if $(SET),--sets "$$SET")
STAGE_ARGS = --config $(CONFIG) $(SET_ARGS) $(if $(VERIFY),--verify) $(if $(QUIET),--quiet)

.DEFAULT_GOAL := help
.PHONY: help deps build fuzz all demo test bench clean distclean verify report status params demo-model demo-assets reference-venv sweep \
        fetch-samsum fetch-model tokenize train-lora generate generate-base generate-lora score-rouge

help:
	@echo "make demo         the whole pipeline offline on the embedded demo assets (minutes)"
	@echo "make test         build and run the test suite"
	@echo "make all          the real experiment: SAMSum + google/flan-t5-base (network for the first fetch)"
	@echo "make <stage>      one stage and what it needs: fetch-samsum fetch-model tokenize train-lora"
	@echo "                  generate-base generate-lora score-rouge   (FORCE=1 recomputes it)"
	@echo "make all MPI=\"-np 2\"  train-lora and generate under mpirun (README: several processes or machines)"
	@echo "make verify       recompute every stage, check byte-identical results (CONFIG=pipeline.demo.yaml for the demo)"
	@echo "make report       reports/<run>/report.md from the last run (COMPARE=REV overlays that revision's loss curves)"
	@echo "make status       which stages a rerun would compute, and why (nothing runs); make params: the settings in effect"
	@echo "make sweep SWEEP=sweeps/demo-methods.yaml  every run of a sweep file, a record each, and the table of scores and costs"
	@echo "make bench        benchmarks against the reference implementations (needs make reference-venv)"
	@echo "make reference-venv  the pinned Python venv of scripts/reference (fixtures, benchmarks; idempotent)"
	@echo "make fuzz         fuzz the parsers of untrusted input (libFuzzer + ASan), FUZZ_SECONDS=60 each"
	@echo "make clean        remove pipeline outputs (data/, reports/); the build stays"
	@echo "make distclean    also remove the builds (.build/, .build-bench/): the next make rebuilds for minutes"

# The system libraries the build links (OpenBLAS, libarchive), installed when missing; silent otherwise.
deps:
	@bash scripts/deps.sh

# Every executable (swift build's --product takes one product, so build them all).
build: deps
	$(SWIFT_BUILD)

fetch-samsum: build
	$(BIN)/fetch-samsum $(STAGE_ARGS) $(call force,fetch-samsum)

fetch-model: build
	$(BIN)/fetch-model $(STAGE_ARGS) $(call force,fetch-model)

tokenize: fetch-samsum fetch-model
	$(BIN)/tokenize run $(STAGE_ARGS) $(call force,tokenize)

train-lora: tokenize
	$(MPIRUN)$(BIN)/train-lora --resume $(STAGE_ARGS) $(call force,train-lora)

generate-base: tokenize
	$(MPIRUN)$(BIN)/generate --variant base $(STAGE_ARGS) $(call force,generate-base)

generate-lora: train-lora
	$(MPIRUN)$(BIN)/generate --variant lora $(STAGE_ARGS) $(call force,generate-lora)

generate: generate-base generate-lora

score-rouge: generate
	$(BIN)/score-rouge run $(STAGE_ARGS) $(call force,score-rouge)

# COMPARE="HEAD~1 …": overlay those revisions' training curves in the report's loss chart.
REPORT = $(BIN)/pipeline-report --config $(CONFIG) $(SET_ARGS) $(foreach r,$(COMPARE),--compare $(r))

report: build
	$(REPORT)

# SWEEP=<file>: each run of the sweep file is the pipeline up to score-rouge with its overrides (its own stage keys,
# so what runs share is a cache hit; train-lora resumes a killed run), then its record; then the table. MPI applies.
SWEEP ?=
sweep: build
	@test -n "$(SWEEP)" || { echo "make sweep: give SWEEP=<sweep file>, e.g. SWEEP=sweeps/demo-methods.yaml" >&2; exit 64; }
	@$(BIN)/score-rouge sweep plan --sweep $(SWEEP) > $(BIN)/sweep-plan.tsv
	@while IFS='	' read -r name config sets; do \
	  echo "sweep $(SWEEP): run $$name ($$config, SET=\"$$sets\")"; \
	  SET="$$sets" $(MAKE) --no-print-directory score-rouge CONFIG="$$config" || exit $$?; \
	  $(BIN)/score-rouge sweep record --sweep $(SWEEP) --run "$$name" || exit $$?; \
	done < $(BIN)/sweep-plan.tsv
	@$(BIN)/score-rouge runs show --sweep $(SWEEP)

# What a rerun would do (nothing runs), and the parameters in effect with the file or SET that set each.
status: build
	@$(BIN)/pipeline-report status --config $(CONFIG) $(SET_ARGS)

params: build
	@$(BIN)/pipeline-report params --config $(CONFIG) $(SET_ARGS)

# The report in the same make as the stages: one `swift build`, not a second null build (seconds of a cached run).
all: score-rouge
	$(REPORT)

demo:
	@$(MAKE) --no-print-directory all CONFIG=pipeline.demo.yaml

verify:
	@$(MAKE) --no-print-directory score-rouge CONFIG=$(CONFIG) VERIFY=1 QUIET=$(QUIET) \
	  && echo "verify: every stage of $(CONFIG) recomputed to the bytes recorded in its lock" \
	  || { echo "verify: FAILED for $(CONFIG) (the stage's error line above says which output differs)" >&2; exit 1; }

# The demo's base model: seeded initial weights, then a full fine-tune on the lead-summary
# corpus (docs/DEMO.md). The same code, thread count and CPU kind rebuild demo/model/ byte-identically; a later
# trainer gives another model (the committed one is a fixed input: docs/DEMO.md says which build it is).
demo-model: build
	$(BIN)/demo-assets init-model --output data/demo-pretrain/init
	@$(MAKE) --no-print-directory train-lora CONFIG=pipeline.demo-pretrain.yaml
	mkdir -p demo/model
	cp data/demo-pretrain/full-model/{config.json,model.safetensors,spiece.model} demo/model/
	sha256sum demo/model/*

# Rebuild the demo corpus archives from the generator (byte-identical to the committed ones).
demo-assets: build
	$(BIN)/demo-assets corpus --output demo/corpus.7z
	$(BIN)/demo-assets corpus --pretraining --output demo/pretraining-corpus.7z

test: deps
	swift build --build-tests $(CPU_FLAGS)
	swift test --skip-build --disable-swift-testing  # every test is XCTest
	bash scripts/test_lower_cpus.sh  # the product paths again as the CPUs below this one run them

# The reference venv is checked first (one line and exit 1 when it is missing, before anything is built); the
# benchmarks build into their own scratch path, .build-bench/ (scripts/bench/reference_env.sh), so .build/ stays.
bench:
	@bash scripts/bench/reference_env.sh check
	@bash scripts/deps.sh
	bash scripts/bench/run_all.sh

# The reference implementations' venv (PyTorch, transformers, PEFT, sentencepiece, rouge_score; pinned
# in scripts/reference/requirements.txt) in $REFERENCE_VENV, default ~/.cache/reference-venv.
reference-venv:
	bash scripts/reference/setup.sh

# libFuzzer + AddressSanitizer on the parsers of untrusted input, FUZZ_SECONDS each (scripts/fuzz/run.sh).
FUZZ_SECONDS ?= 60
fuzz: deps
	SECONDS_EACH=$(FUZZ_SECONDS) bash scripts/fuzz/run.sh

# Pipeline outputs only: the build (3-4 minutes from scratch) stays; distclean removes it too.
clean:
	rm -rf data reports

distclean: clean
	rm -rf .build .build-bench
