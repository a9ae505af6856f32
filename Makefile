# scs-image-hook: build, test, install. Every library comes through pkg-config.
PREFIX     ?= /usr/local
SYSCONFDIR ?= /etc
DESTDIR    ?=
BUILD      ?= build
VERSION    := 0.1.0

PKGS      := yajl libpcre2-8 yaml-0.1 libcrypto libcurl jansson libmicrohttpd zlib gnutls librnp
# librnp's headers, not its library: hook/io/pgp.c opens it (dlopen) only
# in a process that loads a keyring, so the others never load it.
LINK_PKGS := $(filter-out librnp,$(PKGS))
TEST_PKGS := check yajl
CC        ?= cc
OPT       ?= -O2 -g
WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 -Wno-format-nonliteral
CFLAGS    += $(OPT) -std=gnu11 $(WARN) -Ihook -D_GNU_SOURCE -DVERSION='"$(VERSION)"' \
             -DSYSCONFDIR='"$(SYSCONFDIR)"' $(shell pkg-config --cflags $(PKGS))
LDLIBS    += $(shell pkg-config --libs $(LINK_PKGS)) -ldl -pthread

# hook/ has one folder per layer, and the folder a source lives in is its
# layer: core (pure: computes on what it is given, no I/O), io (the adapters
# that talk to files, services and clients), cmd (the commands: options,
# wiring, output). A lower layer never calls a higher one; scripts/layers
# holds that true from the built objects, and that the core does no I/O.
LAYERS := core io cmd
SRC    := $(foreach l,$(LAYERS),$(wildcard hook/$(l)/*.c))
HDR    := $(foreach l,$(LAYERS),$(wildcard hook/$(l)/*.h))
# A glob that finds nothing must fail the build, not pass it: every layer
# has sources, every source under hook/ is in a layer's folder, and no two
# share a basename (objects and tools name them by it).
$(foreach l,$(LAYERS),$(if $(wildcard hook/$(l)/*.c),,$(error hook/$(l)/ has no sources)))
ifneq ($(words $(SRC)),$(words $(shell find hook -name '*.c')))
$(error hook/ has sources outside the layer folders $(LAYERS))
endif
ifneq ($(words $(notdir $(SRC))),$(words $(sort $(notdir $(SRC)))))
$(error two sources under hook/ share a basename)
endif
OBJ    := $(patsubst hook/%.c,$(BUILD)/%.o,$(SRC))
CORE   := $(basename $(notdir $(wildcard hook/core/*.c)))
# The unit tests link the core and the adapters they test without services
# (vendor and http: a loopback mirror in the test process).
UNIT_ADAPT := clouds clouds_entry config opconf pgp http vendor
CORE_OBJ := $(filter $(BUILD)/core/%,$(OBJ)) $(addprefix $(BUILD)/io/,$(addsuffix .o,$(UNIT_ADAPT)))
UNIT_SRC := $(wildcard tests/unit/*.c)
BIN    := $(BUILD)/scs-image-hook

.PHONY: all deps check layers unit asan valgrind install install-man uninstall demo bench clean
all: $(BIN)

$(BUILD)/%.o: hook/%.c $(HDR)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BIN): $(OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/unit-tests: $(UNIT_SRC) $(CORE_OBJ) $(wildcard tests/unit/*.h tests/fuzz/*.c tests/fuzz/*.h)
	$(CC) $(CFLAGS) $(shell pkg-config --cflags $(TEST_PKGS)) $(LDFLAGS) -o $@ \
		$(UNIT_SRC) $(CORE_OBJ) $(LDLIBS) $(shell pkg-config --libs $(TEST_PKGS))

# Debian packages for the build, the tests and the test stack (idempotent).
deps:
	scripts/deps

# The proxy's peak RSS bound in the 1 GiB streaming test (ASan needs more).
RSS_LIMIT_MIB ?= 64
check: layers $(BIN) $(BUILD)/unit-tests
	RSS_LIMIT_MIB=$(RSS_LIMIT_MIB) BIN=$(abspath $(BIN)) UNIT=$(abspath $(BUILD)/unit-tests) tests/run

# No upward calls, no cycles between objects, no I/O in the core
# (scripts/layers says how it judges).
layers: $(BIN)
	BUILD=$(BUILD) LAYERS="$(LAYERS)" scripts/layers

unit: $(BUILD)/unit-tests
	$(BUILD)/unit-tests

# The whole suite again under AddressSanitizer + UndefinedBehaviorSanitizer.
asan:
	$(MAKE) BUILD=build-asan OPT='-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all' \
		LDFLAGS='-fsanitize=address,undefined' RSS_LIMIT_MIB=256 check

MANDIR ?= $(PREFIX)/share/man

install: $(BIN) install-man
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/scs-image-hook
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/scs-image-hook
	install -m 0644 policy/*.yaml $(DESTDIR)$(PREFIX)/share/scs-image-hook/
	install -m 0755 deploy/scs/scs-0104-test $(DESTDIR)$(PREFIX)/share/scs-image-hook/

# scs-image-hook(1) and scs-image-hook.yaml(5); tests/cli/docs.sh keeps them true.
install-man:
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	install -m 0644 man/scs-image-hook.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 man/scs-image-hook.yaml.5 $(DESTDIR)$(MANDIR)/man5/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/scs-image-hook
	rm -rf $(DESTDIR)$(PREFIX)/share/scs-image-hook
	rm -f $(DESTDIR)$(MANDIR)/man1/scs-image-hook.1 $(DESTDIR)$(MANDIR)/man5/scs-image-hook.yaml.5

demo: deps $(BIN)
	examples/demo

bench: $(BIN)
	bench/check

clean:
	rm -rf build build-asan

# The unit tests and a check run under valgrind memcheck: no errors, no leaks.
valgrind: $(BIN) $(BUILD)/unit-tests
	CK_FORK=no valgrind -q --error-exitcode=3 --leak-check=full --errors-for-leak-kinds=definite,indirect \
		$(BUILD)/unit-tests
	valgrind -q --error-exitcode=3 --leak-check=full --errors-for-leak-kinds=definite,indirect \
		$(BIN) check --config policy/scs-image-hook.yaml --format json --log /dev/null examples/images.jsonl \
		>/dev/null || [ $$? -eq 1 ]
include tests/fuzz/fuzz.mk

# For scripts: the variables, named once, above.
print-%:
	@echo $($*)
