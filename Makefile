# The two commands a new machine needs:  `make serve`  and  `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
BIN    := $(VENV)/bin
INDEX  ?= .assistant/index
FACE   ?= assistant/sample_kb/assistant.toml
# torch's CPU build comes from PyTorch's own CPU wheel index; where that host cannot be reached
# (10 s, no retries) the configured index is used instead. `make doctor` says which build came.
TORCH       ?= torch==2.13.0
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
PORT   ?= 7860
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export HF_HUB_OFFLINE := 1
# pip installs without byte-compiling (--no-compile): of the 16,500 Python files it installs, the export,
# a build and `serve` import about 5,100, and Python compiles each of those on first import and keeps it.
# PYTHONDONTWRITEBYTECODE (set in some images) would make every start compile them again, so the
# commands here run without it.
PIP    := $(PY) -m pip install -q --no-compile
unexport PYTHONDONTWRITEBYTECODE

.PHONY: install doctor serve index test test-quick docs chromium postgresql bench screenshot clean

# What `make serve` needs: torch's CPU build, then the app. The tests' extras come with `make install`.
$(VENV)/.runtime: pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) --timeout 10 --retries 0 --index-url $(TORCH_INDEX) "$(TORCH)" || { \
	  echo "make: $(TORCH_INDEX) cannot be reached; installing $(TORCH) from the configured index"; \
	  $(PIP) "$(TORCH)"; }
	$(PIP) -e .
	touch $@

$(VENV)/.installed: $(VENV)/.runtime
	$(PIP) -e ".[dev,milvus]"   # milvus: the Milvus backend's tests start a milvus-lite server
	@echo "make: compiling the installed packages' byte code once (as pip does by default; about 25 s)"
	@# The tests' three workers and the subprocesses they start would otherwise each compile the same modules
	@# at once on a first run. A file that fails (a test helper written for a newer Python) is never imported,
	@# so its failure is not one: compileall's status is not make's.
	@$(PY) -m compileall -q -j 0 $$($(PY) -c "import sysconfig; print(sysconfig.get_paths()['purelib'])") \
	  assistant corpus index ui bench > /dev/null 2>&1 || true
	touch $@

install: $(VENV)/.installed

# Which torch build is installed (CPU or CUDA, its version, any nvidia-* packages).
doctor:
	@[ -x $(PY) ] || { echo "No $(VENV) yet: run \`make install\` first."; exit 1; }
	@$(PY) -m assistant.doctor

index: $(VENV)/.runtime
	@[ -f $(INDEX)/CURRENT ] || $(BIN)/assistant build --index $(INDEX)

serve: index
	$(BIN)/assistant --config $(FACE) serve --index $(INDEX) --port $(PORT)

chromium:
	@command -v chromium >/dev/null || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium)

# Debian's PostgreSQL server binaries: the store tests start a throwaway server (initdb + pg_ctl) with them.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || \
	  ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq postgresql)

# Three workers (pytest-xdist; on 2 cores, as much of the suite waits on servers, browsers and
# subprocesses), handed one test at a time, the slow ones first (tests/conftest.py says why).
test: install chromium postgresql
	$(PY) -m pytest -n 3 --dist load --maxschedchunk 1

# The manual as a site (build/site), strict: a broken link, a missing page or a stale reference fails.
docs: install
	$(BIN)/mkdocs build --strict --quiet

# The inner loop: everything but the tests marked slow (subprocess servers, browsers, crash points, bench smokes).
test-quick: install postgresql
	$(PY) -m pytest -m "not slow"

# Refresh the README's picture: the browser test writes bench/results/ui/screenshot.png (ignored), copied here.
screenshot: install chromium
	$(PY) -m pytest -q tests/test_ui.py -k test_answer_cites_the_article_with_its_link
	cp bench/results/ui/screenshot.png docs/screenshot.png

bench: install
	$(PY) bench/cold_start.py
	$(PY) bench/embed_speed.py
	$(PY) bench/quality.py
	$(PY) bench/build_speed.py
	$(PY) bench/load.py
	$(PY) bench/crawl.py
	$(PY) bench/load.py --logging-check

clean:
	rm -rf $(VENV) .assistant .pytest_cache
