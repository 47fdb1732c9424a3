# Front door: `make demo` and `make test` are all a new user needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install java demo demo-quick test test-unit lint format clean

help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	@$(MAKE) --no-print-directory java
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install (a no-op when nothing changed)

# Spark 4 (the Spark feature engine and offline store) runs on Java 17 or newer.
java: ## Install a Java 17 runtime for Spark when the machine has none (Debian, as root)
	@if java -version 2>&1 | grep -qE 'version "(1[7-9]|[2-9][0-9])'; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing openjdk-17-jre-headless for Spark"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
	else echo "Java 17+ is missing: Spark needs it (apt-get install openjdk-17-jre-headless)"; fi

demo: $(STAMP) ## Run the whole pipeline: synthetic market (full models), then Dominick's OJ (tiny models)
	$(BIN)/pricing demo
	$(BIN)/pricing demo --dataset oj --quick

demo-quick: $(STAMP) ## Small, fast smoke run of the demo
	$(BIN)/pricing demo --quick

TEST_WORKERS ?= 2
test: $(STAMP) lint ## Lint and types, then the whole test suite (unit, integration with real services, e2e)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

test-unit: $(STAMP) ## Unit tests only (no services)
	$(BIN)/python -m pytest tests/unit

lint: $(STAMP) ## Ruff lint + format check, mypy
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy

format: $(STAMP) ## Apply ruff fixes and formatting
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

clean: ## Remove generated state (.pricing homes), keep .venv
	rm -rf .pricing .pricing-* bench/results/*.tmp
