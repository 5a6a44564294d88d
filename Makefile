# housecall — the two commands a user needs are `make run` and `make test`.
# Both start (and if needed install) PostgreSQL and create the database first.

SHELL := /bin/bash
GO ?= go
export GOTOOLCHAIN ?= local
BIN := $(CURDIR)/bin
HOUSECALL := $(BIN)/housecall
STATICCHECK_VERSION := v0.8.2
WORKFLOWCHECK_VERSION := v0.6.0
TEST_TIMEOUT ?= 25m
FUZZTIME ?= 10s
# Packages with goroutines of their own (HTTP server, pools, dispatcher, activities).
RACE_PKGS ?= ./starter/ ./store/ ./notify/ ./activities/

.PHONY: run test lint bench chaos setup setup-browser build tools fmt clean help fuzz race tidy-check ci rules-doc

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

setup: ## PostgreSQL installed, running, and the housecall database created (idempotent)
	@./scripts/setup-postgres.sh

setup-browser: ## Chromium installed for the console's browser tests (idempotent)
	@./scripts/setup-chromium.sh

build: ## build bin/housecall
	$(GO) build -o $(HOUSECALL) ./cmd/housecall

run: setup build ## housecall dev: embedded Temporal + UI, migrations, worker and API
	$(HOUSECALL) dev

test: setup setup-browser ## every test: time-skipping workflow tests, replay tests, integration tests on real Temporal + PostgreSQL
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...

lint: tools ## go vet, staticcheck and Temporal's workflowcheck (determinism)
	$(GO) vet ./...
	$(BIN)/staticcheck ./...
	$(BIN)/workflowcheck ./workflows/...

fuzz: ## each fuzz target for $(FUZZTIME) (seeds in internal/jsonbody/testdata/fuzz/)
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeRequest$$' -fuzztime $(FUZZTIME) ./internal/jsonbody/
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeEvent$$' -fuzztime $(FUZZTIME) ./internal/jsonbody/

race: setup ## the concurrent packages under the race detector
	$(GO) test -count=1 -race -timeout $(TEST_TIMEOUT) $(RACE_PKGS)

tidy-check: ## go mod tidy leaves no diff
	$(GO) mod tidy -diff

ci: ## what CI runs: lint, tidy check, every test, the race detector, a short fuzz run
	$(MAKE) lint
	$(MAKE) tidy-check
	$(MAKE) test
	$(MAKE) race
	$(MAKE) fuzz

bench: setup build ## lifecycle throughput, baseline ratio, event latency, the console's pages and live updates, memory per open request
	$(HOUSECALL) bench --out bench/results.json

tools: $(BIN)/staticcheck $(BIN)/workflowcheck

$(BIN)/staticcheck:
	GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(BIN)/workflowcheck:
	GOBIN=$(BIN) $(GO) install go.temporal.io/sdk/contrib/tools/workflowcheck@$(WORKFLOWCHECK_VERSION)

rules-doc: ## regenerate the judges' docs (audit/judge_docs.go) and docs/rules.md from the rule catalogue (housecall rules --markdown)
	HOUSECALL_UPDATE_DOCS=1 $(GO) test -count=1 -run TestJudgeDocsAreGenerated ./audit/
	$(GO) run ./cmd/housecall rules --markdown > docs/rules.md

fmt: ## gofmt the tree
	gofmt -w $$(git ls-files '*.go')

clean: ## remove build output and the dev data (.housecall)
	rm -rf $(BIN) .housecall

chaos: setup ## the long fault tests: a 60 s PostgreSQL outage under load, kill -9 of housecall dev
	HOUSECALL_OUTAGE=60s $(GO) test -count=1 -timeout 15m -run 'TestDatabaseOutage|TestKill9' -v ./starter/ ./cmd/housecall/
