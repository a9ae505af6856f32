# Fuzzing: libFuzzer targets over the pure core, built by clang
# with ASan + UBSan in a build directory of their own. Included from the
# Makefile; uses its HDR, WARN, PKGS and LDLIBS.
FUZZ_CC            ?= clang
FUZZ_BUILD         ?= build-fuzz
FUZZ_SECONDS       ?= 600
FUZZ_SMOKE_SECONDS ?= 30
FUZZ_TARGETS       := policy image patch clouds route usage uri sums origins proof logrec builds cleartext dirindex

FUZZ_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all \
               -std=gnu11 $(WARN) -Ihook -D_GNU_SOURCE -DVERSION='"$(VERSION)"' -DSYSCONFDIR='"$(SYSCONFDIR)"' \
               $(shell pkg-config --cflags $(PKGS))
FUZZ_CORE_OBJ := $(patsubst hook/%.c,$(FUZZ_BUILD)/%.o,$(wildcard hook/core/*.c)) \
                 $(addprefix $(FUZZ_BUILD)/io/,$(addsuffix .o,clouds clouds_entry config opconf))
FUZZ_BINS     := $(addprefix $(FUZZ_BUILD)/fuzz_,$(FUZZ_TARGETS))

.PHONY: fuzz fuzz-smoke fuzz-build fuzz-clean

# The core gets coverage instrumentation; only the targets link libFuzzer's main.
$(FUZZ_BUILD)/%.o: hook/%.c $(HDR)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_CORE_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -DFUZZ_POLICY_DIR='"$(abspath policy)"' -o $@ \
		$< $(FUZZ_CORE_OBJ) $(LDLIBS)

# Keep the instrumented core between targets (make would delete it as intermediate).
.SECONDARY: $(FUZZ_CORE_OBJ)

fuzz-build: $(FUZZ_BINS)

# Each target for FUZZ_SECONDS, one after the other (one core).
fuzz: $(FUZZ_BINS)
	FUZZ_BUILD=$(FUZZ_BUILD) tests/fuzz/run $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# CI: the regression inputs and the seed corpus once, then each target briefly.
fuzz-smoke: $(FUZZ_BINS)
	FUZZ_BUILD=$(FUZZ_BUILD) tests/fuzz/run $(FUZZ_SMOKE_SECONDS) $(FUZZ_TARGETS)

fuzz-clean:
	rm -rf $(FUZZ_BUILD)
clean: fuzz-clean
