# scs-image-hook: build, test, install. Every library comes through pkg-config.
PREFIX     ?= /usr/local
SYSCONFDIR ?= /etc
DESTDIR    ?=
BUILD      ?= build
VERSION    := 0.1.0

PKGS      := yajl libpcre2-8 yaml-0.1 libcrypto libcurl jansson libmicrohttpd librnp
TEST_PKGS := check yajl
CC        ?= cc
OPT       ?= -O2 -g
WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 -Wno-format-nonliteral
CFLAGS    += $(OPT) -std=gnu11 $(WARN) -D_GNU_SOURCE -DVERSION='"$(VERSION)"' \
             -DSYSCONFDIR='"$(SYSCONFDIR)"' $(shell pkg-config --cflags $(PKGS))
LDLIBS    += $(shell pkg-config --libs $(PKGS)) -pthread

# The pure core and what it writes; the adapters that talk to services and
# files (log writes the decision log); the commands. scripts/layers checks
# that CORE does no I/O and that no objects use each other in a cycle.
CORE   := buf ydoc yconf date regex enums spec rules policy meta fleet image patch route hdr violation decide exempt presence testcase jsonw record util tokens quota \
          usage projects uri sums origins digest tail
ADAPT  := log clouds config opconf http pgp vendor keystone glance upstream metrics gate admit proxy
CMDS   := main cli cmd_check cmd_policy cmd_audit cmd_proxy
OBJ    := $(addprefix $(BUILD)/,$(addsuffix .o,$(CORE) $(ADAPT) $(CMDS)))
# The unit tests link the core and the adapters they test without services
# (vendor and http: a loopback mirror in the test process).
CORE_OBJ := $(addprefix $(BUILD)/,$(addsuffix .o,$(CORE) clouds config opconf pgp http vendor))
UNIT_SRC := $(wildcard tests/unit/*.c)
BIN    := $(BUILD)/scs-image-hook

.PHONY: all deps check layers unit asan valgrind install install-man uninstall demo bench clean
all: $(BIN)

$(BUILD)/%.o: hook/%.c $(wildcard hook/*.h) | $(BUILD)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BIN): $(OBJ)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/unit-tests: $(UNIT_SRC) $(CORE_OBJ) $(wildcard tests/unit/*.h tests/fuzz/*.c tests/fuzz/*.h)
	$(CC) $(CFLAGS) -Ihook $(shell pkg-config --cflags $(TEST_PKGS)) $(LDFLAGS) -o $@ \
		$(UNIT_SRC) $(CORE_OBJ) $(LDLIBS) $(shell pkg-config --libs $(TEST_PKGS))

$(BUILD):
	mkdir -p $@

# Debian packages for the build, the tests and the test stack (idempotent).
deps:
	scripts/deps

# The proxy's peak RSS bound in the 1 GiB streaming test (ASan needs more).
RSS_LIMIT_MIB ?= 64
check: layers $(BIN) $(BUILD)/unit-tests
	RSS_LIMIT_MIB=$(RSS_LIMIT_MIB) BIN=$(abspath $(BIN)) UNIT=$(abspath $(BUILD)/unit-tests) tests/run

# No cycles between objects, no I/O in CORE (scripts/layers says how it judges).
layers: $(BIN)
	BUILD=$(BUILD) CORE="$(CORE)" scripts/layers

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

# For scripts/layers: the layer lists, named once, above.
print-%:
	@echo $($*)
