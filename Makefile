# vgpu-run: one build for everything.
#
#   make            build into build/
#   make check      all tests, then the same tests on an ASan/UBSan build
#   make demo       run the bundled CUDA client on the simulated GPU
#   make clients-table  run the PyPI CUDA clients, table into README.md
#   make check-heavy    the same clients plus PyTorch (several GB)
#   make bench      side-by-side benchmarks against the installed peers
#   make install    PREFIX=/usr/local DESTDIR=
#   make deps       install the build dependencies (root) or print the line
#
# Each directory contributes a module.mk; this file holds what they share.

BUILD    ?= build
PREFIX   ?= /usr/local
DESTDIR  ?=
CC       ?= cc
SAN      ?= 0

PKGS     := libseccomp libelf libunwind capstone libzstd liblz4
APT_PKGS := build-essential pkg-config libseccomp-dev libelf-dev \
            libunwind-dev libcapstone-dev libzstd-dev liblz4-dev
# Only for tests and benchmarks: peers, fuzzing and a browser for the
# HTML timeline test.  Absent ones make their tests skip with a reason.
APT_TEST_PKGS := clang lld binutils-gold strace ltrace uftrace patchelf \
            chromium bc

HAVE_PKGS := $(shell pkg-config --exists $(PKGS) 2>/dev/null && echo 1)
ifeq ($(HAVE_PKGS),1)
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
SECCOMP_LIBS := $(shell pkg-config --libs libseccomp)
ELF_LIBS     := $(shell pkg-config --libs libelf)
UNWIND_LIBS  := $(shell pkg-config --libs libunwind)
CAPSTONE_LIBS := $(shell pkg-config --libs capstone)
endif

WARN     := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
CFLAGS   ?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(CFLAGS) $(WARN) -fPIC -fno-strict-aliasing \
             -D_GNU_SOURCE -Icommon -I$(BUILD)/gen $(PKG_CFLAGS)
LDFLAGS  ?=

# SAN=1: executables get ASan+UBSan.  Shared objects that load into other
# programs get UBSan only: the ASan runtime must come first in a process,
# which we cannot promise inside the programs we serve.
ifeq ($(SAN),1)
EXE_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all \
           -fno-omit-frame-pointer
SO_SAN  := -fsanitize=undefined -fno-sanitize-recover=all
else
EXE_SAN :=
SO_SAN  :=
endif

BIN := $(BUILD)/bin
LIB := $(BUILD)/lib/vgpu
OBJ := $(BUILD)/obj

# Modules append to these.
ALL_TARGETS  :=
INSTALL_BINS :=
INSTALL_LIBS :=
INSTALL_DATA :=

.PHONY: all check check-fast check-asan demo bench install deps need-deps \
        clean fuzz clients-table check-heavy
all: need-deps build-all

# Objects: one rule for all code; EXE objects and SO objects differ only
# in the sanitizer set, so each tree has its own.
$(OBJ)/exe/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(EXE_SAN) -MMD -MP -c $< -o $@
$(OBJ)/so/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SO_SAN) -fvisibility=hidden -MMD -MP -c $< -o $@

COMMON_SRC := common/trace_write.c common/trace_read.c common/errbuf.c \
              common/out_file.c common/text_escape.c
COMMON_EXE_OBJ = $(patsubst %.c,$(OBJ)/exe/%.o,$(COMMON_SRC) $(COMMON_EXTRA_SRC))
COMMON_SO_OBJ  = $(patsubst %.c,$(OBJ)/so/%.o,$(COMMON_SRC) $(COMMON_EXTRA_SRC))

include $(sort $(wildcard */module.mk */*/module.mk))

build-all: $(ALL_TARGETS)

-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)

# ---- dependencies ----
deps:
	@if [ "$$(id -u)" = 0 ]; then \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    $(APT_PKGS) $(if $(WITH_TEST_PKGS),$(APT_TEST_PKGS)); \
	else \
	  echo "vgpu-run: run as root:  apt-get install -y $(APT_PKGS) $(if $(WITH_TEST_PKGS),$(APT_TEST_PKGS))" >&2; \
	  exit 1; \
	fi

need-deps:
	@if ! pkg-config --exists $(PKGS) 2>/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then $(MAKE) --no-print-directory deps && \
	    echo "vgpu-run: dependencies installed; building" >&2; \
	  else \
	    echo "vgpu-run: missing build dependencies; run as root:" >&2; \
	    echo "  apt-get install -y $(APT_PKGS)" >&2; exit 1; \
	  fi; \
	fi

# ---- tests ----
# check: the normal build, then the ASan/UBSan build, same tests on both.
# Recursion re-reads pkg-config after `need-deps` may have installed.
check: need-deps
	@if [ "$$(id -u)" = 0 ] && [ -z "$$VGPU_NO_TEST_DEPS" ]; then \
	  missing=""; for p in $(APT_TEST_PKGS); do \
	    dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	  if [ -n "$$missing" ]; then \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing \
	      >/dev/null 2>&1 || echo "vgpu-run: could not install$$missing; their tests will skip" >&2; \
	  fi; \
	fi
	@$(MAKE) --no-print-directory build-all
	@$(MAKE) --no-print-directory BUILD=build-asan SAN=1 build-all
	@tests/run.sh --build $(BUILD) --build-asan build-asan

check-fast: need-deps
	@$(MAKE) --no-print-directory build-all
	@tests/run.sh --build $(BUILD) $(if $(T),--only $(T))

# The Python client suite (PyPI) and the README table made from its runs;
# check-heavy adds PyTorch's CUDA build (several GB, its own venv).
clients-table: need-deps
	@$(MAKE) --no-print-directory build-all
	@tests/run.sh --build $(BUILD) --only clients/test_python_clients || true
	@python3 tests/clients/table.py $(BUILD)/clients-results build/clients-venv \
	  README.md tests/clients/gpu-results

check-heavy: need-deps
	@$(MAKE) --no-print-directory build-all
	@VGPU_HEAVY=1 tests/run.sh --build $(BUILD) --only clients/test_torch

demo: need-deps
	@$(MAKE) --no-print-directory build-all
	@tests/demo.sh $(BUILD)

bench: need-deps
	@$(MAKE) --no-print-directory build-all
	@bench/run.sh $(BUILD)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/vgpu \
	           $(DESTDIR)$(PREFIX)/share/vgpu-run/rules
	$(if $(INSTALL_BINS),install -m 0755 $(INSTALL_BINS) $(DESTDIR)$(PREFIX)/bin/)
	$(if $(INSTALL_LIBS),install -m 0755 $(INSTALL_LIBS) $(DESTDIR)$(PREFIX)/lib/vgpu/)
	$(if $(INSTALL_DATA),install -m 0644 $(INSTALL_DATA) $(DESTDIR)$(PREFIX)/share/vgpu-run/rules/)

clean:
	rm -rf build build-asan
