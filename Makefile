# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DOCS_ASSETS := data_quality/docs_assets
DOCS_ASSETS_STAMP := $(DOCS_ASSETS)/node_modules/.installed

.PHONY: setup java browser demo test lint lock clean

setup: $(STAMP) $(DOCS_ASSETS_STAMP) java

# The lock file pins every package with its hash, so every machine installs the same versions.
$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# The Data Docs pages load Bootstrap, jQuery, bootstrap-table and the rest from the site
# itself, so they show styled without internet: npm installs the versions the lock pins.
$(DOCS_ASSETS_STAMP): $(DOCS_ASSETS)/package.json $(DOCS_ASSETS)/package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
		echo "installing Debian's npm for the Data Docs assets"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends npm; \
	}
	npm ci --prefix $(DOCS_ASSETS) --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

# Spark, the second engine (MAU_ENGINE=spark, `mau spark-cluster`), runs on a Java 17
# runtime: Debian's, since pyspark's wheel brings Spark but no JVM.
java:
	@command -v java >/dev/null 2>&1 || { \
		echo "installing Debian's openjdk-17-jre-headless for Spark"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless; \
	}

# The end-to-end dashboard tests drive a real headless browser: Debian's Chromium.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the browser tests"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium; \
	}

demo: setup
	$(BIN)/mau demo

test: setup browser
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
	cd dbt_project && ../$(BIN)/sqlfluff lint models

# Regenerate the locks after changing dependencies in pyproject.toml or the Data Docs assets.
lock:
	uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements.lock
	npm install --prefix $(DOCS_ASSETS) --package-lock-only --no-audit --no-fund --ignore-scripts

clean:
	rm -rf $(VENV) dbt_project/target dbt_project/logs $(DOCS_ASSETS)/node_modules
