# hiredis-rs: build, stage, test and install.
#
#   make            release library + headers
#   make demo       build, start a throwaway redis-server, run the async example against it
#   make demo-cluster  the same with a throwaway 6-node Redis Cluster and the async cluster example
#   make test       every test (cargo, C against a real redis-server, the Redis module adapter,
#                   Python's hiredis package, ABI, symbols, install, differential tests against
#                   real hiredis, valgrind, short fuzz runs); TEST_FUZZ_SECONDS=0 skips the fuzzing
#   make install PREFIX=/usr/local DESTDIR=       make uninstall (same PREFIX/DESTDIR)
#   make install-debug (same PREFIX/DESTDIR): the libraries' debug info, in $(LIBDIR)/.debug
#   make headers    regenerate include/hiredis/*.h        make examples   build examples-c/
#   make fuzz-smoke run each fuzz target for $(FUZZ_SECONDS) s
#   make conformance HIREDIS_TEST=path   hiredis's own test binary on hiredis-rs (optional)
#   make bench      timings against the system hiredis (own redis-server, ~5 min); make bench-instr
#                   (BENCH_CLUSTER_REF=prefix: hiredis-cluster 0.14.0 for the cluster rows);
#                   make bench-python (Python's hiredis package on ours against its vendored hiredis)
#   make clean

CARGO    ?= cargo
CC       ?= cc
CXX      ?= c++
PREFIX   ?= /usr/local
LIBDIR   ?= $(PREFIX)/lib
INCDIR   ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
CMAKEDIR ?= $(LIBDIR)/cmake

# hiredis's own version identity (the 1.4.1 tag's files say 1.4.0).
VERSION  := 1.4.1
HIREDIS_SONAME := 1.4.0
LIBNAME  := libhiredis_rs
SONAME   := $(LIBNAME).so.$(HIREDIS_SONAME)
# What the Rust standard library inside the static archive needs (rustc --print
# native-static-libs); glibc >= 2.34 has most of it in libc, older ones do not.
LIBS_PRIVATE := -lpthread -ldl -lm -lrt -lutil -lgcc_s
CMAKE_LIBS_PRIVATE := pthread;dl;m;rt;util;gcc_s

BUILD    := $(CURDIR)/build
STAGE    := $(BUILD)/stage
RELEASE  := $(CURDIR)/target/release
TESTBIN  := $(BUILD)/tests
HEADERS  := hiredis.h async.h read.h sds.h alloc.h sockcompat.h
# The TLS library (ssl/, hiredis's libhiredis_ssl): same version and soname token.
SSL_LIBNAME := libhiredis_rs_ssl
SSL_SONAME  := $(SSL_LIBNAME).so.$(HIREDIS_SONAME)
SSL_HEADERS := hiredis_ssl.h
# The Redis Cluster library (cluster/, hiredis-cluster 0.14.0's libhiredis_cluster).
CLUSTER_VERSION := 0.14.0
CLUSTER_LIBNAME := libhiredis_rs_cluster
CLUSTER_SONAME  := $(CLUSTER_LIBNAME).so.0.14
CLUSTER_HEADERS := hircluster.h dict.h adlist.h hiarray.h hiutil.h win32.h hircluster_ssl.h
# Its TLS library (cluster-ssl/, hiredis-cluster's libhiredis_cluster_ssl).
CLUSTER_SSL_LIBNAME := libhiredis_rs_cluster_ssl
CLUSTER_SSL_SONAME  := $(CLUSTER_SSL_LIBNAME).so.0.14

CWARN    := -Wall -Wextra -Werror -Wstrict-prototypes -Wwrite-strings
STAGE_PC := PKG_CONFIG_PATH=$(STAGE)/lib/pkgconfig pkg-config

# Wrapper for the second run of the C tests; a definite leak or an invalid access fails it.
VALGRIND ?= valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
            --show-leak-kinds=definite,indirect -q

FUZZ_SECONDS ?= 20
# Seconds per fuzz target inside `make test` (0 skips it).
TEST_FUZZ_SECONDS ?= 10

.PHONY: all lib headers check-headers stage dist install install-debug uninstall test test-cargo test-miri test-c test-c-build \
        test-examples test-symbols test-install test-valgrind test-valgrind-run test-fuzz fuzz-smoke fuzz-build conformance examples demo deps clean \
        test-redismodule test-python

all: lib

# Every release build also writes the generated headers to build/gen-headers, so `lib` and
# `check-headers` share one cargo configuration (a changed HIREDIS_RS_HEADERS_OUT would make
# cargo rerun build.rs and rebuild the whole crate each time the two alternate).
GEN_HEADERS := $(BUILD)/gen-headers
GEN_CLUSTER_HEADERS := $(BUILD)/gen-headers-cluster
# Both libraries (the workspace's default-members: hiredis_rs and hiredis_rs_ssl).
# The host target as Cargo spells it in CARGO_TARGET_<TRIPLE>_RUNNER.
HOST_TRIPLE_VAR := $(shell rustc -vV 2>/dev/null | sed -n 's/^host: //p' | tr 'a-z.-' 'A-Z__')
CARGO_RELEASE = HIREDIS_RS_HEADERS_OUT=$(GEN_HEADERS) HIREDIS_RS_CLUSTER_HEADERS_OUT=$(GEN_CLUSTER_HEADERS) \
                $(CARGO) build --release

lib:
	$(CARGO_RELEASE)

# Regenerate the committed headers from the Rust source.
headers: lib
	cp $(addprefix $(GEN_HEADERS)/,$(HEADERS) net.h $(SSL_HEADERS)) include/hiredis/
	cp $(addprefix $(GEN_CLUSTER_HEADERS)/,$(CLUSTER_HEADERS)) include/hiredis_cluster/

check-headers: lib
	@# A build script writes its headers only when it runs; make it run if they went missing.
	@stale=; [ -e $(GEN_HEADERS)/hiredis.h ] || stale=build.rs; \
	 [ -e $(GEN_HEADERS)/hiredis_ssl.h ] || stale="$$stale ssl/build.rs"; \
	 [ -e $(GEN_CLUSTER_HEADERS)/hircluster.h ] || stale="$$stale cluster/build.rs"; \
	 [ -z "$$stale" ] || { touch $$stale; $(CARGO_RELEASE); }
	@for h in $(HEADERS) net.h $(SSL_HEADERS); do \
	  diff -u include/hiredis/$$h $(GEN_HEADERS)/$$h || { echo "headers drifted from the Rust source: run make headers"; exit 1; }; \
	done
	@for h in $(CLUSTER_HEADERS); do \
	  diff -u include/hiredis_cluster/$$h $(GEN_CLUSTER_HEADERS)/$$h || { echo "cluster headers drifted from the Rust source: run make headers"; exit 1; }; \
	done

# An installed-style tree under build/stage that tests and examples build against.
stage: lib
	@$(MAKE) --no-print-directory install install-debug PREFIX=$(STAGE) DESTDIR= >/dev/null

# pkg-config paths relative to ${prefix} where possible (pkg-config --define-prefix then works).
PC_LIBDIR = $(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))
PC_INCDIR = $(patsubst $(PREFIX)/%,$${prefix}/%,$(INCDIR))

# Relative paths baked into the CMake package files, so the installed tree is relocatable.
REL_CMAKE = realpath -m --relative-to=$(CMAKEDIR)/$$pkg

# What `install` copies, made from the cargo build in build/dist: the shared libraries stripped,
# each with a .gnu_debuglink to its debug info (kept beside it as <soname>.debug, installed by
# install-debug into $(LIBDIR)/.debug, where gdb and valgrind look); the static archives without
# debug info or embedded LLVM bitcode, and in libhiredis_rs.a the sds functions (and
# hex_digit_to_int) weak, so that a program with its own sds links: its definitions win, and the
# library never calls those symbols itself.
DIST := $(BUILD)/dist
DIST_FILES := $(DIST)/$(SONAME) $(DIST)/$(SSL_SONAME) $(DIST)/$(LIBNAME).a $(DIST)/$(SSL_LIBNAME).a \
              $(DIST)/$(CLUSTER_SONAME) $(DIST)/$(CLUSTER_LIBNAME).a \
              $(DIST)/$(CLUSTER_SSL_SONAME) $(DIST)/$(CLUSTER_SSL_LIBNAME).a
SDS_WEAK := -W 'sds*' -W hex_digit_to_int
STRIP_A := objcopy --strip-debug -R .llvmbc -R .llvmcmd

# A second make, so the files cargo just rewrote are seen with their new times.
dist: lib
	@$(MAKE) --no-print-directory $(DIST_FILES)

define strip_so
@mkdir -p $(@D)
objcopy --only-keep-debug $< $@.debug
objcopy --strip-debug --strip-unneeded --add-gnu-debuglink=$@.debug $< $@
endef
$(DIST)/$(SONAME): $(RELEASE)/$(LIBNAME).so
	$(strip_so)
$(DIST)/$(SSL_SONAME): $(RELEASE)/$(SSL_LIBNAME).so
	$(strip_so)
$(DIST)/$(CLUSTER_SONAME): $(RELEASE)/$(CLUSTER_LIBNAME).so
	$(strip_so)
$(DIST)/$(CLUSTER_LIBNAME).a: $(RELEASE)/$(CLUSTER_LIBNAME).a
	@mkdir -p $(@D)
	$(STRIP_A) $< $@
$(DIST)/$(CLUSTER_SSL_SONAME): $(RELEASE)/$(CLUSTER_SSL_LIBNAME).so
	$(strip_so)
$(DIST)/$(CLUSTER_SSL_LIBNAME).a: $(RELEASE)/$(CLUSTER_SSL_LIBNAME).a
	@mkdir -p $(@D)
	$(STRIP_A) $< $@
$(DIST)/$(LIBNAME).a: $(RELEASE)/$(LIBNAME).a
	@mkdir -p $(@D)
	$(STRIP_A) --wildcard $(SDS_WEAK) $< $@
$(DIST)/$(SSL_LIBNAME).a: $(RELEASE)/$(SSL_LIBNAME).a
	@mkdir -p $(@D)
	$(STRIP_A) $< $@

install: dist
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(INCDIR)/hiredis/adapters \
	           $(DESTDIR)$(CMAKEDIR)/hiredis $(DESTDIR)$(CMAKEDIR)/hiredis_rs \
	           $(DESTDIR)$(CMAKEDIR)/hiredis_ssl $(DESTDIR)$(CMAKEDIR)/hiredis_rs_ssl
	install -m 755 $(DIST)/$(SONAME) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/$(LIBNAME).so
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libhiredis.so
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libhiredis.so.1
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libhiredis.so.$(HIREDIS_SONAME)
	install -m 644 $(DIST)/$(LIBNAME).a $(DESTDIR)$(LIBDIR)/$(LIBNAME).a
	ln -sf $(LIBNAME).a $(DESTDIR)$(LIBDIR)/libhiredis.a
	for h in $(HEADERS); do install -m 644 include/hiredis/$$h $(DESTDIR)$(INCDIR)/hiredis/$$h; done
	@# The TLS library under its own name and hiredis's (libhiredis_ssl.so.1.4.0 is its SONAME there).
	install -m 755 $(DIST)/$(SSL_SONAME) $(DESTDIR)$(LIBDIR)/$(SSL_SONAME)
	ln -sf $(SSL_SONAME) $(DESTDIR)$(LIBDIR)/$(SSL_LIBNAME).so
	ln -sf $(SSL_SONAME) $(DESTDIR)$(LIBDIR)/libhiredis_ssl.so
	ln -sf $(SSL_SONAME) $(DESTDIR)$(LIBDIR)/libhiredis_ssl.so.$(HIREDIS_SONAME)
	install -m 644 $(DIST)/$(SSL_LIBNAME).a $(DESTDIR)$(LIBDIR)/$(SSL_LIBNAME).a
	ln -sf $(SSL_LIBNAME).a $(DESTDIR)$(LIBDIR)/libhiredis_ssl.a
	install -m 644 include/hiredis/hiredis_ssl.h $(DESTDIR)$(INCDIR)/hiredis/hiredis_ssl.h
	for pc in hiredis_ssl:hiredis hiredis_rs_ssl:hiredis_rs; do \
	  sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(PC_LIBDIR)|g' -e 's|@INCDIR@|$(PC_INCDIR)|g' \
	      -e 's|@NAME@|'$${pc%%:*}'|g' -e 's|@REQUIRES@|'$${pc##*:}'|g' -e 's|@VERSION@|$(VERSION)|g' \
	      hiredis_ssl.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/$${pc%%:*}.pc; \
	done
	for a in adapters/*.h; do [ -e "$$a" ] && install -m 644 $$a $(DESTDIR)$(INCDIR)/hiredis/adapters/ || true; done
	for pc in hiredis hiredis_rs; do \
	  sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(PC_LIBDIR)|g' -e 's|@INCDIR@|$(PC_INCDIR)|g' \
	      -e 's|@NAME@|'$$pc'|g' -e 's|@VERSION@|$(VERSION)|g' -e 's|@LIBS_PRIVATE@|$(LIBS_PRIVATE)|g' \
	      hiredis.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/$$pc.pc; \
	done
	for pkg in hiredis hiredis_rs; do \
	  rel_prefix=$$($(REL_CMAKE) $(PREFIX)); \
	  rel_lib=$$(realpath -m --relative-to=$(PREFIX) $(LIBDIR)); \
	  rel_inc=$$(realpath -m --relative-to=$(PREFIX) $(INCDIR)); \
	  sed -e "s|@NAME@|$$pkg|g" -e "s|@REL_PREFIX@|$$rel_prefix|g" -e "s|@REL_LIBDIR@|$$rel_lib|g" \
	      -e "s|@REL_INCDIR@|$$rel_inc|g" -e 's|@SONAME_VERSION@|$(HIREDIS_SONAME)|g' \
	      -e 's|@CMAKE_LIBS_PRIVATE@|$(CMAKE_LIBS_PRIVATE)|g' \
	      cmake/config.cmake.in > $(DESTDIR)$(CMAKEDIR)/$$pkg/$$pkg-config.cmake; \
	  sed -e 's|@VERSION@|$(VERSION)|g' cmake/config-version.cmake.in \
	      > $(DESTDIR)$(CMAKEDIR)/$$pkg/$$pkg-config-version.cmake; \
	done
	for p in hiredis_ssl:hiredis hiredis_rs_ssl:hiredis_rs; do \
	  pkg=$${p%%:*}; core=$${p##*:}; \
	  rel_prefix=$$($(REL_CMAKE) $(PREFIX)); \
	  rel_lib=$$(realpath -m --relative-to=$(PREFIX) $(LIBDIR)); \
	  rel_inc=$$(realpath -m --relative-to=$(PREFIX) $(INCDIR)); \
	  sed -e "s|@NAME@|$$pkg|g" -e "s|@NS@|$$core|g" -e "s|@CORE@|$$core|g" -e "s|@REL_PREFIX@|$$rel_prefix|g" \
	      -e "s|@REL_LIBDIR@|$$rel_lib|g" -e "s|@REL_INCDIR@|$$rel_inc|g" -e 's|@SONAME_VERSION@|$(HIREDIS_SONAME)|g' \
	      cmake/ssl-config.cmake.in > $(DESTDIR)$(CMAKEDIR)/$$pkg/$$pkg-config.cmake; \
	  sed -e 's|@VERSION@|$(VERSION)|g' cmake/config-version.cmake.in \
	      > $(DESTDIR)$(CMAKEDIR)/$$pkg/$$pkg-config-version.cmake; \
	done
	@# The cluster library under its own name and hiredis-cluster's (whose SONAME is
	@# libhiredis_cluster.so.0.14), headers in include/hiredis_cluster (adapters/ beside them).
	install -d $(DESTDIR)$(INCDIR)/hiredis_cluster $(DESTDIR)$(CMAKEDIR)/hiredis_cluster $(DESTDIR)$(CMAKEDIR)/hiredis_rs_cluster
	install -m 755 $(DIST)/$(CLUSTER_SONAME) $(DESTDIR)$(LIBDIR)/$(CLUSTER_SONAME)
	ln -sf $(CLUSTER_SONAME) $(DESTDIR)$(LIBDIR)/$(CLUSTER_LIBNAME).so
	ln -sf $(CLUSTER_SONAME) $(DESTDIR)$(LIBDIR)/libhiredis_cluster.so
	ln -sf $(CLUSTER_SONAME) $(DESTDIR)$(LIBDIR)/libhiredis_cluster.so.0.14
	install -m 644 $(DIST)/$(CLUSTER_LIBNAME).a $(DESTDIR)$(LIBDIR)/$(CLUSTER_LIBNAME).a
	ln -sf $(CLUSTER_LIBNAME).a $(DESTDIR)$(LIBDIR)/libhiredis_cluster.a
	for h in $(CLUSTER_HEADERS); do install -m 644 include/hiredis_cluster/$$h $(DESTDIR)$(INCDIR)/hiredis_cluster/$$h; done
	install -d $(DESTDIR)$(INCDIR)/hiredis_cluster/adapters
	for a in cluster/adapters/*.h; do install -m 644 $$a $(DESTDIR)$(INCDIR)/hiredis_cluster/adapters/; done
	for pc in hiredis_cluster:hiredis hiredis_rs_cluster:hiredis_rs; do \
	  sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(PC_LIBDIR)|g' -e 's|@INCDIR@|$(PC_INCDIR)|g' \
	      -e 's|@NAME@|'$${pc%%:*}'|g' -e 's|@REQUIRES@|'$${pc##*:}'|g' -e 's|@VERSION@|$(CLUSTER_VERSION)|g' \
	      hiredis_cluster.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/$${pc%%:*}.pc; \
	done
	for p in hiredis_cluster:hiredis hiredis_rs_cluster:hiredis_rs; do \
	  pkg=$${p%%:*}; core=$${p##*:}; \
	  rel_prefix=$$($(REL_CMAKE) $(PREFIX)); \
	  rel_lib=$$(realpath -m --relative-to=$(PREFIX) $(LIBDIR)); \
	  rel_inc=$$(realpath -m --relative-to=$(PREFIX) $(INCDIR)); \
	  sed -e "s|@NAME@|$$pkg|g" -e "s|@CORE@|$$core|g" -e "s|@REL_PREFIX@|$$rel_prefix|g" \
	      -e "s|@REL_LIBDIR@|$$rel_lib|g" -e "s|@REL_INCDIR@|$$rel_inc|g" \
	      cmake/cluster-config.cmake.in > $(DESTDIR)$(CMAKEDIR)/$$pkg/$$pkg-config.cmake; \
	  sed -e 's|@VERSION@|$(CLUSTER_VERSION)|g' cmake/cluster-config-version.cmake.in \
	      > $(DESTDIR)$(CMAKEDIR)/$$pkg/$$pkg-config-version.cmake; \
	done
	@# The cluster TLS library: its own name, hiredis-cluster's, and the Makefile build's
	@# SONAME `libhiredis_cluster_ssl.so.` (with the trailing dot, spec 1.2).
	install -m 755 $(DIST)/$(CLUSTER_SSL_SONAME) $(DESTDIR)$(LIBDIR)/$(CLUSTER_SSL_SONAME)
	for l in $(CLUSTER_SSL_LIBNAME).so libhiredis_cluster_ssl.so libhiredis_cluster_ssl.so.0.14 libhiredis_cluster_ssl.so.; do \
	  ln -sf $(CLUSTER_SSL_SONAME) $(DESTDIR)$(LIBDIR)/$$l; \
	done
	install -m 644 $(DIST)/$(CLUSTER_SSL_LIBNAME).a $(DESTDIR)$(LIBDIR)/$(CLUSTER_SSL_LIBNAME).a
	ln -sf $(CLUSTER_SSL_LIBNAME).a $(DESTDIR)$(LIBDIR)/libhiredis_cluster_ssl.a
	install -d $(DESTDIR)$(CMAKEDIR)/hiredis_cluster_ssl $(DESTDIR)$(CMAKEDIR)/hiredis_rs_cluster_ssl
	for pc in hiredis_cluster_ssl:hiredis_cluster,hiredis_ssl hiredis_rs_cluster_ssl:hiredis_rs_cluster,hiredis_rs_ssl; do \
	  sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(PC_LIBDIR)|g' -e 's|@INCDIR@|$(PC_INCDIR)|g' \
	      -e 's|@NAME@|'$${pc%%:*}'|g' -e 's|@REQUIRES@|'$${pc##*:}'|g' -e 's|@VERSION@|$(CLUSTER_VERSION)|g' \
	      hiredis_cluster_ssl.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/$${pc%%:*}.pc; \
	done
	for p in hiredis_cluster_ssl:hiredis_cluster:hiredis_ssl:hiredis hiredis_rs_cluster_ssl:hiredis_rs_cluster:hiredis_rs_ssl:hiredis_rs; do \
	  pkg=$${p%%:*}; r=$${p#*:}; cl=$${r%%:*}; r=$${r#*:}; ssl=$${r%%:*}; core=$${r#*:}; \
	  rel_prefix=$$($(REL_CMAKE) $(PREFIX)); \
	  rel_lib=$$(realpath -m --relative-to=$(PREFIX) $(LIBDIR)); \
	  rel_inc=$$(realpath -m --relative-to=$(PREFIX) $(INCDIR)); \
	  sed -e "s|@NAME@|$$pkg|g" -e "s|@CLUSTER@|$$cl|g" -e "s|@SSL@|$$ssl|g" -e "s|@CORE@|$$core|g" \
	      -e "s|@REL_PREFIX@|$$rel_prefix|g" -e "s|@REL_LIBDIR@|$$rel_lib|g" -e "s|@REL_INCDIR@|$$rel_inc|g" \
	      cmake/cluster-ssl-config.cmake.in > $(DESTDIR)$(CMAKEDIR)/$$pkg/$$pkg-config.cmake; \
	  sed -e 's|@VERSION@|$(CLUSTER_VERSION)|g' cmake/cluster-config-version.cmake.in \
	      > $(DESTDIR)$(CMAKEDIR)/$$pkg/$$pkg-config-version.cmake; \
	done

# The debug info of the installed shared libraries, where their .gnu_debuglink finds it.
install-debug: dist
	install -d $(DESTDIR)$(LIBDIR)/.debug
	install -m 644 $(DIST)/$(SONAME).debug $(DIST)/$(SSL_SONAME).debug $(DIST)/$(CLUSTER_SONAME).debug \
	  $(DIST)/$(CLUSTER_SSL_SONAME).debug $(DESTDIR)$(LIBDIR)/.debug/

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/$(LIBNAME).so $(DESTDIR)$(LIBDIR)/$(LIBNAME).a
	rm -f $(DESTDIR)$(LIBDIR)/libhiredis.so $(DESTDIR)$(LIBDIR)/libhiredis.so.1 $(DESTDIR)$(LIBDIR)/libhiredis.so.$(HIREDIS_SONAME) $(DESTDIR)$(LIBDIR)/libhiredis.a
	rm -f $(DESTDIR)$(PKGCONFIGDIR)/hiredis.pc $(DESTDIR)$(PKGCONFIGDIR)/hiredis_rs.pc
	rm -f $(DESTDIR)$(LIBDIR)/$(SSL_SONAME) $(DESTDIR)$(LIBDIR)/$(SSL_LIBNAME).so $(DESTDIR)$(LIBDIR)/$(SSL_LIBNAME).a
	rm -f $(DESTDIR)$(LIBDIR)/libhiredis_ssl.so $(DESTDIR)$(LIBDIR)/libhiredis_ssl.so.$(HIREDIS_SONAME) $(DESTDIR)$(LIBDIR)/libhiredis_ssl.a
	rm -f $(DESTDIR)$(PKGCONFIGDIR)/hiredis_ssl.pc $(DESTDIR)$(PKGCONFIGDIR)/hiredis_rs_ssl.pc
	rm -f $(DESTDIR)$(LIBDIR)/.debug/$(SONAME).debug $(DESTDIR)$(LIBDIR)/.debug/$(SSL_SONAME).debug
	rm -f $(DESTDIR)$(LIBDIR)/$(CLUSTER_SONAME) $(DESTDIR)$(LIBDIR)/$(CLUSTER_LIBNAME).so $(DESTDIR)$(LIBDIR)/$(CLUSTER_LIBNAME).a
	rm -f $(DESTDIR)$(LIBDIR)/libhiredis_cluster.so $(DESTDIR)$(LIBDIR)/libhiredis_cluster.so.0.14 $(DESTDIR)$(LIBDIR)/libhiredis_cluster.a
	rm -f $(DESTDIR)$(PKGCONFIGDIR)/hiredis_cluster.pc $(DESTDIR)$(PKGCONFIGDIR)/hiredis_rs_cluster.pc
	rm -f $(DESTDIR)$(LIBDIR)/.debug/$(CLUSTER_SONAME).debug $(DESTDIR)$(LIBDIR)/.debug/$(CLUSTER_SSL_SONAME).debug
	rm -f $(DESTDIR)$(LIBDIR)/$(CLUSTER_SSL_SONAME) $(DESTDIR)$(LIBDIR)/$(CLUSTER_SSL_LIBNAME).so $(DESTDIR)$(LIBDIR)/$(CLUSTER_SSL_LIBNAME).a
	rm -f $(DESTDIR)$(LIBDIR)/libhiredis_cluster_ssl.so $(DESTDIR)$(LIBDIR)/libhiredis_cluster_ssl.so.0.14 \
	      $(DESTDIR)$(LIBDIR)/libhiredis_cluster_ssl.so. $(DESTDIR)$(LIBDIR)/libhiredis_cluster_ssl.a
	rm -f $(DESTDIR)$(PKGCONFIGDIR)/hiredis_cluster_ssl.pc $(DESTDIR)$(PKGCONFIGDIR)/hiredis_rs_cluster_ssl.pc
	rm -rf $(DESTDIR)$(CMAKEDIR)/hiredis_cluster_ssl $(DESTDIR)$(CMAKEDIR)/hiredis_rs_cluster_ssl
	rm -rf $(DESTDIR)$(INCDIR)/hiredis_cluster $(DESTDIR)$(CMAKEDIR)/hiredis_cluster $(DESTDIR)$(CMAKEDIR)/hiredis_rs_cluster
	-rmdir $(DESTDIR)$(LIBDIR)/.debug 2>/dev/null || true
	rm -rf $(DESTDIR)$(INCDIR)/hiredis $(DESTDIR)$(CMAKEDIR)/hiredis $(DESTDIR)$(CMAKEDIR)/hiredis_rs
	rm -rf $(DESTDIR)$(CMAKEDIR)/hiredis_ssl $(DESTDIR)$(CMAKEDIR)/hiredis_rs_ssl
	-rmdir $(DESTDIR)$(CMAKEDIR) $(DESTDIR)$(PKGCONFIGDIR) 2>/dev/null || true

# make test's steps in two lanes that run side by side: A the compiling and single-threaded CPU
# steps, B the server tests (which spend much of their time waiting on servers). On two cores
# this takes about two thirds of the time of one lane after the other.
TEST_LANE_A := check-headers test-lint test-cargo test-miri test-diff test-valgrind-run test-fuzz
TEST_LANE_B := test-c test-redismodule test-python test-examples test-tls test-cluster test-symbols test-install
TEST_LOGS := $(BUILD)/test-logs

# Installs missing system packages (and cargo-fuzz for test) on a fresh machine.
deps:
	@tests/deps.sh $(DEPS_FLAGS)

# What the steps share is built first (the library, the staged install, the examples, the C
# test programs); then lane A runs in the background into $(TEST_LOGS)/lane-a.log (printed when
# both are done) while lane B runs here. In each lane every step in turn, with its duration; a
# lane stops at its first failing step. The lanes' makes take the shared builds as made (-o), so
# neither rewrites a file the other is running.
test: DEPS_FLAGS = --fuzz
test: deps
	@total=$$(date +%s); \
	 $(MAKE) --no-print-directory lib stage examples test-c-build || { echo "make test: the build FAILED"; exit 1; }; \
	 mkdir -p $(TEST_LOGS); rm -f $(TEST_LOGS)/lane-a.log $(TEST_LOGS)/lane-a.rc; \
	 ( $(MAKE) --no-print-directory test-lane LANE_STEPS="$(TEST_LANE_A)" > $(TEST_LOGS)/lane-a.log 2>&1; \
	   echo $$? > $(TEST_LOGS)/lane-a.rc ) & \
	 $(MAKE) --no-print-directory test-lane LANE_STEPS="$(TEST_LANE_B)"; b=$$?; \
	 wait; a=$$(cat $(TEST_LOGS)/lane-a.rc 2>/dev/null || echo 1); \
	 echo "== make test: lane A ($(TEST_LANE_A)), run beside the steps above"; \
	 cat $(TEST_LOGS)/lane-a.log; \
	 echo "== make test: the steps' times"; grep -h '^make test: test-\|^make test: check-' $(TEST_LOGS)/lane-a.log; \
	 if [ $$a -ne 0 ] || [ $$b -ne 0 ]; then echo "make test: FAILED (lane A exit $$a, lane B exit $$b)"; exit 1; fi; \
	 echo "make test: all passed in $$(( $$(date +%s) - total )) s"

.PHONY: test-lane
test-lane:
	@for step in $(LANE_STEPS); do \
	  start=$$(date +%s); \
	  $(MAKE) --no-print-directory -o lib -o stage -o examples -o test-c-build $$step || { echo "make test: $$step FAILED"; exit 1; }; \
	  echo "make test: $$step passed in $$(( $$(date +%s) - start )) s"; \
	done

# Formatting and lints, enforced: rustfmt and clippy (warnings are errors) over both libraries,
# their tests and build scripts, and the fuzz crate (its own workspace; its targets are bins).
.PHONY: test-lint
test-lint:
	tests/check-boundary.sh
	$(CARGO) fmt --all -- --check
	cd fuzz && $(CARGO) fmt -- --check
	$(CARGO) clippy --workspace --all-targets -q -- -D warnings
	cd fuzz && $(CARGO) clippy --bins -q -- -D warnings

# Unit tests of both libraries (the workspace's default-members).
test-cargo:
	$(CARGO) test --lib

# The core's unit tests under Miri (nightly; see tests/miri.sh for what runs and when it
# skips).
test-miri:
	tests/miri.sh

# Every tests/test_*.c is a program built as a user would (pkg-config against the staged
# install), then run by tests/harness.sh against its own redis-server.
C_TESTS := $(patsubst tests/%.c,%,$(wildcard tests/test_*.c))
# The event library a program links, picked by its name ($$prog, the variable of each build
# loop below): test_adapter_X, test_tls_async_X and example-X[-ssl] use loop X (example-pubsub
# libevent); other names get nothing. libev ships no .pc file; ae is our own ae-compatible
# loop in tests/ae.
EVENT_LIB_FLAGS = $$(case $$prog in \
  (*[_-]libevent|*[_-]libevent-ssl|example-pubsub) pkg-config --cflags --libs libevent;; \
  (*[_-]libev) echo -lev;; \
  (*[_-]libuv) pkg-config --cflags --libs libuv;; \
  (*[_-]glib) pkg-config --cflags --libs glib-2.0;; \
  (*[_-]ae) echo -Itests/ae tests/ae/ae.c;; \
  (*[_-]libsdevent) pkg-config --cflags --libs libsystemd;; \
  (*[_-]ivykis) pkg-config --cflags --libs ivykis;; \
  esac)
# Built without PIE, so hiredisAllocFns is copy-relocated into the program (see test_alloc.c).
NOPIE_TESTS := test_alloc

# C++ tests (tests/test_*.cpp: the Qt adapter's), built with moc run on the installed
# adapters/qt.h as a Qt user of hiredis does.
CXX_TESTS := $(patsubst tests/%.cpp,%,$(wildcard tests/test_*.cpp))
# Looked up when the recipe runs, not when make parses this file: on a fresh machine Qt is
# installed by `deps`, after parsing.
MOC = $$(pkg-config --variable=host_bins Qt5Core)/moc

# moc's output for the installed adapters/qt.h, compiled into the Qt tests and examples; made
# again when adapters/qt.h (which `stage` installs) changes.
MOC_QT := $(BUILD)/moc/moc_qt.cpp
$(MOC_QT): adapters/qt.h | stage
	@mkdir -p $(@D)
	@$(MOC) $(STAGE)/include/hiredis/adapters/qt.h -o $@

test-c-build: stage $(if $(CXX_TESTS),$(MOC_QT))
	@mkdir -p $(TESTBIN)
	@printf '#include <hiredis/hiredis.h>\n#include <hiredis/async.h>\n#include <hiredis/read.h>\n#include <hiredis/sds.h>\n#include <hiredis/alloc.h>\n#include <hiredis/sockcompat.h>\nint main() { redisReply r = redisReply(); return r.type; }\n' \
	  | $(CXX) -fsyntax-only -Wall -Wextra -Werror -x c++ - $$($(STAGE_PC) --cflags hiredis) \
	  || { echo "the installed headers do not compile as C++"; exit 1; }
	@tests/check-adapter-includes.sh "$(CC)" $$($(STAGE_PC) --cflags hiredis)
	@set -e; for prog in $(C_TESTS); do \
	  extra=; case " $(NOPIE_TESTS) " in *" $$prog "*) extra=-no-pie;; esac; \
	  $(CC) $(CWARN) -g $$extra -o $(TESTBIN)/$$prog tests/$$prog.c $$($(STAGE_PC) --cflags --libs hiredis) $(EVENT_LIB_FLAGS); \
	done
	@set -e; for t in $(CXX_TESTS); do \
	  $(CXX) -Wall -Wextra -Werror -Wno-missing-field-initializers -g -fPIC -o $(TESTBIN)/$$t tests/$$t.cpp \
	    $(MOC_QT) $$($(STAGE_PC) --cflags --libs hiredis) $$(pkg-config --cflags --libs Qt5Core); \
	done
	@# test_dlopen's helpers: libraries of N bytes of initial-exec TLS each, to use up glibc's
	@# static TLS reserve before it loads the library.
	@set -e; for n in 4096 2048 1024 512 256 128 64 32 16 8 probe64; do \
	  $(CC) $(CWARN) -shared -fPIC -DFILL_BYTES=$${n#probe} -o $(TESTBIN)/libstatictls-$$n.so tests/static_tls_fill.c; \
	done
	@# Non-PIE: hiredisAllocFns is then copy-relocated into the program (spec §12).
	@$(CC) $(CWARN) -g -no-pie -fno-pic -o $(TESTBIN)/test_abi_layout_nopie tests/test_abi_layout.c \
	  $$($(STAGE_PC) --cflags --libs hiredis)

test-c: test-c-build
	LD_LIBRARY_PATH=$(STAGE)/lib tests/harness.sh $(addprefix $(TESTBIN)/,$(C_TESTS) $(CXX_TESTS) test_abi_layout_nopie)

# Python's hiredis package (its sdist from PyPI, cached in build/python-hiredis) built against
# the staged library, with its own pytest suite in a throwaway venv (tests/python-hiredis.sh).
test-python: stage
	tests/python-hiredis.sh $(STAGE)

# The same programs again under valgrind (the million-command pipeline shrinks to 100,000:
# it runs in full in the plain pass).
test-valgrind: test-c-build
	@$(MAKE) --no-print-directory test-valgrind-run

# The valgrind pass over the programs test-c-build made (make test runs it right after test-c,
# so it does not build them a second time).
test-valgrind-run:
	@command -v valgrind >/dev/null || { echo "valgrind not found (run .ci/run)"; exit 2; }
	@# First prove the wrapper fails a leaking, out-of-bounds program (tests/selfcheck_leak.c).
	@$(CC) -g -O0 -o $(TESTBIN)/selfcheck_leak tests/selfcheck_leak.c $$($(STAGE_PC) --cflags --libs hiredis)
	@LD_LIBRARY_PATH=$(STAGE)/lib $(VALGRIND) $(TESTBIN)/selfcheck_leak > $(TESTBIN)/selfcheck_leak.log 2>&1; rc=$$?; \
	 if [ $$rc -eq 99 ] && grep -q 'definitely lost' $(TESTBIN)/selfcheck_leak.log && grep -q 'Invalid read' $(TESTBIN)/selfcheck_leak.log; \
	 then echo "valgrind self-check: a leak and an invalid read fail the run (exit $$rc)"; \
	 else cat $(TESTBIN)/selfcheck_leak.log; echo "valgrind self-check: the wrapper did not catch a known leak (exit $$rc)"; exit 1; fi
	@# The reply cache is off under memcheck by default; forced on, its blocks are checked too.
	LD_LIBRARY_PATH=$(STAGE)/lib HIREDIS_RS_REPLY_CACHE=1 ASYNC_PIPELINE_N=100000 TEST_WRAPPER="$(VALGRIND)" tests/harness.sh $(addprefix $(TESTBIN)/,$(C_TESTS) $(CXX_TESTS) test_abi_layout_nopie)
	@# The core's Rust unit tests too, for invalid accesses in its unsafe code (not for leaks:
	@# their fixtures build contexts by hand and leave some behind).
	CARGO_TARGET_$(HOST_TRIPLE_VAR)_RUNNER="valgrind --error-exitcode=99 -q" $(CARGO) test --lib -p hiredis_rs -q

# adapters/redismoduleapi.h in a Redis module (tests/redismodule/hirs_module.c, built against
# the staged headers and libhiredis_rs.a, with redismodule.h fetched from the redis-module
# crate) that one harness-started redis-server loads, talking to a second one: plain, with the
# module built with ASan, and with the module's server under memcheck (errors fail the run; no
# leak check: the blocks a redis-server leaves at exit are its own).
REDISMODULE_VALGRIND := valgrind -q --soname-synonyms=somalloc=libjemalloc.so.2 --leak-check=no
REDISMODULE_RUN = CC="$(CC)" CWARN="$(CWARN)" tests/redismodule/run.sh $(STAGE)
test-redismodule: stage
	$(REDISMODULE_RUN) $(BUILD)/redismodule
	HIRS_SANITIZE=address $(REDISMODULE_RUN) $(BUILD)/redismodule-asan
	@command -v valgrind >/dev/null || { echo "valgrind not found (run make deps)"; exit 2; }
	HIRS_PIPELINE_N=20000 HIRS_SERVER_WRAPPER="$(REDISMODULE_VALGRIND)" $(REDISMODULE_RUN) $(BUILD)/redismodule

# TLS (ssl/): tests/tls/test_*.c built against `pkg-config hiredis_ssl` (the async ones with
# libevent too), run by tests/tls/harness.sh (throwaway CA and certificates, redis-servers
# with --tls-port), then again under valgrind with the million-command pipeline cut to
# 20,000; and the TLS library's exports, SONAME and NEEDED.
TLS_TESTS := $(patsubst tests/tls/%.c,%,$(wildcard tests/tls/test_*.c))

.PHONY: test-tls test-tls-build
test-tls-build: stage
	@mkdir -p $(TESTBIN)/tls
	@set -e; for prog in $(TLS_TESTS); do \
	  $(CC) $(CWARN) -g -I tests -o $(TESTBIN)/tls/$$prog tests/tls/$$prog.c \
	    $$($(STAGE_PC) --cflags --libs hiredis_ssl) -lssl -lcrypto $(EVENT_LIB_FLAGS); \
	done

# The TLS examples (example-ssl, example-libevent-ssl) are those `examples` builds.
test-tls: test-tls-build examples
	tests/tls/check-ssl-symbols.sh $(STAGE)/lib/$(SSL_SONAME)
	LD_LIBRARY_PATH=$(STAGE)/lib TLS_EXAMPLES=$(EXAMPLES_OUT) tests/tls/harness.sh $(addprefix $(TESTBIN)/tls/,$(TLS_TESTS)) \
	  tests/tls/run-examples.sh
	@command -v valgrind >/dev/null || { echo "valgrind not found (run .ci/run)"; exit 2; }
	LD_LIBRARY_PATH=$(STAGE)/lib TLS_PIPELINE_N=20000 TEST_WRAPPER="$(VALGRIND)" \
	  tests/tls/harness.sh $(addprefix $(TESTBIN)/tls/,$(TLS_TESTS))

# Redis Cluster (cluster/): its exports, SONAME and NEEDED; the C layout test; then
# tests/cluster/test_*.c built against `pkg-config hiredis_cluster` and run by
# tests/cluster/harness.sh (which starts real 6-node clusters on loopback ports), first plainly
# with the cluster examples (tests/cluster/run-examples.sh), then under valgrind.
# A scenario tests/cluster/test_cluster_<s>_any.c is built once per cluster adapter
# (-DCL_ADAPTER_<NAME>, see tests/cluster/cluster_adapter.h) into test_cluster_<s>_<adapter>.
# All of them run plainly, then under valgrind. The failover builds run together on one fresh
# cluster (tests/cluster/harness.sh).
CLUSTER_ADAPTERS := ae glib libev libevent libuv poll
CLUSTER_ANY := $(patsubst tests/cluster/%_any.c,%,$(wildcard tests/cluster/test_*_any.c))
CLUSTER_PLAIN := $(filter-out %_any,$(patsubst tests/cluster/%.c,%,$(wildcard tests/cluster/test_*.c)))
CLUSTER_TESTS := $(CLUSTER_PLAIN) $(foreach s,$(CLUSTER_ANY),$(addprefix $(s)_,$(CLUSTER_ADAPTERS)))

.PHONY: test-cluster test-cluster-build
# The TLS ones (test_cluster_tls*) against `pkg-config hiredis_cluster_ssl`.
test-cluster-build: stage
	@mkdir -p $(TESTBIN)/cluster
	@set -e; for prog in $(CLUSTER_TESTS); do \
	  pc=hiredis_cluster; case $$prog in (test_cluster_tls*) pc=hiredis_cluster_ssl;; esac; \
	  src=tests/cluster/$$prog.c; def=; \
	  if [ ! -e $$src ]; then \
	    src=tests/cluster/$${prog%_*}_any.c; \
	    def=-DCL_ADAPTER_$$(echo $${prog##*_} | tr a-z A-Z); \
	  fi; \
	  $(CC) $(CWARN) -g -I tests $$def -o $(TESTBIN)/cluster/$$prog $$src \
	    $$($(STAGE_PC) --cflags --libs $$pc) $(EVENT_LIB_FLAGS); \
	done

test-cluster: test-cluster-build examples
	tests/cluster/check-cluster-symbols.sh $(STAGE)/lib/$(CLUSTER_SONAME)
	LD_LIBRARY_PATH=$(STAGE)/lib CLUSTER_EXAMPLES=$(EXAMPLES_OUT) tests/cluster/harness.sh \
	  $(addprefix $(TESTBIN)/cluster/,$(CLUSTER_TESTS)) tests/cluster/run-examples.sh
	@command -v valgrind >/dev/null || { echo "valgrind not found (run .ci/run)"; exit 2; }
	LD_LIBRARY_PATH=$(STAGE)/lib CLUSTER_UNDER_VALGRIND=1 TEST_WRAPPER="$(VALGRIND)" \
	  tests/cluster/harness.sh $(addprefix $(TESTBIN)/cluster/,$(CLUSTER_TESTS))

# Exported symbols, NEEDED and SONAME of the built library against tests/symbols.txt.
test-symbols: stage
	tests/check-symbols.sh $(STAGE)/lib/$(SONAME)

# make install / uninstall into a temp tree; pkg-config, CMake and static builds against it.
test-install: lib
	tests/install-test.sh

# Differential tests against real hiredis builds from package registries (Debian's libhiredis-dev,
# the C sources in PyPI's hiredis sdist), fetched at test time; see tests/diff/run.sh.
.PHONY: test-diff
test-diff: stage
	tests/diff/run.sh $(STAGE)

# Optional: hiredis's own test program (built by you against real hiredis, dynamically linked)
# run on hiredis-rs; see tests/upstream-conformance.sh. Not part of `make test`.
conformance: stage
	tests/upstream-conformance.sh $(HIREDIS_TEST)

# cargo-fuzz targets (stable toolchain, --sanitizer none); see fuzz/README.md.
fuzz-build: lib
	$(MAKE) -C fuzz build

fuzz-smoke: fuzz-build
	$(MAKE) -C fuzz run FUZZ_TIME=$(FUZZ_SECONDS)

test-fuzz:
	@if [ "$(TEST_FUZZ_SECONDS)" = 0 ]; then echo "test-fuzz: skipped"; \
	 else $(MAKE) --no-print-directory fuzz-build && $(MAKE) --no-print-directory -C fuzz run FUZZ_TIME=$(TEST_FUZZ_SECONDS); fi

# examples-c/example*.c, built as a user would against the staged install (rpath set so
# they run from build/examples without LD_LIBRARY_PATH), each with its event library.
EXAMPLES_OUT := $(BUILD)/examples
EXAMPLES := $(patsubst examples-c/%.c,%,$(wildcard examples-c/example*.c))
CXX_EXAMPLES := $(patsubst examples-c/%.cpp,%,$(wildcard examples-c/example*.cpp))
# The TLS examples (*-ssl) also link the TLS library; the cluster examples (example-cluster*)
# are built against the cluster library's package (which brings hiredis's), the TLS one against
# the cluster TLS library's.
EXAMPLE_SSL_LIBS = $$(case $$prog in (*-ssl) $(STAGE_PC) --libs hiredis_ssl;; esac)
EXAMPLE_PC = $$(case $$prog in (example-cluster*-ssl) echo hiredis_cluster_ssl;; (example-cluster*) echo hiredis_cluster;; \
  (*) echo hiredis;; esac)

.PHONY: examples
examples: stage $(if $(CXX_EXAMPLES),$(MOC_QT))
	@mkdir -p $(EXAMPLES_OUT)
	@set -e; for prog in $(EXAMPLES); do \
	  echo "  CC $(EXAMPLES_OUT)/$$prog"; \
	  $(CC) $(CWARN) -g -o $(EXAMPLES_OUT)/$$prog examples-c/$$prog.c \
	    $$($(STAGE_PC) --cflags --libs $(EXAMPLE_PC)) -Wl,-rpath,$(STAGE)/lib $(EXAMPLE_SSL_LIBS) $(EVENT_LIB_FLAGS); \
	done
	@# C++ (Qt) examples, with moc's output for the installed adapters/qt.h.
	@set -e; for e in $(CXX_EXAMPLES); do \
	  echo "  CXX $(EXAMPLES_OUT)/$$e"; \
	  $(CXX) -Wall -Wextra -Werror -g -fPIC -o $(EXAMPLES_OUT)/$$e examples-c/$$e.cpp $(MOC_QT) \
	    $$($(STAGE_PC) --cflags --libs hiredis) -Wl,-rpath,$(STAGE)/lib $$(pkg-config --cflags --libs Qt5Core); \
	done

# Every example against a harness-started redis-server, over TCP and the unix socket, each
# checked for its exit status and a line of its output (tests/run-examples.sh).
test-examples: examples
	LD_LIBRARY_PATH=$(STAGE)/lib EXAMPLES_DIR=$(EXAMPLES_OUT) tests/harness.sh tests/run-examples.sh

# Starts its own throwaway redis-server and runs the libevent example against it. The build
# runs in a second make, started after `deps` has installed what it looks up.
demo: deps
	@$(MAKE) --no-print-directory examples
	@examples-c/demo.sh $(EXAMPLES_OUT)/example-libevent

# Starts a throwaway 6-node cluster (3 masters, 1 replica each) on free loopback ports, runs
# the async cluster example (libevent) against it, stops the nodes by pid.
.PHONY: demo-cluster
demo-cluster: deps
	@$(MAKE) --no-print-directory examples
	@examples-c/demo-cluster.sh $(EXAMPLES_OUT)/example-cluster-libevent

clean:
	$(CARGO) clean
	rm -rf $(BUILD)
	-$(MAKE) -C fuzz clean

# Benchmarks (bench/README.md): hiredis-rs against the system hiredis, each C program in
# bench/ built against both. `bench` times reader, formatter, sync and async (own
# redis-server, libraries alternated run by run, medians); `bench-instr` counts reader,
# formatter and async client instructions under callgrind. `cluster` (both) is compared with
# hiredis-cluster 0.14.0 installed under BENCH_CLUSTER_REF (built outside the repo, see
# bench/README.md; n/a without it). Results, table and chart land in build/bench.
BENCH_RUNS ?= 5
BENCH_ARGS ?=
BENCH_CLUSTER_REF ?=
BENCH_REF_ARG = $(if $(BENCH_CLUSTER_REF),--cluster-ref $(BENCH_CLUSTER_REF))
.PHONY: bench bench-instr bench-python
bench: deps stage
	python3 bench/bench.py time --runs $(BENCH_RUNS) --stage $(STAGE) --out $(BUILD)/bench $(BENCH_REF_ARG) $(BENCH_ARGS)

bench-instr: stage
	@command -v valgrind >/dev/null || { echo "valgrind not found"; exit 2; }
	python3 bench/bench.py instr --stage $(STAGE) --out $(BUILD)/bench $(BENCH_REF_ARG) $(BENCH_ARGS)

# Python's hiredis package (from PyPI's sdist) on our library against the hiredis it vendors.
bench-python: deps stage
	python3 bench/python-reader.py --stage $(STAGE) --runs $(BENCH_RUNS) --out $(BUILD)/bench
