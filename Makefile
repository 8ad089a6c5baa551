# Two commands for a fresh machine with Python 3.11: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test test-sqlite messages lint clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

# axe-core, which the browser tests inject to check accessibility (package.json, pinned in package-lock.json).
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --silent && touch $@; \
	else echo "npm is not installed: the accessibility check (axe-core) is skipped outside CI"; fi

install: $(VENV)/.installed node_modules/.installed

# The embedded platform: SQLite, tasks in-process, the demo cluster, http://127.0.0.1:8000
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	@echo ""
	@echo "Cluster Platform is served on http://$(HOST):$(PORT)/  (Ctrl+C stops it)"
	@echo ""
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# The whole suite on PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test).
test: install
	$(BIN)/pytest -n 2 --dist loadgroup

# The same suite on SQLite (an in-memory test database), the embedded default that `make run` uses.
test-sqlite: install
	DATABASE_URL=sqlite:///$(CURDIR)/.test.sqlite3 $(BIN)/pytest -n 2 --dist loadgroup

# Re-extract the strings and compile the catalogues (needs GNU gettext).
messages: install
	$(BIN)/python manage.py makemessages --no-location --no-obsolete -l uz -l ru -l en --ignore=.venv --ignore=staticfiles --ignore=tests --ignore=bench
	$(BIN)/python locale/fill_english.py
	$(BIN)/python manage.py compilemessages --ignore=.venv

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

clean:
	rm -rf $(VENV) node_modules staticfiles db.sqlite3 db.sqlite3-wal db.sqlite3-shm
