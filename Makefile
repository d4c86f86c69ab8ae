# blalm - build, test, bench, demo, install.
#
#   make                 build bin/blalm
#   make test            install missing build/test dependencies, run every test tier
#   make SAN=1 test      the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   make bench           benchmarks, each beside its peer in the same run
#   make demo            the offline end-to-end job
#   make fuzz            libFuzzer harnesses (clang; not part of CI)
#   make install PREFIX=/usr/local
#   make MPI=0           build without Open MPI even where it is installed

PREFIX  ?= /usr/local
CC      ?= cc
VERSION := 0.1.0

# Libraries (pkg-config); libhyphen ships no .pc file on Debian.
PKGS := libcurl libzstd zlib libcrypto libpcre2-8 libutf8proc libcjson libxxhash openblas snappy
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lhyphen

WARN    := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wstrict-prototypes -Wno-format-truncation
OPT     ?= -O2 -g
CFLAGS  ?=
# The CMU Pronouncing Dictionary that scripts/deps.sh installs (npm, pinned by
# deps/cmudict/package-lock.json: CMUdict 0.7a, the version textstat reads
# through NLTK), and where `make install` copies it. The same for the model
# configs that `blalm ablate --model-size NAME` reads.
CMUDICT_FILE := deps/cmudict/node_modules/cmudict/lib/cmu/cmudict.0.7a
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -DBLALM_VERSION='"$(VERSION)"' $(OPT) $(WARN) \
               -DBLALM_CMUDICT_DEFAULT='"$(CURDIR)/$(CMUDICT_FILE)"' \
               -DBLALM_CMUDICT_INSTALLED='"$(PREFIX)/share/blalm/cmudict-0.7a"' \
               -DBLALM_CONFIGS_DEFAULT='"$(CURDIR)/configs"' \
               -DBLALM_CONFIGS_INSTALLED='"$(PREFIX)/share/blalm/configs"' \
               -fopenmp -I. $(PKG_CFLAGS)
LDLIBS  := $(PKG_LIBS) -fopenmp -lm -lpthread

# Open MPI when installed (Debian libopenmpi-dev): pkg-config's ompi-c, else
# mpicc --showme. MPI=0 builds without it; the binary then trains on threads only.
MPI ?= 1
ifeq ($(MPI),1)
  MPI_CFLAGS := $(shell pkg-config --cflags ompi-c 2>/dev/null || mpicc --showme:compile 2>/dev/null)
  MPI_LIBS   := $(shell pkg-config --libs ompi-c 2>/dev/null || mpicc --showme:link 2>/dev/null)
endif
ifneq ($(strip $(MPI_LIBS)),)
  BASE_CFLAGS += -DBLALM_MPI $(MPI_CFLAGS)
  LDLIBS += $(MPI_LIBS)
  VARIANT_MPI :=
else
  VARIANT_MPI := -nompi
endif

ifeq ($(SAN),1)
  VARIANT := san
  BASE_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  LDLIBS += -fsanitize=address,undefined
else
  VARIANT := release
endif

BUILD := build/$(VARIANT)$(VARIANT_MPI)
BIN   := $(if $(filter san,$(VARIANT)),build/san/bin/blalm,bin/blalm)
# bin/blalm is shared by the MPI and MPI=0 builds: relink when the other built it last
BIN_FROM := build/.bin-from-$(VARIANT)
$(shell mkdir -p build; [ "$$(cat $(BIN_FROM) 2>/dev/null)" = "$(BUILD)" ] || echo "$(BUILD)" > $(BIN_FROM))

LIB_SRC   := $(sort $(wildcard lib/*.c hub/*.c filters/*.c scorer/*.c corpora/*.c trainer/*.c) \
                    $(filter-out pipeline/main.c,$(wildcard pipeline/*.c)))
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
CMD_SRC   := $(sort $(wildcard pipeline/cmd_*.c))

.PHONY: all test bench demo fuzz install clean deps demo-deps test-deps unit-bins
all: $(BIN)

$(BUILD)/%.o: %.c $(wildcard */*.h */*.inc) | $(BUILD)/.dirs
	@mkdir -p $(dir $@)
	@echo "CC $<"; $(CC) $(BASE_CFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/.dirs:
	@mkdir -p $(BUILD) && touch $@

# The subcommand table is collected from BLALM_COMMAND(...) lines.
$(BUILD)/commands.h: $(CMD_SRC) | $(BUILD)/.dirs
	@grep -h '^BLALM_COMMAND(' $(CMD_SRC) | sort > $@.tmp && mv $@.tmp $@

$(BUILD)/pipeline/main.o: pipeline/main.c $(BUILD)/commands.h $(wildcard */*.h)
	@mkdir -p $(dir $@)
	@echo "CC $<"; $(CC) $(BASE_CFLAGS) $(CFLAGS) -I$(BUILD) -c $< -o $@

$(BUILD)/libblalm.a: $(LIB_OBJ)
	@rm -f $@
	@echo "AR $@"; ar rcs $@ $^

$(BIN): $(BUILD)/pipeline/main.o $(BUILD)/libblalm.a $(BIN_FROM)
	@mkdir -p $(dir $@)
	@echo "LD $@"; $(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $(filter-out $(BIN_FROM),$^) $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/test.h tests/unit/fixture.h $(BUILD)/libblalm.a
	@mkdir -p $(dir $@)
	@echo "LD $@"; $(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $< $(BUILD)/libblalm.a $(LDLIBS)

unit-bins: $(UNIT_BIN)

deps:
	@scripts/deps.sh build

demo-deps:
	@scripts/deps.sh demo

test-deps:
	@scripts/deps.sh test

test: test-deps
	@$(MAKE) --no-print-directory all unit-bins
	@BLALM_BIN=$(abspath $(BIN)) BLALM_UNIT_DIR=$(abspath $(BUILD)/tests) SAN=$(SAN) tests/run.sh

bench: test-deps
	@$(MAKE) --no-print-directory all
	@BLALM_BIN=$(abspath $(BIN)) tests/bench/run.sh

demo: demo-deps
	@$(MAKE) --no-print-directory all
	@BLALM_BIN=$(abspath $(BIN)) scripts/demo.sh

fuzz:
	@tests/fuzz/run.sh

# configs/demo-corpora.json was removed (blalm run refuses it): install
# removes it from an older install too
install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/bin/blalm
	install -d $(DESTDIR)$(PREFIX)/share/blalm/configs
	install -m 644 configs/*.json $(DESTDIR)$(PREFIX)/share/blalm/configs/
	rm -f $(DESTDIR)$(PREFIX)/share/blalm/configs/demo-corpora.json
	@if [ -f $(CMUDICT_FILE) ]; then install -d $(DESTDIR)$(PREFIX)/share/blalm && \
	  install -m 644 $(CMUDICT_FILE) $(DESTDIR)$(PREFIX)/share/blalm/cmudict-0.7a; \
	else echo "note: $(CMUDICT_FILE) missing (scripts/deps.sh installs it); blalm tag will count syllables by pyphen alone"; fi

clean:
	rm -rf build bin
