# Two commands do everything: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   := examples/demo

.PHONY: demo test soak setup system-deps lint typecheck check bench bench-build bench-withdraw bench-smtp previews clean

# The example's whole life on a fresh state folder: build, approve and deliver (to the outbox),
# publish one CAP alert, then resolve that case and print its takedown report (exit 5 = items
# for a person, as expected).
demo: setup
	rm -rf $(DEMO)/.campaign $(DEMO)/outbox
	$(BIN)/python $(DEMO)/make_photos.py
	$(BIN)/campaign run --config $(DEMO)/campaign.toml --approve-as "Demo reviewer (fictional)"
	$(BIN)/campaign alert $(DEMO)/cases.csv DEMO-US-001 --format cap --config $(DEMO)/campaign.toml > /dev/null
	$(BIN)/campaign resolve DEMO-US-001 --config $(DEMO)/campaign.toml || [ $$? -eq 5 ]

test: setup
	@bash scripts/system-deps.sh --tests
	$(BIN)/python -m pytest -n auto -q

soak: setup
	$(BIN)/python -m pytest -q -m soak

setup: system-deps $(STAMP)

system-deps:
	@bash scripts/system-deps.sh

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[all,test]'
	@touch $(STAMP)

lint: setup
	$(BIN)/ruff check campaign tests

typecheck: setup
	$(BIN)/mypy

check: lint typecheck test

bench: setup
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/posters.py

bench-build: setup
	$(BIN)/python bench/build.py

bench-withdraw: setup
	$(BIN)/python bench/withdraw.py

bench-smtp: setup
	$(BIN)/python bench/smtp.py

previews: setup
	$(BIN)/python scripts/make_previews.py
	$(BIN)/python scripts/banner_sheet.py

clean:
	rm -rf $(VENV) $(DEMO)/out $(DEMO)/outbox $(DEMO)/.campaign .pytest_cache
