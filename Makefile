# Two commands a new user needs: `make run` (embedded default) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install install-test run test kiosk

# Running needs only the package; the tests add their extras on top. Each has its own stamp, so
# `make test` after `make run` installs just the extras, and `make run` never pulls them in.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(BIN)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(BIN)/.installed-test: $(BIN)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed

install-test: $(BIN)/.installed-test

# Migrations, the demo data on first start, then the server; the one-time admin password and
# the demo terminal's secret are printed last, in a box, once the server answers. The cadres'
# mini-program is built for the browser first (served at /m/) where Node.js and npm are installed.
run: install miniprogram-h5
	$(BIN)/houqin run

# Static checks first (ruff, the formatter, mypy), then the mini-program's own checks and builds,
# then every test; the page tests need Chromium and a CJK font, installed by
# scripts/test-prerequisites.sh where it can.
test: install-test
	scripts/test-prerequisites.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(MAKE) miniprogram
	$(BIN)/pytest

# The cadres' mini-program (miniprogram/, Node.js >= 18 and npm): its packages from the lock file,
# then its type check against the API snapshot, its unit tests, both builds and the size of the
# WeChat main package. Each step runs again only when the sources changed (a stamp per step).
MP := miniprogram
MP_SOURCES := $(shell find $(MP)/src -type f 2>/dev/null) $(wildcard $(MP)/*.json $(MP)/*.ts $(MP)/*.js $(MP)/*.cjs $(MP)/*.mjs)

$(MP)/node_modules/.installed: $(MP)/package.json $(MP)/package-lock.json
	@command -v npm >/dev/null || { echo "小程序需要 Node.js 18 或更高版本与 npm（Debian：apt-get install nodejs npm）"; exit 2; }
	cd $(MP) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(MP)/dist/.checked: $(MP)/node_modules/.installed $(MP_SOURCES)
	cd $(MP) && npm run --silent typecheck && npm test --silent && npm run --silent build:mp-weixin && npm run --silent size
	cd $(MP) && npm run --silent build:h5
	touch $@

.PHONY: miniprogram miniprogram-h5 miniprogram-api
miniprogram: $(MP)/dist/.checked

# For `make run`: the H5 build alone, skipped with a note where npm is missing.
miniprogram-h5:
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory $(MP)/dist/build/h5/index.html; \
	else echo "未找到 npm：跳过小程序 H5 版（/m/）的构建；安装 Node.js 18+ 与 npm 后重新运行 make run"; fi

$(MP)/dist/build/h5/index.html: $(MP)/node_modules/.installed $(MP_SOURCES)
	cd $(MP) && npm run --silent build:h5

# After a change to the mini-program API (/mp/v1): refresh the snapshot and the types made from it.
miniprogram-api: install-test $(MP)/node_modules/.installed
	UPDATE_API_SNAPSHOT=1 $(BIN)/pytest -q -p no:cacheprovider tests/miniprogram_api/test_openapi_snapshot.py
	cd $(MP) && npm run --silent api

# A canteen terminal with simulated devices against `make run`'s backend and demo terminal:
# KIOSK_DEVICE_SECRET=<the secret make run printed> make kiosk, then open http://127.0.0.1:8700/
kiosk: install
	KIOSK_BACKEND_URL=$${KIOSK_BACKEND_URL:-http://127.0.0.1:8000} KIOSK_DEVICE_CODE=$${KIOSK_DEVICE_CODE:-T-0001} \
		$(BIN)/houqin-kiosk --sim

# The demo entry gate's terminal (gate mode) with a simulated scanner, card reader and relay against
# `make run`: KIOSK_DEVICE_SECRET=<the secret make run printed> make gate, then open http://127.0.0.1:8710/
.PHONY: gate
gate: install
	KIOSK_MODE=gate KIOSK_BACKEND_URL=$${KIOSK_BACKEND_URL:-http://127.0.0.1:8000} \
		KIOSK_DEVICE_CODE=$${KIOSK_DEVICE_CODE:-GT-0001} KIOSK_PORT=$${KIOSK_PORT:-8710} \
		KIOSK_DATA_DIR=$${KIOSK_DATA_DIR:-var/gate} $(BIN)/houqin-kiosk --sim

# The demo carport's piles as OCPP simulators against `make run`: copy the line its box of secrets
# printed, CHARGING_PILES='CP-0001=<password> CP-0002=<password> …' make piles (CHARGING_URL for
# another server). One simulator per pile; Ctrl-C stops them all. The passwords go to the
# simulators in a file only this user can read, never on their command lines (`ps` shows those).
.PHONY: piles
piles: install
	@test -n "$$CHARGING_PILES" || { echo "用法：CHARGING_PILES='CP-0001=<密码> …' make piles（make run 最后方框里的那一行）"; exit 2; }
	@umask 077; secrets=$$(mktemp); trap 'rm -f "$$secrets"' EXIT INT TERM; \
	for pile in $$CHARGING_PILES; do printf '%s %s\n' "$${pile%%=*}" "$${pile#*=}" >> "$$secrets"; done; \
	for pile in $$CHARGING_PILES; do \
		$(BIN)/python -m hardware.ocpp_pile --url "$${CHARGING_URL:-ws://127.0.0.1:8000/ocpp}" \
			--box "$${pile%%=*}" --password-file "$$secrets" & \
	done; wait

# Benchmarks need PostgreSQL and Redis: DATABASE_URL=postgres://... REDIS_URL=redis://... make bench-auth
.PHONY: bench-auth
bench-auth: install
	$(BIN)/python -m bench.auth_requests

.PHONY: bench-canteen
bench-canteen: install
	$(BIN)/python -m bench.canteen_pay

# A tap on the kiosk's simulated reader until the result is drawn in Chromium (PostgreSQL, Redis).
.PHONY: bench-kiosk
bench-kiosk: install-test
	$(BIN)/python -m bench.kiosk_tap

.PHONY: bench-console
bench-console: install
	$(BIN)/python -m bench.console_pages

# The repair photo pipeline alone, then reports with a photo each filed concurrently (PostgreSQL, Redis).
.PHONY: bench-repairs
bench-repairs: install
	$(BIN)/python -m bench.repairs

# 1,000 cars, their drivers and a month of trips; dispatchers dispatching at once through the admin
# API (BENCH_VIA=console: the console's form), some deliberately into the same car, then the trips
# checked for any overlap and the dispatch board timed (PostgreSQL, Redis).
.PHONY: bench-fleet
bench-fleet: install
	$(BIN)/python -m bench.fleet

# The weekly special's flash sale: 300 cadres order its last 50 units at once over HTTP, then pay
# from the wallet; then what was sold is checked against the stock and its ledger (PostgreSQL, Redis).
.PHONY: bench-shop
bench-shop: install
	$(BIN)/python -m bench.shop

# Import of 100,000 assets from Excel, then the asset list and search p95 and the label sheet.
.PHONY: bench-assets
bench-assets: install
	$(BIN)/python -m bench.assets

# 1,000 simulated piles connected at once to a server with 2 workers: each boots, heartbeats and
# runs one session with MeterValues every 10 s; then every session is checked for exactly one bill
# and every message for its row (PostgreSQL, Redis).
.PHONY: bench-charging
bench-charging: install
	$(BIN)/python -m bench.charging

# A pass scanned at a gate terminal (online and with the backend stopped) and a plate event, until
# the relay coil is on (pymodbus servers as the relay boards).
.PHONY: bench-gate
bench-gate: install-test
	$(BIN)/python -m bench.gate

# 2,000 meters' 90 days of 15-minute readings ingested and derived into rollups, then this month's
# budget status for every unit and a year's trend (PostgreSQL; BENCH_METERS, BENCH_DAYS to shrink it).
.PHONY: bench-energy
bench-energy: install
	$(BIN)/python -m bench.energy

# The production topology on one machine (its own PostgreSQL cluster, Redis master, replica and three
# Sentinels, nginx in front of two backends, a worker and a scheduler; never the machine's own) with
# 20 canteen terminals paying while faults are injected one at a time, the books checked after each
# (FAULTS_SCENARIOS=1,5 to pick, FAULTS_CUT_SECONDS=10 for a short network cut). Needs root for nginx
# from apt, the postgres user and the media disk of fixed size.
.PHONY: faults
faults: install
	$(BIN)/python -m bench.faults
