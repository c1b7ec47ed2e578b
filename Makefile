# fttools - build, test, install.  See README.md.
#
# Adding a tool: drop cmd/ft-NAME.c (options + wiring only), add
# man/ft-NAME.1, a README section and tests/cli/tNNNN-ft-NAME.sh.  Any
# extra library it alone needs goes in a LIBS_ft-NAME line below.

VERSION  = 0.1.0
PREFIX  ?= /usr/local
CC      ?= cc
CFLAGS  ?= -O2 -g
BUILD   ?= build
BIN     ?= bin
SAN     ?=

WARN     = -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
DEFS     = -D_DEFAULT_SOURCE -D_FILE_OFFSET_BITS=64 -DFT_VERSION='"$(VERSION)"'
ALL_CFLAGS = $(WARN) $(DEFS) $(CFLAGS) -Icommon -MMD -MP
ifneq ($(SAN),)
ALL_CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all \
              -fno-omit-frame-pointer
SAN_LDFLAGS = -fsanitize=address,undefined
endif

# Libraries every tool links (the shared codec); heavy ones per tool.
# avro-c serves only as the reference in tests and benchmarks.
BASE_LIBS  = -ldeflate -ljansson -lsnappy -lz -lm -lpthread
LIBS_ft-aggregate = -lpcap -lmaxminddb
LIBS_ft-upload    = -lcurl -lcrypto -ljansson
LIBS_ft-fetch     = -lcurl -lcrypto -ljansson
TEST_LIBS  = -lcmocka -lpcap -lmaxminddb -lavro $(BASE_LIBS)

COMMON_SRC = $(wildcard common/*.c)
COMMON_OBJ = $(COMMON_SRC:%.c=$(BUILD)/%.o)
LIB        = $(BUILD)/libfttools.a
TOOLS      = $(patsubst cmd/%.c,$(BIN)/%,$(wildcard cmd/ft-*.c))
UNIT_SRC   = $(wildcard tests/unit/test_*.c)
UNIT_BIN   = $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(UNIT_SRC))
# Helpers for tests and benchmarks (not installed).
AUX_SRC    = $(wildcard tests/tools/*.c bench/*.c)
AUX_BIN    = $(patsubst %.c,$(BUILD)/%,$(AUX_SRC))

SCRIPTS    = $(BIN)/ft-shard

all: $(TOOLS) $(SCRIPTS)

$(BIN)/ft-shard: scripts/ft-shard
	@mkdir -p $(dir $@)
	install -m 755 $< $@

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIB): $(COMMON_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BIN)/ft-%: $(BUILD)/cmd/ft-%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(SAN_LDFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LIBS_ft-$*) $(BASE_LIBS)

$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(LIB)
	$(CC) $(SAN_LDFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(TEST_LIBS)

$(BUILD)/tests/tools/%: $(BUILD)/tests/tools/%.o $(LIB)
	$(CC) $(SAN_LDFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(TEST_LIBS)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(LIB)
	$(CC) $(SAN_LDFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(TEST_LIBS)

test-progs: $(TOOLS) $(SCRIPTS) $(UNIT_BIN) $(AUX_BIN)

deps:
	sh scripts/deps.sh

# The whole suite, once as built for users and once under ASan/UBSan,
# after a short smoke run of every fuzz harness (its seed corpus with
# every past crasher, then CHECK_FUZZ_SECONDS of fuzzing); ends with one
# "N passed, N failed" line.
CHECK_FUZZ_SECONDS ?= 10
check: deps
	$(MAKE) test-progs
	$(MAKE) BUILD=build-asan BIN=build-asan/bin SAN=1 CFLAGS='-O1 -g' test-progs
	sh tests/fuzz/run.sh $(CHECK_FUZZ_SECONDS)
	sh tests/run.sh $(BIN):$(BUILD) build-asan/bin:build-asan

check-fast: test-progs
	sh tests/run.sh $(BIN):$(BUILD)

check-asan: deps
	$(MAKE) BUILD=build-asan BIN=build-asan/bin SAN=1 CFLAGS='-O1 -g' test-progs
	sh tests/run.sh build-asan/bin:build-asan

# Benchmarks print ratios against baselines measured in the same run.
# libFuzzer harnesses (tests/fuzz/fuzz_*.c), each for FUZZ_SECONDS (clang).
FUZZ_SECONDS ?= 30
fuzz: deps
	sh tests/fuzz/run.sh $(FUZZ_SECONDS)

# The suite with every tool and unit test under valgrind (memcheck).
check-valgrind: deps
	$(MAKE) test-progs
	sh tests/valgrind.sh $(BIN) $(BUILD)

bench: bench-codec bench-aggregate bench-filter bench-convert bench-questions bench-shard \
       bench-upload

bench-codec: deps all $(AUX_BIN)
	sh bench/run.sh $(BIN) $(BUILD)

bench-upload: deps all $(AUX_BIN)
	sh bench/upload_bench.sh $(BIN)

bench-shard: deps all $(AUX_BIN)
	sh bench/shard_bench.sh $(BIN) $(BUILD)

bench-questions: deps all $(AUX_BIN)
	sh scripts/deps.sh bench
	sh bench/questions.sh $(BIN) $(BUILD)

bench-convert: deps all $(AUX_BIN)
	sh bench/convert_bench.sh $(BIN) $(BUILD)

bench-filter: deps all $(AUX_BIN)
	sh bench/filter_bench.sh $(BIN) $(BUILD)

bench-aggregate: deps all $(AUX_BIN)
	sh scripts/deps.sh bench
	sh bench/aggregate.sh $(BIN) $(BUILD)

demo: deps all $(BUILD)/tests/tools/telescope-gen
	sh scripts/demo.sh $(BIN) $(BUILD)

lint-man:
	mandoc -Tlint -Wwarning man/*.[0-9]

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	           $(DESTDIR)$(PREFIX)/share/man/man5
	install -m 755 $(TOOLS) $(SCRIPTS) $(DESTDIR)$(PREFIX)/bin
	install -m 644 man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 644 man/*.5 $(DESTDIR)$(PREFIX)/share/man/man5

clean:
	rm -rf build build-asan bin

.PHONY: all deps check check-fast check-asan bench bench-codec bench-aggregate \
        bench-filter bench-convert bench-questions bench-shard bench-upload \
        demo install clean \
        test-progs lint-man fuzz check-valgrind
.SECONDARY:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
