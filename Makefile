# Bansō — two commands on a fresh machine: `make run` and `make test`.
# Needs only python3 (3.11+) and make; everything else is installed into .venv.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ROLE ?= coordinator
MUNICIPALITY ?=
PYTEST_ARGS ?=

.PHONY: help install run serve migrate demo test test-pg lint fmt token clean drill drill-short bench fuzz shapes

help:
	@echo "make run      サービス一式をサンプルデータ付きで起動 (http://127.0.0.1:8000/)"
	@echo "make test     テスト一式を実行"
	@echo "make migrate  各サービスのデータベースを最新化"
	@echo "make token    サービス呼び出し用のトークンを表示 (ROLE=… MUNICIPALITY=…)"
	@echo "make lint     ruff check と ruff format --check"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

migrate: $(STAMP)
	$(BIN)/python -m scripts.migrate

demo: migrate
	$(BIN)/python -m scripts.demo

run: demo
	$(BIN)/python -m scripts.demo_users
	@echo ""
	@echo "  Bansō を起動します: http://127.0.0.1:8000/  (止めるには Ctrl-C)"
	@echo ""
	GATEWAY_DEMO=true $(BIN)/python -m scripts.supervise

# The same as run, without loading demo data (for a real deployment without containers).
# scripts/supervise.py keeps the other apps running when one crashes and restarts that one.
serve: migrate
	$(BIN)/python -m scripts.supervise

# The SQLite pass: DATABASE_URL is unset whatever the environment holds (make test-pg for PostgreSQL).
test: $(STAMP)
	env -u DATABASE_URL $(BIN)/python -m pytest $(PYTEST_ARGS)

# The suite against the local PostgreSQL (throwaway databases, dropped afterwards).
test-pg: $(STAMP)
	DATABASE_URL=$${DATABASE_URL:-postgresql+asyncpg://postgres@127.0.0.1:5432/banso_test} \
		$(BIN)/python -m pytest $(PYTEST_ARGS)

# A deeper fuzzing pass than make test's (schemathesis 4, every phase, FUZZ_EXAMPLES per
# operation, default 500, without make test's time bound unless FUZZ_MAX_TIME=<s> per process;
# the seed is printed, FUZZ_SEED=<n> replays a run).
fuzz: $(STAMP)
	env -u DATABASE_URL FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-500} FUZZ_MAX_TIME=$${FUZZ_MAX_TIME:-0} \
		$(BIN)/python -m pytest tests/fuzz -q -p no:cacheprovider

# Resilience drills against the whole system on the local PostgreSQL (the full set restarts
# PostgreSQL once, at the end). DRILL_DATABASE_URL names the databases (…_<app> each).
drill: $(STAMP)
	$(BIN)/python -m drills

# The quick set CI runs (under 2 minutes; never restarts PostgreSQL unless
# BANSO_DRILL_PG_RESTART=1).
drill-short: $(STAMP)
	$(BIN)/python -m drills --short

# The performance goals (README, Benchmarks), measured on 127.0.0.1 and printed with met / not met:
# national data on PostgreSQL with one and with two workers per app, then the make run setup on
# SQLite. Writes bench/results/bench.json and docs/bench.md (about 15-20 minutes on a quiet
# 2-core machine). BENCH_ARGS="--scale 0.3" for a shorter run, "--phases pg" for one phase.
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

token: $(STAMP)
	@$(BIN)/python -m scripts.token --role $(ROLE) $(if $(MUNICIPALITY),--municipality $(MUNICIPALITY))

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The gateway's client shapes (gateway/clients/shapes/) from the services' OpenAPI documents.
shapes: $(STAMP)
	$(BIN)/python -m scripts.client_shapes

clean:
	rm -rf var/*.db var/*.db-wal var/*.db-shm .pytest_cache
