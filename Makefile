# cungate — one hand-written GNU Makefile.
#
#   make          build cungated and cungatectl (-Wall -Wextra -Werror)
#   make deps     install the Debian 12 packages the project needs (as root)
#   make check    ASan+UBSan build, cmocka unit tests, pytest integration tests
#   make check-pg the store's unit tests and the integration suite on a private PostgreSQL server
#   make run      run the daemon on config/cungate.conf with a dummy-phone modem
#   make install  PREFIX=/usr/local DESTDIR= : programs, config, man pages, unit

PKGS      = gammu libevent libpcre2-8 sqlite3 libpq inih opencc libsystemd libxcrypt nettle
DEB_PKGS  = build-essential pkg-config libgammu-dev libevent-dev libpcre2-dev \
            libsqlite3-dev libinih-dev libopencc-dev libsystemd-dev libcmocka-dev python3 python3-pytest sqlite3 \
            postgresql libpq-dev libcrypt-dev nettle-dev \
            gammu coreutils mandoc systemd prometheus debhelper lintian \
            chromium fonts-wqy-microhei
BENCH_PKGS = gammu-smsd libdbd-sqlite3 wrk
PYTHON   ?= /usr/bin/python3

VERSION  := $(shell cat VERSION)
# Where `make install` puts things; the programs' default config path.
PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/cungate
UNITDIR    ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
STATEDIR   ?= /var/lib/cungate

CC       ?= cc
# pkg-config's -I become -isystem: warnings in library headers are theirs.
PKG_CFLAGS = $(subst -I,-isystem ,$(shell pkg-config --cflags $(PKGS) 2>/dev/null))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
WARN      = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
BASE_CFLAGS = -std=c11 -D_GNU_SOURCE -g $(WARN) -I. $(PKG_CFLAGS) -MMD -MP
OPT       ?= -O2

GATEWAY = \
	gateway/checkin.c \
	gateway/config.c \
	gateway/config_http.c \
	gateway/conf.c \
	gateway/config_reload.c \
	gateway/csv.c \
	gateway/event.c \
	gateway/grievance.c \
	gateway/http.c \
	gateway/http_pages.c \
	gateway/inbox.c \
	gateway/journal.c \
	gateway/log.c \
	gateway/metrics.c \
	gateway/notice.c \
	gateway/outbox.c \
	gateway/oversight.c \
	gateway/page.c \
	gateway/report_page.c \
	gateway/sched.c \
	gateway/service.c \
	gateway/status_item.c \
	gateway/status_page.c \
	gateway/status_svg.c \
	gateway/status_view.c \
	gateway/store/account.c \
	gateway/store/checkin.c \
	gateway/store/engine.c \
	gateway/store/engine_pg.c \
	gateway/store/engine_pg_session.c \
	gateway/store/engine_sqlite.c \
	gateway/store/event.c \
	gateway/store/grievance.c \
	gateway/store/message.c \
	gateway/store/modem.c \
	gateway/store/node.c \
	gateway/store/outbox.c \
	gateway/store/people.c \
	gateway/store/prompt.c \
	gateway/store/report.c \
	gateway/store/retention.c \
	gateway/store/schema.c \
	gateway/store/schema_pg.c \
	gateway/store/stats.c \
	gateway/store/store.c \
	gateway/util.c \
	gateway/web.c \
	gateway/ussd.c

HANDLERS = \
	handlers/checkin.c \
	handlers/event.c \
	handlers/grievance.c \
	handlers/handlers.c \
	handlers/help.c \
	handlers/normalise.c \
	handlers/numeral.c \
	handlers/optout.c \
	handlers/prompt.c \
	handlers/register.c \
	handlers/route.c \
	handlers/router.c \
	handlers/template.c \
	handlers/unknown.c

MODEMS = \
	modems/proto.c \
	modems/simulate.c \
	modems/supervisor.c \
	modems/worker.c \
	modems/worker_phone.c \
	modems/worker_send.c \
	modems/worker_sms.c

CORE_SRCS = $(GATEWAY) $(HANDLERS) $(MODEMS)
DAEMON_SRCS = gateway/daemon.c gateway/daemon_node.c gateway/daemon_sent.c
CTL_SRCS = \
	gateway/ctl/args.c \
	gateway/ctl/ctl.c \
	gateway/ctl/elder.c \
	gateway/ctl/event.c \
	gateway/ctl/grievance.c \
	gateway/ctl/list.c \
	gateway/ctl/people.c \
	gateway/ctl/report.c \
	gateway/ctl/traffic.c \
	gateway/ctl/user.c \
	gateway/ctl/util.c

UNIT_TESTS = \
	tests/unit/test_checkin \
	tests/unit/test_conf \
	tests/unit/test_corpus \
	tests/unit/test_csv \
	tests/unit/test_engine \
	tests/unit/test_event \
	tests/unit/test_grievance \
	tests/unit/test_inbox \
	tests/unit/test_journal \
	tests/unit/test_outbox \
	tests/unit/test_proto \
	tests/unit/test_report \
	tests/unit/test_router \
	tests/unit/test_store \
	tests/unit/test_template \
	tests/unit/test_ussd \
	tests/unit/test_util \
	tests/unit/test_web

# The unit tests that run on PostgreSQL too (CUNGATE_PG, tests/unit/testdb.h):
# the engine's, and every one that opens a store.
PG_UNIT_TESTS = \
	tests/unit/test_engine \
	tests/unit/test_store \
	tests/unit/test_outbox \
	tests/unit/test_inbox \
	tests/unit/test_grievance \
	tests/unit/test_event \
	tests/unit/test_checkin \
	tests/unit/test_report \
	tests/unit/test_router \
	tests/unit/test_corpus \
	tests/unit/test_web

# Two build trees: build/rel for `make`, build/asan for `make check`.
REL  = build/rel
ASAN = build/asan
ASAN_FLAGS = -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined

.PHONY: all deps check check-valgrind check-deb run install clean soak fuzz bench bench-checkin bench-route bench-ussd bench-pages FORCE
all: cungated cungatectl

cungated: $(REL)/cungated
	cp $< $@
cungatectl: $(REL)/cungatectl
	cp $< $@

# The version and the default config path, for daemon.c and ctl.c: rewritten
# only when they change, so a new PREFIX rebuilds just those two.
build/paths.h: FORCE
	@mkdir -p build
	@printf '#define CUNGATE_VERSION "%s"\n#define CUNGATE_CONFIG "%s"\n' \
	    '$(VERSION)' '$(SYSCONFDIR)/cungate/cungate.conf' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
FORCE:
$(REL)/gateway/daemon.o $(REL)/gateway/ctl/ctl.o $(ASAN)/gateway/daemon.o \
    $(ASAN)/gateway/ctl/ctl.o: build/paths.h

# $(1) the tree, $(2) its compiler flags, $(3) its linker flags. The release
# tree takes CPPFLAGS, CFLAGS and LDFLAGS from the environment (a package
# build's hardening flags); the ASan tree keeps its own.
define tree
$(1)/%.o: %.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(BASE_CFLAGS) $(2) -c $$< -o $$@
$(1)/cungated: $$(addprefix $(1)/,$$(CORE_SRCS:.c=.o) $$(DAEMON_SRCS:.c=.o))
	$$(CC) $(2) $(3) -o $$@ $$^ $$(PKG_LIBS)
$(1)/cungatectl: $$(addprefix $(1)/,$$(CORE_SRCS:.c=.o) $$(CTL_SRCS:.c=.o))
	$$(CC) $(2) $(3) -o $$@ $$^ $$(PKG_LIBS)
endef
$(eval $(call tree,$(REL),$(OPT) $(CPPFLAGS) $(CFLAGS),$(LDFLAGS)))
$(eval $(call tree,$(ASAN),$(ASAN_FLAGS),))

$(ASAN)/tests/unit/%: $(ASAN)/tests/unit/%.o $(addprefix $(ASAN)/,$(CORE_SRCS:.c=.o))
	$(CC) $(ASAN_FLAGS) -o $@ $^ $(PKG_LIBS) -lcmocka

deps:
	@missing=""; for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		echo "make deps: installing$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	else \
		echo "make deps: missing packages; run as root:"; \
		echo "  apt-get install -y$$missing"; exit 1; \
	fi

# Unit tests and integration tests each report; the last line sums both.
check: deps
	@$(MAKE) --no-print-directory $(ASAN)/cungated $(ASAN)/cungatectl $(addprefix $(ASAN)/,$(UNIT_TESTS))
	@$(PYTHON) tests/run_checks.py --build $(ASAN) $(addprefix $(ASAN)/,$(UNIT_TESTS))

# The store's unit tests and the integration suite against one private
# PostgreSQL server (tests/pg/cluster.py starts it, runs the command with
# CUNGATE_PG set, stops it): the half of test_engine that `make check`
# skips, then every integration test but the sqlite_only ones, each gateway
# on a fresh database. Narrow the suite with PYTEST_ADDOPTS, e.g.
# make check-pg PYTEST_ADDOPTS="-k 'cli or service'".
.PHONY: check-pg
check-pg: deps
	@$(MAKE) --no-print-directory $(ASAN)/cungated $(ASAN)/cungatectl \
	    $(addprefix $(ASAN)/,$(PG_UNIT_TESTS))
	$(PYTHON) tests/pg/cluster.py run -- $(PYTHON) tests/run_checks.py \
	    --build $(ASAN) --backend pg $(addprefix $(ASAN)/,$(PG_UNIT_TESTS))

# The Debian package: builds, passes lintian, installs (user, modes, nothing
# enabled), purges cleanly. As root; run by .ci/run.
check-deb: deps
	@sh tests/deb/check.sh

# The daemon and its workers under valgrind's memcheck through a short
# burst (release build: valgrind and ASan do not mix): 0 errors, 0 leaks.
check-valgrind: deps all
	@command -v valgrind >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && \
		    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind; \
		else echo "make check-valgrind: apt-get install valgrind"; exit 1; fi; }
	CUNGATE_BUILD=$(REL) $(PYTHON) tests/valgrind/burst.py

run: deps all
	@./scripts/run-demo.sh

# Programs, man pages, the unit, the shipped config (an edited one is never
# overwritten: the new one lands beside it as *.dist) and examples. The demo
# village and its dummy phone stay in the checkout.
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(SYSCONFDIR)/cungate $(DESTDIR)$(DOCDIR)/examples
	install -m 755 cungated cungatectl $(DESTDIR)$(SBINDIR)/
	install -m 644 man/cungated.8 man/cungatectl.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 644 man/cungate.conf.5 $(DESTDIR)$(MANDIR)/man5/
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	    -e 's|@STATEDIR@|$(STATEDIR)|g' dist/cungated.service \
	    > $(DESTDIR)$(UNITDIR)/cungated.service
	chmod 644 $(DESTDIR)$(UNITDIR)/cungated.service
	@mkdir -p build/dist
	sed 's|@STATEDIR@|$(STATEDIR)|g' dist/cungate.conf > build/dist/cungate.conf
	for f in cungate.conf commands.conf messages.zh.conf ussd.zh.conf; do \
		src=build/dist/$$f; [ -f $$src ] || src=config/$$f; \
		dst=$(DESTDIR)$(SYSCONFDIR)/cungate/$$f; \
		mode=644; [ $$f = cungate.conf ] && mode=640; \
		if [ -f $$dst ] && ! cmp -s $$src $$dst; then \
			install -m $$mode $$src $$dst.dist; \
			echo "install: $$dst kept; the shipped one is $$dst.dist"; \
		else install -m $$mode $$src $$dst; fi; \
	done
	install -m 644 dist/60-cungate-modems.rules dist/sysusers.conf \
	    $(DESTDIR)$(DOCDIR)/examples/
	install -m 644 README.md $(DESTDIR)$(DOCDIR)/

# libFuzzer targets (clang): one per parser of outside input.
FUZZ = fuzz_config fuzz_normalise fuzz_proto fuzz_ussd
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer-no-link,address,undefined
fuzz: $(addprefix build/fuzz/,$(FUZZ))
build/fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(BASE_CFLAGS) $(FUZZ_FLAGS) -c $< -o $@
build/fuzz/fuzz_%: build/fuzz/tests/fuzz/fuzz_%.o $(addprefix build/fuzz/,$(CORE_SRCS:.c=.o))
	clang -g -fsanitize=fuzzer,address,undefined -o $@ $^ $(PKG_LIBS)

# Figures, not tests: the dummy phone, then +CMTI -> reply on the simulated
# modem for cungate (on SQLite and on PostgreSQL) and gammu-smsd
# (tests/bench/latency.py [N] to rerun), routed messages per second per
# node on SQLite and PostgreSQL (tests/bench/throughput.py [N]).
bench: deps all
	@missing=""; for p in $(BENCH_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		echo "make bench: installing$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	else \
		echo "make bench: missing packages; run as root:"; \
		echo "  apt-get install -y$$missing"; exit 1; \
	fi
	$(PYTHON) tests/bench/latency_dummy.py
	$(PYTHON) tests/bench/latency.py
	$(PYTHON) tests/bench/throughput.py
	$(PYTHON) tests/bench/ussd.py
	$(PYTHON) tests/bench/pages.py
	$(MAKE) --no-print-directory bench-route

# Figures, not a test: the PostgreSQL ones of `make bench` alone, each on a
# private server started for the run and stopped after: +CMTI -> AT+CMGS
# on the simulated modem (the SQLite row beside it: tests/bench/latency.py
# --only cungate --only "cungate pg"), then the routing throughput burst,
# whose table keeps its SQLite row as the baseline (a few seconds).
# BENCH_PG_N sets the latency run's messages (default 200, ~1.5 s each).
BENCH_PG_N ?= 200
.PHONY: bench-pg
bench-pg: deps all
	$(PYTHON) tests/bench/latency.py $(BENCH_PG_N) --only "cungate pg"
	$(PYTHON) tests/bench/throughput.py

# Figures, not a test: USSD callbacks/s and p99 with wrk on loopback.
bench-ussd: all
	$(PYTHON) tests/bench/ussd.py

# Figures, not a test: ms per GET of the status pages and /metrics on a
# million messages and 100,000 elders, SQLite and PostgreSQL (a private
# server started for the run), and SMS handling while they are asked for.
bench-pages: all
	$(PYTHON) tests/bench/pages.py

# Figures, not a test: sched_run over CHECKIN_ELDERS enrolled elders (in
# one village per 50) through a day ticked every 30 s.
CHECKIN_ELDERS ?= 100000
$(REL)/tests/bench/checkin_sched: $(REL)/tests/bench/checkin_sched.o \
    $(addprefix $(REL)/,$(CORE_SRCS:.c=.o))
	$(CC) $(OPT) -o $@ $^ $(PKG_LIBS)
bench-checkin: $(REL)/tests/bench/checkin_sched
	$(REL)/tests/bench/checkin_sched $(CHECKIN_ELDERS)

# Figures, not a test: CPU time to normalise (OpenCC included), match and
# route each text of the corpus.
$(REL)/tests/bench/route: $(REL)/tests/bench/route.o \
    $(addprefix $(REL)/,$(CORE_SRCS:.c=.o))
	$(CC) $(OPT) -o $@ $^ $(PKG_LIBS)
bench-route: $(REL)/tests/bench/route
	$(REL)/tests/bench/route

# Two simulated modems, random faults, then an exact reckoning; on the ASan
# build. 10 minutes unless SOAK_SECONDS=... is given.
soak: deps
	@$(MAKE) --no-print-directory $(ASAN)/cungated $(ASAN)/cungatectl
	CUNGATE_BUILD=$(ASAN) $(PYTHON) tests/soak/soak.py $(SOAK_SECONDS)

clean:
	rm -rf build cungated cungatectl

-include $(shell find build -name '*.d' 2>/dev/null)
