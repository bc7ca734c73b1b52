# hiredis-rs: build, stage, test and install.
#
#   make            release library + headers
#   make demo       build, start a throwaway redis-server, run the async example against it
#   make test       every test (cargo, C against a real redis-server, sanitizers)
#   make install PREFIX=/usr/local DESTDIR=

CARGO    ?= cargo
CC       ?= cc
PREFIX   ?= /usr/local
LIBDIR   ?= $(PREFIX)/lib
INCDIR   ?= $(PREFIX)/include

# hiredis's own version identity (the 1.4.1 tag's files say 1.4.0).
HIREDIS_SONAME := 1.4.0
LIBNAME  := libhiredis_rs
SONAME   := $(LIBNAME).so.$(HIREDIS_SONAME)

BUILD    := $(CURDIR)/build
STAGE    := $(BUILD)/stage
RELEASE  := $(CURDIR)/target/release
TESTBIN  := $(BUILD)/tests
HEADERS  := hiredis.h async.h read.h sds.h alloc.h sockcompat.h

CWARN    := -Wall -Wextra -Werror -Wstrict-prototypes -Wwrite-strings
STAGE_PC := PKG_CONFIG_PATH=$(STAGE)/lib/pkgconfig pkg-config

.PHONY: all lib headers check-headers stage install uninstall test test-cargo test-c demo clean

all: lib

lib:
	$(CARGO) build --release

# Regenerate the committed headers from the Rust source.
headers:
	HIREDIS_RS_HEADERS_OUT=$(CURDIR)/include/hiredis $(CARGO) build --release

check-headers:
	@rm -rf $(BUILD)/gen-headers
	@HIREDIS_RS_HEADERS_OUT=$(BUILD)/gen-headers $(CARGO) build --release
	@for h in $(HEADERS) net.h; do \
	  diff -u include/hiredis/$$h $(BUILD)/gen-headers/$$h || { echo "headers drifted from the Rust source: run make headers"; exit 1; }; \
	done

# An installed-style tree under build/stage that tests and examples build against.
stage: lib
	@$(MAKE) --no-print-directory install PREFIX=$(STAGE) DESTDIR= >/dev/null

install:
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCDIR)/hiredis/adapters
	install -m 755 $(RELEASE)/$(LIBNAME).so $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/$(LIBNAME).so
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libhiredis.so
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libhiredis.so.1
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libhiredis.so.$(HIREDIS_SONAME)
	install -m 644 $(RELEASE)/$(LIBNAME).a $(DESTDIR)$(LIBDIR)/$(LIBNAME).a
	ln -sf $(LIBNAME).a $(DESTDIR)$(LIBDIR)/libhiredis.a
	for h in $(HEADERS); do install -m 644 include/hiredis/$$h $(DESTDIR)$(INCDIR)/hiredis/$$h; done
	for a in adapters/*.h; do [ -e "$$a" ] && install -m 644 $$a $(DESTDIR)$(INCDIR)/hiredis/adapters/ || true; done
	for pc in hiredis hiredis_rs; do \
	  sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@INCDIR@|$(INCDIR)|g' \
	      -e 's|@NAME@|'$$pc'|g' hiredis.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/$$pc.pc; \
	done

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/$(LIBNAME).so $(DESTDIR)$(LIBDIR)/$(LIBNAME).a
	rm -f $(DESTDIR)$(LIBDIR)/libhiredis.so $(DESTDIR)$(LIBDIR)/libhiredis.so.1 $(DESTDIR)$(LIBDIR)/libhiredis.so.$(HIREDIS_SONAME) $(DESTDIR)$(LIBDIR)/libhiredis.a
	rm -f $(DESTDIR)$(LIBDIR)/pkgconfig/hiredis.pc $(DESTDIR)$(LIBDIR)/pkgconfig/hiredis_rs.pc
	rm -rf $(DESTDIR)$(INCDIR)/hiredis

test: check-headers test-cargo test-c

test-cargo:
	$(CARGO) test --lib

# Every tests/test_*.c is a program built as a user would (pkg-config against the staged
# install), then run by tests/harness.sh against its own redis-server.
C_TESTS := $(patsubst tests/%.c,%,$(wildcard tests/test_*.c))

# Extra sources/flags for tests that need more than hiredis, picked by name ($$t) inside
# the loop below: each adapter test links its event library (libev ships no .pc file;
# ae is our own ae-compatible loop in tests/ae).
C_TEST_EXTRA = $$(case $$t in \
  (test_adapter_libevent) pkg-config --cflags --libs libevent;; \
  (test_adapter_libev) echo -lev;; \
  (test_adapter_libuv) pkg-config --cflags --libs libuv;; \
  (test_adapter_glib) pkg-config --cflags --libs glib-2.0;; \
  (test_adapter_ae) echo -Itests/ae tests/ae/ae.c;; \
  esac)

test-c: stage
	@mkdir -p $(TESTBIN)
	@set -e; for t in $(C_TESTS); do \
	  $(CC) $(CWARN) -g -o $(TESTBIN)/$$t tests/$$t.c $$($(STAGE_PC) --cflags --libs hiredis) $(C_TEST_EXTRA); \
	done
	LD_LIBRARY_PATH=$(STAGE)/lib tests/harness.sh $(addprefix $(TESTBIN)/,$(C_TESTS))

# examples-c/example*.c, built as a user would against the staged install (rpath set so
# they run from build/examples without LD_LIBRARY_PATH), each with its event library.
EXAMPLES_OUT := $(BUILD)/examples
EXAMPLES := $(patsubst examples-c/%.c,%,$(wildcard examples-c/example*.c))
EXAMPLE_EXTRA = $$(case $$e in \
  (example-libevent|example-pubsub) pkg-config --cflags --libs libevent;; \
  (example-libev) echo -lev;; \
  (example-libuv) pkg-config --cflags --libs libuv;; \
  (example-glib) pkg-config --cflags --libs glib-2.0;; \
  (example-ae) echo -Itests/ae tests/ae/ae.c;; \
  esac)

.PHONY: examples
examples: stage
	@mkdir -p $(EXAMPLES_OUT)
	@set -e; for e in $(EXAMPLES); do \
	  echo "  CC $(EXAMPLES_OUT)/$$e"; \
	  $(CC) $(CWARN) -g -o $(EXAMPLES_OUT)/$$e examples-c/$$e.c \
	    $$($(STAGE_PC) --cflags --libs hiredis) -Wl,-rpath,$(STAGE)/lib $(EXAMPLE_EXTRA); \
	done

# Starts its own throwaway redis-server and runs the libevent example against it.
demo: examples
	@examples-c/demo.sh $(EXAMPLES_OUT)/example-libevent

clean:
	$(CARGO) clean
	rm -rf $(BUILD)
