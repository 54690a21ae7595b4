# Two commands do all the set-up on a fresh machine with python3:
#   make book   build the HTML book in the default profile (executes the notebooks; strict)
#   make test   unit tests, nbval over every notebook (ci profile), strict book build
#   make student  student/ notebooks with the solutions stripped
#   make slides   one reveal.js deck per syllabus week (after make book, which also makes them)
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install book slides test unit nbval book-strict student clean

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	@touch $@

install: $(STAMP)

# Each profile keeps its own execution cache, _build/.jupyter_cache-<profile>, and the book
# reads the one of the profile it builds (the _build/.jupyter_cache link): `make book` after
# `make test` executes in its own profile instead of showing the ci outputs. --all re-reads
# every page, so the HTML never keeps pages from another profile's build.
USE_CACHE = mkdir -p _build/.jupyter_cache-$$profile && \
	{ [ -L _build/.jupyter_cache ] || rm -rf _build/.jupyter_cache; } && \
	ln -sfn .jupyter_cache-$$profile _build/.jupyter_cache

# The book in the default profile (cpu without CUDA; the same verified sizes on a GPU), strict:
# a failing cell or a warning fails the build. .ci/run runs it after `make test`.
# scripts/execute_notebooks.py first fills the cache two notebooks at a time (jupyter-book
# would run them one after another); the build then finds every notebook executed.
book: $(STAMP)
	@profile=$$($(BIN)/python -c 'from mmfuse_lite.runtime import get_profile; print(get_profile())'); \
	echo "Building the book in the '$$profile' profile"; \
	$(USE_CACHE) && \
	$(BIN)/python scripts/execute_notebooks.py --jobs 2 && \
	$(BIN)/jupyter-book build --all -W -n --keep-going . && \
	$(BIN)/python scripts/make_slides.py && \
	$(BIN)/python scripts/check_book_html.py _build/html
	@echo "The book is at file://$(CURDIR)/_build/html/index.html"

# One reveal.js deck per syllabus week, from the notebooks the last book build executed
# (make book runs this too): _build/html/slides/week01.html ... week12.html
slides: $(STAMP)
	$(BIN)/python scripts/make_slides.py

# Tests and notebooks run on two workers (pytest-xdist) with one torch thread each: on two
# cores that is faster than one process with two threads, whose small ops barely use the second.
JOBS ?= 2

unit: $(STAMP)
	OMP_NUM_THREADS=1 MMFUSE_PROFILE=ci $(BIN)/python -m pytest -q -n $(JOBS) --dist worksteal -p no:cacheprovider tests

# nbval executes each notebook once (--dist loadfile keeps a notebook's cells on one worker,
# in order); conftest.py stores the executed notebooks in the book's execution cache, so
# book-strict does not run them again. The workers take the notebooks longest first (nbval
# seconds on 2 cores, 4 December 2026: 08 239, 07 153, 10 106, 02 93, 09 92, 04 91, 05 80,
# 06 67, 03 28, 01 14), so that neither waits long for the other at the end (about 35 s
# less than in file order); a notebook not listed here runs last.
NBVAL_FIRST := $(addprefix notebooks/,08_contrastive_alignment.ipynb 07_attention_fusion.ipynb \
	10_sound_and_motion.ipynb 02_autoencoder.ipynb 09_text_to_image.ipynb 04_codebook_lab.ipynb \
	05_vqgan.ipynb 06_fusion_strategies.ipynb 03_vq_vae.ipynb 01_shapes_world.ipynb)
NBVAL_ORDER := $(wildcard $(NBVAL_FIRST)) $(filter-out $(NBVAL_FIRST),$(sort $(wildcard notebooks/[0-9]*.ipynb)))

nbval: $(STAMP)
	OMP_NUM_THREADS=1 MMFUSE_PROFILE=ci $(BIN)/python -m pytest -q -n $(JOBS) --dist loadfile --no-loadscope-reorder \
		--nbval-lax --nbval-current-env -p no:cacheprovider $(NBVAL_ORDER)

book-strict: $(STAMP)
	@profile=ci; $(USE_CACHE)
	MMFUSE_PROFILE=ci $(BIN)/jupyter-book build --all . -W -n --keep-going
	$(BIN)/python scripts/make_slides.py
	$(BIN)/python scripts/check_book_html.py _build/html
	@echo "The book is at file://$(CURDIR)/_build/html/index.html"

test: unit nbval book-strict

# Student versions: solutions replaced by NotImplementedError stubs, outputs cleared.
student: $(STAMP)
	$(BIN)/python -m mmfuse_lite.student notebooks student

clean:
	rm -rf _build student
