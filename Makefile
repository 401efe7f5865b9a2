# gatewayd: one plain Makefile. `make run` and `make check` install what they
# need (scripts/deps.sh), build, and run. SAN=1 builds everything with
# AddressSanitizer and UndefinedBehaviorSanitizer into build-san/.

CC      ?= cc
SAN     ?= 0
BUILD   ?= build

ifeq ($(SAN),1)
BUILD    = build-san
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

INIH_CFLAGS := $(shell pkg-config --cflags inih 2>/dev/null)
INIH_LIBS   := $(shell pkg-config --libs inih 2>/dev/null || echo -linih)
CHECK_LIBS  := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck)
# libcrypto signs callbacks (HMAC-SHA256); libcurl, the OpenSSL flavour, delivers them.
CRYPTO_LIBS := $(shell pkg-config --libs libcrypto 2>/dev/null || echo -lcrypto)
CURL_LIBS   := $(shell pkg-config --libs libcurl 2>/dev/null || echo -lcurl)
# libnats: the NATS JetStream client of async.backend = nats; jansson writes and
# reads its job values (and gatewayctl's JSON).
NATS_LIBS   := $(shell pkg-config --libs libnats 2>/dev/null || echo -lnats)
JANSSON_LIBS := $(shell pkg-config --libs jansson 2>/dev/null || echo -ljansson)
CORE_LIBS   := -lev $(INIH_LIBS) $(shell pkg-config --libs libseccomp 2>/dev/null || echo -lseccomp) \
               $(CURL_LIBS) $(CRYPTO_LIBS) $(NATS_LIBS) $(JANSSON_LIBS) -lpthread -lm

CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wstrict-prototypes \
           -Wmissing-prototypes -Wshadow $(INIH_CFLAGS) -MMD -MP
# Each directory sees only the headers of the ones below it, so the compiler
# holds the layers: common/ (codec, buffer) knows nothing else, fcgi-pool/
# never sees the daemon's headers, gatewayd/ and the tests see all three.
COMMON_INC := -Icommon
POOL_INC   := $(COMMON_INC) -Ifcgi-pool
DAEMON_INC := $(POOL_INC) -Igatewayd
# The sanitizers instrument gatewayd and its tests. The example functions
# stay plain: they run under seccomp, which refuses what LeakSanitizer
# needs at exit (ptrace), and SAN=1 is about gatewayd's memory, not theirs.
GW_CFLAGS  = $(CFLAGS) $(SANFLAGS)
GW_LDFLAGS = $(LDFLAGS) $(SANFLAGS)

CORE_SRC  := $(wildcard common/*.c) $(wildcard fcgi-pool/*.c) \
             $(filter-out gatewayd/main.c,$(wildcard gatewayd/*.c))
CORE_OBJ  := $(CORE_SRC:%.c=$(BUILD)/obj/%.o)
CORE_LIB  := $(BUILD)/libgatewayd.a
DAEMON    := $(BUILD)/gatewayd
# gatewayctl: the admin socket's client. It reads the configuration with
# gatewayd's own loader and speaks FastCGI with gatewayd's own codec.
CTL       := $(BUILD)/gatewayctl
CTL_OBJ   := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard gatewayctl/*.c))
FUNCTIONS := $(patsubst functions/%.c,$(BUILD)/functions/%,$(wildcard functions/*.c))
CHECKS    := $(patsubst tests/%.c,$(BUILD)/%,$(wildcard tests/check_*.c))
# Functions only the tests run (the isolation tests' attacker): never installed.
TEST_FUNCTIONS := $(patsubst tests/functions/%.c,$(BUILD)/tests/%,$(wildcard tests/functions/*.c))
# LD_PRELOAD shims the integration tests load into gatewayd (a stepped wall clock).
TEST_PRELOADS := $(patsubst tests/preload/%.c,$(BUILD)/tests/%.so,$(wildcard tests/preload/*.c))
# gatewayd -v. A release sets it; otherwise it says which commit was built.
VERSION   ?= 0.1.0$(shell git describe --always --dirty --exclude '*' 2>/dev/null | sed 's/^/+/')
PYTHON_CFLAGS := $(shell pkg-config --cflags python3-embed 2>/dev/null)
PYTHON_LIBS   := $(shell pkg-config --libs python3-embed 2>/dev/null)
PYTHON_VERSION := $(shell pkg-config --modversion python3-embed 2>/dev/null)
RUNTIMES  := $(BUILD)/runtimes/python3/gatewayd-python3 $(BUILD)/runtimes/python3/gatewayd_runtime.py

.PHONY: all deps check unit integration layers man ini-man run bench fuzz clean install uninstall FORCE

all: $(DAEMON) $(CTL) $(FUNCTIONS) $(RUNTIMES)

deps:
	@scripts/deps.sh

check: deps
	$(MAKE) all $(CHECKS) $(TEST_FUNCTIONS) $(TEST_PRELOADS)
	$(MAKE) layers man unit integration

# The man pages, as mandoc reads them: any warning fails.
# gatewayd.ini(5) is docs/config.md converted: it must match, but for its
# date line (`make ini-man` writes it anew).
man:
	mandoc -Tlint -Wwarning man/*.[0-9]
	@mkdir -p $(BUILD)
	@python3 scripts/config_man.py - <docs/config.md | tail -n +2 >$(BUILD)/gatewayd.ini.5.body
	@tail -n +2 man/gatewayd.ini.5 | cmp -s - $(BUILD)/gatewayd.ini.5.body || \
	    { echo "man/gatewayd.ini.5 is not docs/config.md's: run make ini-man"; exit 1; }

ini-man:
	python3 scripts/config_man.py "$$(date '+%B %-d, %Y')" <docs/config.md >man/gatewayd.ini.5

# No two source files call each other: a lower one reaches up through callbacks.
layers: all
	@python3 scripts/call_cycles.py $(BUILD)

unit: $(CHECKS)
	@set -e; for t in $(CHECKS); do echo "== $$t"; CK_DEFAULT_TIMEOUT=30 $$t; done

integration: all $(TEST_FUNCTIONS) $(TEST_PRELOADS)
	@tests/integration/run.sh $(BUILD)

run: deps
	$(MAKE) all
	@scripts/run.sh $(BUILD)

bench: deps
	$(MAKE) all $(BUILD)/spawn_time
	@scripts/bench.sh $(BUILD)

FUZZ_TARGETS := fcgi journal spawner front ini job_value

# Each target for FUZZ_SECONDS (default 60) from its seed corpus; the INI
# reader's seeds are the project's own configurations.
fuzz: deps all
	@mkdir -p $(BUILD)/fuzz
	$(MAKE) $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)
	@mkdir -p $(BUILD)/fuzz/corpus-ini
	@cp conf/gatewayd.ini conf/functions.d/*.ini tests/config/*.ini $(BUILD)/fuzz/corpus-ini/
	@set -e; for f in $(FUZZ_TARGETS); do \
	    mkdir -p $(BUILD)/fuzz/corpus-$$f; \
	    if [ -d tests/fuzz/corpus/$$f ]; then cp tests/fuzz/corpus/$$f/* $(BUILD)/fuzz/corpus-$$f/; fi; \
	    $(BUILD)/fuzz/fuzz_$$f -max_total_time=$${FUZZ_SECONDS:-60} -print_final_stats=1 \
	        $(BUILD)/fuzz/corpus-$$f >$(BUILD)/fuzz/$$f.log 2>&1 || \
	        { cat $(BUILD)/fuzz/$$f.log; exit 1; }; \
	    echo "fuzz_$$f:"; tail -n 7 $(BUILD)/fuzz/$$f.log; done

FUZZ_FLAGS := -g -O1 -std=c11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined

$(BUILD)/fuzz/fuzz_fcgi: tests/fuzz/fuzz_fcgi.c common/fcgi.c
	clang $(FUZZ_FLAGS) $(COMMON_INC) $^ -o $@

$(BUILD)/fuzz/fuzz_journal: tests/fuzz/fuzz_journal.c gatewayd/journal_codec.c
	clang $(FUZZ_FLAGS) $(DAEMON_INC) $^ -o $@

$(BUILD)/fuzz/fuzz_spawner: tests/fuzz/fuzz_spawner.c fcgi-pool/spawner_proto.c
	clang $(FUZZ_FLAGS) $(POOL_INC) $^ -o $@

$(BUILD)/fuzz/fuzz_job_value: tests/fuzz/fuzz_job_value.c gatewayd/job_value.c common/buf.c
	clang $(FUZZ_FLAGS) $(DAEMON_INC) $^ -o $@ $(JANSSON_LIBS)

# The front side and the INI reader run the daemon's own code: all of it, instrumented.
$(BUILD)/fuzz/fuzz_front $(BUILD)/fuzz/fuzz_ini: $(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(CORE_SRC)
	clang $(FUZZ_FLAGS) $(DAEMON_INC) $(INIH_CFLAGS) $^ -o $@ $(CORE_LIBS)

$(CORE_LIB): $(CORE_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(DAEMON): $(BUILD)/obj/gatewayd/main.o $(CORE_LIB)
	$(CC) $(GW_LDFLAGS) -o $@ $^ $(CORE_LIBS)

$(CTL): $(CTL_OBJ) $(CORE_LIB)
	$(CC) $(GW_LDFLAGS) -o $@ $^ $(CORE_LIBS)

# Every example links the C SDK (functions/sdk/), used or not.
$(BUILD)/functions/%: functions/%.c functions/sdk/gatewayd_fn.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Ifunctions/sdk $(LDFLAGS) -o $@ $< functions/sdk/gatewayd_fn.c -lfcgi

# Plain like the functions: it runs as a worker, under seccomp.
$(BUILD)/runtimes/python3/gatewayd-python3: functions/runtimes/python3/host.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PYTHON_CFLAGS) $(LDFLAGS) -o $@ $< -lfcgi $(PYTHON_LIBS)

# Compiled too, by the interpreter the host embeds: workers write no bytecode.
$(BUILD)/runtimes/python3/gatewayd_runtime.py: functions/runtimes/python3/gatewayd_runtime.py
	@mkdir -p $(dir $@)
	cp $< $@
	python$(PYTHON_VERSION) -m py_compile $@

$(BUILD)/obj/gatewayd/main.o: GW_CFLAGS += -DGATEWAYD_VERSION='"$(VERSION)"'
# main.o is rebuilt when the version changes (another commit), not only main.c.
$(BUILD)/obj/gatewayd/main.o: $(BUILD)/version
$(BUILD)/version: FORCE
	@mkdir -p $(dir $@)
	@echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' >$@
FORCE:

$(BUILD)/tests/%: tests/functions/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -lfcgi

$(BUILD)/tests/%.so: tests/preload/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIC -shared $(LDFLAGS) -o $@ $< -ldl

$(BUILD)/spawn_time: tests/bench/spawn_time.c $(CORE_LIB)
	$(CC) $(GW_CFLAGS) $(POOL_INC) $(GW_LDFLAGS) -o $@ $< $(CORE_LIB) $(CORE_LIBS)

# The SDK's suite tests the functions' side: no libgatewayd.
$(BUILD)/check_sdk: tests/check_sdk.c functions/sdk/gatewayd_fn.c
	@mkdir -p $(dir $@)
	$(CC) $(GW_CFLAGS) -Ifunctions/sdk $(GW_LDFLAGS) -o $@ $< functions/sdk/gatewayd_fn.c $(CHECK_LIBS) -lfcgi

$(BUILD)/check_%: tests/check_%.c $(CORE_LIB)
	$(CC) $(GW_CFLAGS) $(DAEMON_INC) $(GW_LDFLAGS) -o $@ $< $(CORE_LIB) $(CHECK_LIBS) $(CORE_LIBS)

$(BUILD)/obj/common/%.o:    INC = $(COMMON_INC)
$(BUILD)/obj/fcgi-pool/%.o: INC = $(POOL_INC)
$(BUILD)/obj/gatewayd/%.o:  INC = $(DAEMON_INC)
$(BUILD)/obj/gatewayctl/%.o: INC = $(DAEMON_INC) -Igatewayctl
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(GW_CFLAGS) $(INC) -c -o $@ $<

clean:
	rm -rf build build-san

# make install [DESTDIR=...] [PREFIX=/usr/local]: what `make all` built, in
# place; it builds nothing (run `make all` first), so a test can install the
# build it runs against. gatewayd finds its runtimes from its own path
# (<exe dir>/../lib/gatewayd/runtimes), so one build serves any PREFIX.
# The example configuration goes to share/gatewayd/examples, its paths
# rewritten to the installed places; /etc/gatewayd is the operator's and is
# never written or removed.
PREFIX     ?= /usr/local
SYSCONFDIR ?= /etc
SBINDIR    := $(PREFIX)/sbin
BINDIR     := $(PREFIX)/bin
LIBDIR     := $(PREFIX)/lib/gatewayd
EXAMPLEDIR := $(PREFIX)/share/gatewayd/examples
MANDIR     := $(PREFIX)/share/man
UNITDIR    := $(PREFIX)/lib/systemd/system
INSTALL    ?= install
# User programs to $(BINDIR), each built as $(BUILD)/NAME.
INSTALL_BIN := gatewayctl
INSTALL_FUNCTIONS := $(FUNCTIONS)
INSTALL_SCRIPTS   := functions/hello-cgi.sh
INSTALL_SOURCES   := functions/hello.php functions/hello.py
INSTALL_PYC       := $(wildcard $(BUILD)/runtimes/python3/__pycache__/*.pyc)
INSTALL_CONF      := $(wildcard conf/functions.d/*.ini)
INSTALL_MAN       := $(wildcard man/*.[0-9])
INSTALL_UNITS     := conf/gatewayd.service conf/gatewayd.socket
# The example configuration's relative paths, made the installed ones.
INSTALL_CONF_SED  := -e 's|^listen = .*|listen = /run/gatewayd/gatewayd.sock|' \
	-e 's|^run_dir = .*|run_dir = /run/gatewayd/workers|' \
	-e 's|^admin_listen = .*|admin_listen = /run/gatewayd/admin.sock|' \
	-e 's|build/gatewayctl -c conf/gatewayd.ini|$(BINDIR)/gatewayctl -c $(EXAMPLEDIR)/gatewayd.ini|' \
	-e 's|^async.journal = .*|async.journal = /var/lib/gatewayd/async.journal|' \
	-e 's|= \.\./\.\./build/functions/|= $(LIBDIR)/functions/|' \
	-e 's|= \.\./\.\./functions/|= $(LIBDIR)/functions/|' \
	-e 's|build/gatewayd -t -c conf/gatewayd.ini|$(SBINDIR)/gatewayd -t -c $(EXAMPLEDIR)/gatewayd.ini|'
INSTALL_UNIT_SED  := -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'

install:
	@for f in $(DAEMON) $(RUNTIMES) $(INSTALL_BIN:%=$(BUILD)/%); do \
	    [ -e "$$f" ] || { echo "install: $$f is missing: run 'make all' first" >&2; exit 1; }; done
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBDIR)/runtimes/python3 \
	    $(DESTDIR)$(LIBDIR)/functions $(DESTDIR)$(EXAMPLEDIR)/functions.d $(DESTDIR)$(UNITDIR)
	$(INSTALL) -m 0755 $(DAEMON) $(DESTDIR)$(SBINDIR)/gatewayd
	$(if $(INSTALL_BIN),$(INSTALL) -d $(DESTDIR)$(BINDIR))
	$(if $(INSTALL_BIN),$(INSTALL) -m 0755 $(INSTALL_BIN:%=$(BUILD)/%) $(DESTDIR)$(BINDIR)/)
	$(INSTALL) -m 0755 $(BUILD)/runtimes/python3/gatewayd-python3 $(DESTDIR)$(LIBDIR)/runtimes/python3/
	$(INSTALL) -p -m 0644 $(BUILD)/runtimes/python3/gatewayd_runtime.py $(DESTDIR)$(LIBDIR)/runtimes/python3/
	$(if $(INSTALL_PYC),$(INSTALL) -d $(DESTDIR)$(LIBDIR)/runtimes/python3/__pycache__)
	$(if $(INSTALL_PYC),$(INSTALL) -p -m 0644 $(INSTALL_PYC) $(DESTDIR)$(LIBDIR)/runtimes/python3/__pycache__/)
	$(INSTALL) -m 0755 $(INSTALL_FUNCTIONS) $(INSTALL_SCRIPTS) $(DESTDIR)$(LIBDIR)/functions/
	$(INSTALL) -m 0644 $(INSTALL_SOURCES) $(DESTDIR)$(LIBDIR)/functions/
	sed $(INSTALL_CONF_SED) conf/gatewayd.ini >$(DESTDIR)$(EXAMPLEDIR)/gatewayd.ini
	chmod 0644 $(DESTDIR)$(EXAMPLEDIR)/gatewayd.ini
	@set -e; for f in $(INSTALL_CONF); do \
	    sed $(INSTALL_CONF_SED) $$f >$(DESTDIR)$(EXAMPLEDIR)/functions.d/$${f##*/}; \
	    chmod 0644 $(DESTDIR)$(EXAMPLEDIR)/functions.d/$${f##*/}; done
	@set -e; for m in $(INSTALL_MAN); do \
	    $(INSTALL) -d $(DESTDIR)$(MANDIR)/man$${m##*.}; \
	    $(INSTALL) -m 0644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/; done
	@set -e; for u in $(INSTALL_UNITS); do \
	    sed $(INSTALL_UNIT_SED) $$u >$(DESTDIR)$(UNITDIR)/$${u##*/}; \
	    chmod 0644 $(DESTDIR)$(UNITDIR)/$${u##*/}; done

# Removes what install put there, then the directories it made when left
# empty (rmdir, gatewayd's own directories only: never bin/, sbin/ or a
# man section that other packages share, nor /etc/gatewayd).
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/gatewayd $(INSTALL_BIN:%=$(DESTDIR)$(BINDIR)/%) \
	    $(DESTDIR)$(LIBDIR)/runtimes/python3/gatewayd-python3 \
	    $(DESTDIR)$(LIBDIR)/runtimes/python3/gatewayd_runtime.py \
	    $(DESTDIR)$(LIBDIR)/runtimes/python3/__pycache__/gatewayd_runtime.*.pyc \
	    $(INSTALL_FUNCTIONS:$(BUILD)/functions/%=$(DESTDIR)$(LIBDIR)/functions/%) \
	    $(patsubst functions/%,$(DESTDIR)$(LIBDIR)/functions/%,$(INSTALL_SCRIPTS) $(INSTALL_SOURCES)) \
	    $(DESTDIR)$(EXAMPLEDIR)/gatewayd.ini \
	    $(INSTALL_CONF:conf/functions.d/%=$(DESTDIR)$(EXAMPLEDIR)/functions.d/%) \
	    $(INSTALL_UNITS:conf/%=$(DESTDIR)$(UNITDIR)/%)
	@for m in $(INSTALL_MAN); do rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/}; done
	-@rmdir $(DESTDIR)$(LIBDIR)/runtimes/python3/__pycache__ $(DESTDIR)$(LIBDIR)/runtimes/python3 \
	    $(DESTDIR)$(LIBDIR)/runtimes $(DESTDIR)$(LIBDIR)/functions $(DESTDIR)$(LIBDIR) \
	    $(DESTDIR)$(EXAMPLEDIR)/functions.d $(DESTDIR)$(EXAMPLEDIR) \
	    $(DESTDIR)$(PREFIX)/share/gatewayd 2>/dev/null || true

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
