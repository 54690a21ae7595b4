# Two commands do all the set-up on a fresh machine with python3:
#   make book   build the HTML book (executes the notebooks)
#   make test   unit tests, nbval over every notebook (ci profile), strict book build
#   make student  student/ notebooks with the solutions stripped
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install book test unit nbval book-strict student clean

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	@touch $@

install: $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build .
	@echo "The book is at file://$(CURDIR)/_build/html/index.html"

unit: $(STAMP)
	MMFUSE_PROFILE=ci $(BIN)/python -m pytest -q -p no:cacheprovider tests

# nbval executes each notebook once; conftest.py stores the executed
# notebooks in the book's execution cache, so book-strict does not run them again.
nbval: $(STAMP)
	MMFUSE_PROFILE=ci $(BIN)/python -m pytest -q --nbval-lax --nbval-current-env -p no:cacheprovider notebooks/

book-strict: $(STAMP)
	MMFUSE_PROFILE=ci $(BIN)/jupyter-book build . -W -n --keep-going
	@echo "The book is at file://$(CURDIR)/_build/html/index.html"

test: unit nbval book-strict

# Student versions: solutions replaced by NotImplementedError stubs, outputs cleared.
student: $(STAMP)
	$(BIN)/python -m mmfuse_lite.student notebooks student

clean:
	rm -rf _build student
