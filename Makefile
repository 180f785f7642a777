# The pipeline's dependency graph. Each stage decides from content (its key) whether
# work is needed, so make's timestamps only order the stages; see docs/ARCHITECTURE.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

help:
	@echo "make test   - build and run the test suite"
	@echo "make clean  - remove build products and pipeline outputs"

test:
	swift build --build-tests
	swift test --skip-build

clean:
	rm -rf .build data reports

.PHONY: help test clean
