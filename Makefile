# Kwetter — the commands a developer needs. `make help` lists them.
SHELL := /bin/bash
PY ?= python3
export PYTHONPATH := $(CURDIR)
ENV ?= dev

.PHONY: help deps run seed grant-role test lint typecheck pytest tf-check web-test bench capacity load replay deploy clean

help: ## this list
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

deps: ## install everything the stack and tests need (apt, pip, Maven, npm), idempotently
	bash .ci/install.sh

run: deps ## the whole platform locally on real services (installs what is missing first; KWETTER_REDIS_CLUSTER=1 for a 3-shard Redis Cluster); Ctrl-C stops it
	$(PY) -m devstack.stack

seed: ## load the Reed98 follow graph (962 users) and a few posts each into the running stack
	$(PY) -m devstack.seed
	$(PY) -m devstack.seed_media

grant-role: ## a role on the running stack's Auth emulator: make grant-role UID=<uid> ROLE=moderator|admin [REVOKE=1] [WORKDIR=<stack dir>] (docs/safety.md)
	$(PY) -m devstack.grant_role --uid "$(UID)" --role "$(ROLE)" $(if $(REVOKE),--revoke,) $(if $(WORKDIR),--workdir "$(WORKDIR)",)

test: deps lint typecheck tf-check web-test pytest ## installs what is missing, then lint, type-check, Terraform and web checks, and every test with coverage

lint: ## ruff lint + format check
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: ## mypy (strict) over shared/, devstack/, functions/, infra/tfcheck, tests/
	$(PY) -m mypy shared devstack functions infra/tfcheck tests

tf-check: ## Terraform offline checks: fmt, provider schema check, checkov
	bash infra/terraform/check.sh

web-test: ## web app: svelte-check, then unit tests (Vitest)
	cd frontend && npm run check && npm test

pytest: ## the test suite on real services the session starts itself, with coverage
	$(PY) -m pytest --cov --cov-report=term-missing:skip-covered --timeout=600

bench: ## timeline engine benchmarks, token verification cost, crypto-shredding cost (docs/privacy.md), end-to-end freshness (docs/benchmarks.md), search (docs/search.md), the web app's first post on a throttled phone (docs/frontend.md)
	$(PY) -m devstack.bench_auth
	$(PY) -m devstack.bench_media
	$(PY) -m devstack.bench_privacy
	mkdir -p .local/reports
	$(PY) -m devstack.bench_timeline --e2e --plot docs/benchmarks.png --e2e-plot docs/benchmarks_e2e.png --json .local/reports/bench_timeline.json
	$(PY) -m devstack.bench_cluster --json .local/reports/bench_cluster.json
	$(PY) -m devstack.bench_search
	$(PY) -m devstack.bench_likes --rate 1000 --seconds 30 --json .local/reports/bench_likes.json
	$(PY) -m devstack.capacity --write docs/capacity.md
	E2E_PERF_BUDGET=1 bash frontend/e2e/run.sh e2e/perf.spec.ts

capacity: ## the bill of materials at Twitter's 2013 load from the measured costs (docs/capacity.md)
	$(PY) -m devstack.capacity --write docs/capacity.md

SCENARIO ?= mix
USERS ?= 50
RATE ?= 10
DURATION ?= 60s
HOST ?= http://127.0.0.1:8080
load: ## Locust, headless, CSV + HTML in .local/load: make load SCENARIO=mix|burst|celebrity USERS=50 DURATION=60s [HOST=…]
	mkdir -p .local/load
	SCENARIO=$(SCENARIO) $(PY) -m locust -f tests/load/locustfile.py --headless -u $(USERS) -r $(RATE) \
	  -t $(DURATION) --host $(HOST) --csv .local/load/$(SCENARIO) --html .local/load/$(SCENARIO).html

replay: ## replay events: make replay ARGS="seek --subscription fanout-planner --time 2026-01-01T00:00:00Z"
	$(PY) -m devstack.replay $(ARGS)

deploy: ## Terraform plan, confirm, apply, publish the web app: make deploy ENV=dev PROJECT=<id> TF_STATE_BUCKET=<bucket>
	PROJECT=$(PROJECT) TF_STATE_BUCKET=$(TF_STATE_BUCKET) bash infra/terraform/deploy.sh $(ENV)

clean: ## delete local data of `make run`
	rm -rf .local/run
