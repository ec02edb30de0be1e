# variant-providers — developer commands.  `make install` then `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# mypy checks a symlinked view of the installed layout (core/ as
# variant_providers/, providers/ inside it), because neither standard way
# works here:
# * mypy's mypy_path/explicit_package_bases map directories to packages by
#   their names, and no directory of the source tree is named variant_providers;
# * the default editable install (make install) exposes the package through an
#   import hook that mypy does not run; setuptools' strict editable mode
#   (editable_mode=strict) does give mypy a link tree, but it exposes only the
#   files present at install time, so a module added later is missing from both
#   mypy and the tests until the next make install.
# The view is rebuilt on every make lint, so it always holds every file.
TYPECHECK := build/typecheck

.PHONY: install test fuzz lint format bench typecheck-view build-floor clean

install:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'

test:
	$(BIN)/python -m pytest

# The parser fuzz targets of tests/test_fuzz.py, with many more examples than
# `make test` gives them (FUZZ_EXAMPLES per target, random where make test is
# derandomized).
FUZZ_EXAMPLES ?= 5000
fuzz:
	VARIANT_PROVIDERS_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/test_fuzz.py -q

typecheck-view:
	rm -rf $(TYPECHECK)
	mkdir -p $(TYPECHECK)
	cp -as "$(CURDIR)/core" $(TYPECHECK)/variant_providers
	ln -s "$(CURDIR)/providers" $(TYPECHECK)/variant_providers/providers

lint: typecheck-view
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	MYPYPATH=$(TYPECHECK) $(BIN)/mypy --config-file pyproject.toml -p variant_providers -p tests

format:
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench:
	$(BIN)/python bench/run.py

# Build the wheel with exactly the setuptools version pyproject.toml declares
# as its floor, so the floor is a tested fact rather than a guess.
build-floor:
	rm -rf build/floor
	$(PYTHON) -m venv build/floor/venv
	build/floor/venv/bin/python -m pip install --quiet "setuptools==$$(sed -n 's/^requires = \["setuptools>=\([0-9.]*\)"\]/\1/p' pyproject.toml)" wheel
	build/floor/venv/bin/python -m pip wheel --quiet --no-build-isolation --no-deps -w build/floor/dist .
	ls build/floor/dist/*.whl

# The provider template, installed in a fresh venv exactly as its README says
# (needs the package index for the build backend; CI runs it).
TEMPLATE := build/template
template-check:
	rm -rf $(TEMPLATE)
	$(PYTHON) -m venv $(TEMPLATE)/venv
	$(TEMPLATE)/venv/bin/python -m pip install --quiet "$(CURDIR)"
	$(TEMPLATE)/venv/bin/variant-providers new-provider tensorchip $(TEMPLATE)/tensorchip
	cd $(TEMPLATE)/tensorchip && ../venv/bin/python -m pip install --quiet -e ".[test]"
	cd $(TEMPLATE)/tensorchip && ../venv/bin/python -m pytest -q -p no:cacheprovider
	$(TEMPLATE)/venv/bin/variant-providers report --only tensorchip

clean:
	rm -rf build $(VENV) .mypy_cache .pytest_cache .ruff_cache
