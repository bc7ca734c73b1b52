#!/usr/bin/env bash
# `make install` / `make uninstall` as a packager and a user would run them:
#   1. install with PREFIX=/opt/hiredis-rs DESTDIR=<tmp> and check the file list, the symlinks
#      and the shared object's SONAME;
#   2. build small C programs against that tree with pkg-config (both include styles, shared
#      and static), with CMake find_package(hiredis) / find_package(hiredis_rs), and run them;
#      the DESTDIR tree is not where the files claim to live, so this also shows the CMake
#      files are relocatable (pkg-config gets PKG_CONFIG_SYSROOT_DIR, as for a sysroot);
#   3. uninstall with the same arguments and check nothing is left.
# Uses only the core functions every build has (allocator, sds); see README for the rest.
set -euo pipefail
cd "$(dirname "$0")/.."

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hiredis-rs-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=/opt/hiredis-rs
dest=$tmp/dest
root=$dest$prefix
fails=0
ok()   { echo "ok   $*"; }
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

make --no-print-directory install install-debug PREFIX=$prefix DESTDIR="$dest" > "$tmp/install.log" 2>&1 \
    || { cat "$tmp/install.log"; echo "FAIL make install install-debug"; exit 1; }

# 1. Layout (the TLS library's files and compat names too).
expect_files="lib/libhiredis_rs.so.1.4.0 lib/libhiredis_rs.a
  include/hiredis/hiredis.h include/hiredis/async.h include/hiredis/read.h include/hiredis/sds.h
  include/hiredis/alloc.h include/hiredis/sockcompat.h
  lib/pkgconfig/hiredis.pc lib/pkgconfig/hiredis_rs.pc
  lib/cmake/hiredis/hiredis-config.cmake lib/cmake/hiredis/hiredis-config-version.cmake
  lib/cmake/hiredis_rs/hiredis_rs-config.cmake lib/cmake/hiredis_rs/hiredis_rs-config-version.cmake
  lib/libhiredis_rs_ssl.so.1.4.0 lib/libhiredis_rs_ssl.a include/hiredis/hiredis_ssl.h
  lib/pkgconfig/hiredis_ssl.pc lib/pkgconfig/hiredis_rs_ssl.pc
  lib/cmake/hiredis_ssl/hiredis_ssl-config.cmake lib/cmake/hiredis_ssl/hiredis_ssl-config-version.cmake
  lib/cmake/hiredis_rs_ssl/hiredis_rs_ssl-config.cmake lib/cmake/hiredis_rs_ssl/hiredis_rs_ssl-config-version.cmake
  lib/.debug/libhiredis_rs.so.1.4.0.debug lib/.debug/libhiredis_rs_ssl.so.1.4.0.debug"
for f in $expect_files; do
    [ -f "$root/$f" ] && [ ! -L "$root/$f" ] && ok "file $f" || fail "file $f missing"
done
for l in libhiredis_rs.so:libhiredis_rs.so.1.4.0 libhiredis.so:libhiredis_rs.so.1.4.0 \
         libhiredis.so.1:libhiredis_rs.so.1.4.0 libhiredis.so.1.4.0:libhiredis_rs.so.1.4.0 \
         libhiredis.a:libhiredis_rs.a \
         libhiredis_rs_ssl.so:libhiredis_rs_ssl.so.1.4.0 libhiredis_ssl.so:libhiredis_rs_ssl.so.1.4.0 \
         libhiredis_ssl.so.1.4.0:libhiredis_rs_ssl.so.1.4.0 libhiredis_ssl.a:libhiredis_rs_ssl.a; do
    name=${l%%:*} target=${l#*:}
    [ "$(readlink "$root/lib/$name" || true)" = "$target" ] && ok "symlink $name -> $target" \
        || fail "symlink lib/$name should point to $target"
done
for a in adapters/*.h; do
    [ -e "$a" ] || continue
    [ -f "$root/include/hiredis/$a" ] && ok "adapter $a" || fail "adapter $a not installed"
done
soname=$(objdump -p "$root/lib/libhiredis_rs.so.1.4.0" | awk '$1 == "SONAME" {print $2}')
[ "$soname" = libhiredis_rs.so.1.4.0 ] && ok "SONAME $soname" || fail "SONAME is '$soname'"
# Installed stripped (at most 1.5 MiB each), the debug info in lib/.debug (install-debug), found
# through the library's .gnu_debuglink and matching its build id.
build_id() { readelf -n "$1" | awk '/Build ID/ {print $3}'; }
for so in libhiredis_rs.so.1.4.0 libhiredis_rs_ssl.so.1.4.0; do
    f=$root/lib/$so; size=$(stat -c %s "$f")
    [ "$size" -le 1572864 ] && ok "$so is $size bytes" || fail "$so is $size bytes (> 1.5 MiB)"
    if readelf -S "$f" | grep -q '\.debug_info'; then fail "$so still has debug info"; else ok "$so has no debug info"; fi
    link=$(readelf -p .gnu_debuglink "$f" 2>/dev/null | awk '/\]/ {print $3; exit}')
    [ "$link" = "$so.debug" ] && ok "$so debuglink $link" || fail "$so debuglink is '$link'"
    dbg=$root/lib/.debug/$so.debug
    if [ -f "$dbg" ] && readelf -S "$dbg" | grep -q '\.debug_info' && [ -n "$(build_id "$f")" ] \
       && [ "$(build_id "$f")" = "$(build_id "$dbg")" ]; then ok "debug info for $so (build id $(build_id "$f"))"
    else fail "no matching debug info for $so in lib/.debug"; fi
done

# 2a. pkg-config, both include styles, shared.
cat > "$tmp/prog.c" <<'EOF'
#ifdef FLAT_INCLUDES
#include <hiredis.h>
#include <sds.h>
#else
#include <hiredis/hiredis.h>
#include <hiredis/sds.h>
#endif
#include <stdio.h>
#include <string.h>

int main(void) {
    /* Version macros and constants come through the installed headers... */
    if (HIREDIS_MAJOR != 1 || HIREDIS_MINOR != 4 || REDIS_OK != 0) return 2;
    /* ...and calls reach the installed library. */
    sds s = sdsnew("hiredis");
    s = sdscat(s, "-rs");
    int good = s && sdslen(s) == 10 && memcmp(s, "hiredis-rs", 11) == 0;
    sdsfree(s);
    void *p = hi_malloc(16);
    hi_free(p);
    printf("%s\n", good && p ? "linked ok" : "wrong result");
    return good && p ? 0 : 1;
}
EOF
export PKG_CONFIG_PATH=$root/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest
cflags=$(pkg-config --cflags hiredis) libs=$(pkg-config --libs hiredis)
case "$cflags" in *"-I$root/include/hiredis"*"-I$root/include"*"-D_FILE_OFFSET_BITS=64"*) ok "pkg-config --cflags: $cflags";;
                  *) fail "pkg-config --cflags: $cflags";; esac
[ "$(pkg-config --modversion hiredis_rs)" = 1.4.1 ] && ok "hiredis_rs.pc version" || fail "hiredis_rs.pc version"
# cmake_check PROGRAM PKG VERSION TARGET [flat]: a CMake project that finds PKG and links
# prog to TARGET, prog_static to TARGET_static and, with "flat", prog_flat (FLAT_INCLUDES) to
# TARGET; each is built and run and must print "linked ok".
cmake_check() {
    local prog=$1 pkg=$2 version=$3 target=$4 flat=${5:-} src=$tmp/cmake-$2 exes="prog prog_static" exe
    mkdir -p "$src"
    cp "$prog" "$src/prog.c"
    {
        printf 'cmake_minimum_required(VERSION 3.13)\nproject(hirs_consumer C)\nfind_package(%s %s REQUIRED)\n' "$pkg" "$version"
        printf 'add_executable(prog prog.c)\ntarget_link_libraries(prog %s)\n' "$target"
        printf 'add_executable(prog_static prog.c)\ntarget_link_libraries(prog_static %s_static)\n' "$target"
        if [ -n "$flat" ]; then
            printf 'add_executable(prog_flat prog.c)\ntarget_compile_definitions(prog_flat PRIVATE FLAT_INCLUDES)\n'
            printf 'target_link_libraries(prog_flat %s)\n' "$target"
            exes="prog prog_flat prog_static"
        fi
    } > "$src/CMakeLists.txt"
    if cmake -S "$src" -B "$src/build" -DCMAKE_PREFIX_PATH="$root" > "$src/cmake.log" 2>&1 &&
       cmake --build "$src/build" >> "$src/cmake.log" 2>&1; then
        for exe in $exes; do
            if LD_LIBRARY_PATH=$root/lib "$src/build/$exe" | grep -q "linked ok"; then ok "cmake $target ($exe)"
            else fail "cmake $target ($exe): ran but failed"; fi
        done
    else
        fail "cmake find_package($pkg)"; cat "$src/cmake.log"
    fi
}
run() { # name, then the command producing $tmp/$name
    local name=$1; shift
    if "$@" > "$tmp/$name.log" 2>&1; then
        if LD_LIBRARY_PATH=$root/lib "$tmp/$name" > "$tmp/$name.out" 2>&1 && grep -q "linked ok" "$tmp/$name.out"; then
            ok "$name"
        else
            fail "$name: ran but failed"; cat "$tmp/$name.out"
        fi
    else
        fail "$name: build failed"; cat "$tmp/$name.log"
    fi
}
run pc-nested cc -Wall -Werror -o "$tmp/pc-nested" "$tmp/prog.c" $cflags $libs
run pc-flat cc -Wall -Werror -DFLAT_INCLUDES -o "$tmp/pc-flat" "$tmp/prog.c" $cflags $libs
# The binary must record the hiredis-rs SONAME, so it finds the library wherever it is installed.
if objdump -p "$tmp/pc-nested" 2>/dev/null | grep -q 'NEEDED *libhiredis_rs.so.1.4.0'; then ok "NEEDED libhiredis_rs.so.1.4.0"
else fail "program does not record NEEDED libhiredis_rs.so.1.4.0"; fi
# Static: the archive plus Libs.private, no shared hiredis-rs needed at run time.
run pc-static cc -Wall -Werror -o "$tmp/pc-static" "$tmp/prog.c" $cflags \
    -L"$root/lib" -l:libhiredis_rs.a $(pkg-config --libs-only-l --static hiredis | sed 's/-lhiredis_rs//')
if objdump -p "$tmp/pc-static" 2>/dev/null | grep -q 'NEEDED *libhiredis'; then fail "static program still needs a shared hiredis"
else ok "static program has no shared hiredis dependency"; fi
# Plain -lhiredis (the compat name), as a Makefile written for hiredis would do.
run plain-lhiredis cc -Wall -Werror -o "$tmp/plain-lhiredis" "$tmp/prog.c" -I"$root/include" -L"$root/lib" -lhiredis

# 2a'. A program with its own sds (as Redis and many C projects have) links statically with the
# archive, as it does with hiredis's libhiredis.a: the archive's sds functions are weak, so the
# program's win, and the library keeps using its own sds inside (the program's are never called
# from it). Every sds name hiredis's sds.c defines is defined here.
cat > "$tmp/own_sds.c" <<'EOF'
#include <string.h>
int own_sds_calls;
/* Strong definitions under hiredis's sds names; only sdsnew does anything. */
char *sdsnew(const char *s);
char *sdsnew(const char *s) { own_sds_calls++; return strcmp(s, "mine") == 0 ? (char *)"own sdsnew" : 0; }
#define OWN(name) void *name(void); void *name(void) { own_sds_calls++; return 0; }
OWN(sdsnewlen) OWN(sdsempty) OWN(sdsdup) OWN(sdsfree) OWN(sdsgrowzero) OWN(sdscatlen) OWN(sdscat)
OWN(sdscatsds) OWN(sdscpylen) OWN(sdscpy) OWN(sdscatvprintf) OWN(sdscatprintf) OWN(sdscatfmt)
OWN(sdstrim) OWN(sdsrange) OWN(sdsupdatelen) OWN(sdsclear) OWN(sdscmp) OWN(sdssplitlen)
OWN(sdsfreesplitres) OWN(sdstolower) OWN(sdstoupper) OWN(sdsfromlonglong) OWN(sdscatrepr)
OWN(sdssplitargs) OWN(sdsmapchars) OWN(sdsjoin) OWN(sdsjoinsds) OWN(sdsMakeRoomFor) OWN(sdsIncrLen)
OWN(sdsRemoveFreeSpace) OWN(sdsAllocSize) OWN(sdsAllocPtr) OWN(sds_malloc) OWN(sds_realloc)
OWN(sds_free) OWN(sdsll2str) OWN(sdsull2str) OWN(hex_digit_to_int)
EOF
cat > "$tmp/ownsds_main.c" <<'EOF'
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <string.h>
extern int own_sds_calls;

int main(void) {
    /* The program's own sdsnew answers the program's calls. */
    const char *mine = sdsnew("mine");
    int good = mine && strcmp(mine, "own sdsnew") == 0 && own_sds_calls == 1;
    /* The library's reader, formatter and context keep their own sds inside. */
    redisReader *r = redisReaderCreate();
    const char *in = "*3\r\n$3\r\nfoo\r\n:42\r\n+OK\r\n";
    void *reply = NULL;
    good = good && r && redisReaderFeed(r, in, strlen(in)) == REDIS_OK && redisReaderGetReply(r, &reply) == REDIS_OK;
    redisReply *rep = reply;
    good = good && rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 3 &&
           strcmp(rep->element[0]->str, "foo") == 0 && rep->element[1]->integer == 42;
    freeReplyObject(reply);
    redisReaderFree(r);
    char *cmd = NULL;
    int len = redisFormatCommand(&cmd, "SET %s %d", "key", 7);
    good = good && len == 29 && memcmp(cmd, "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$1\r\n7\r\n", 29) == 0;
    redisFreeCommand(cmd);
    redisContext *c = redisConnectUnix("/nonexistent/hiredis-rs.sock");
    good = good && c && c->err != 0 && c->obuf != NULL;
    redisFree(c);
    good = good && own_sds_calls == 1;
    printf("%s (the program's sds called %d times)\n", good ? "linked ok" : "wrong result", own_sds_calls);
    return good ? 0 : 1;
}
EOF
run own-sds-static cc -Wall -Werror -o "$tmp/own-sds-static" "$tmp/ownsds_main.c" "$tmp/own_sds.c" $cflags \
    -L"$root/lib" -l:libhiredis_rs.a $(pkg-config --libs-only-l --static hiredis | sed 's/-lhiredis_rs//')

# 2b. CMake find_package, shared and static targets, under both package names.
if command -v cmake >/dev/null; then
    for pkg in hiredis hiredis_rs; do cmake_check "$tmp/prog.c" $pkg 1.4 $pkg::$pkg flat; done
    # A version the package cannot satisfy must be refused.
    src=$tmp/cmake-badver; mkdir -p "$src"
    printf 'cmake_minimum_required(VERSION 3.13)\nproject(x C)\nfind_package(hiredis 2.0 REQUIRED)\n' > "$src/CMakeLists.txt"
    if cmake -S "$src" -B "$src/build" -DCMAKE_PREFIX_PATH="$root" > "$src/cmake.log" 2>&1; then
        fail "find_package(hiredis 2.0) should fail"
    else ok "find_package(hiredis 2.0) refused"; fi
else
    fail "cmake not installed (run .ci/run)"
fi

# 2c. The TLS library: hiredis_ssl.pc (Requires: hiredis) and a program against hiredis_ssl.h
# built with pkg-config (shared) and from the two archives (static).
grep -qx 'Requires: hiredis' "$root/lib/pkgconfig/hiredis_ssl.pc" && grep -qx 'Libs.private: -lssl -lcrypto' \
    "$root/lib/pkgconfig/hiredis_ssl.pc" && ok "hiredis_ssl.pc Requires/Libs.private" || fail "hiredis_ssl.pc fields"
cat > "$tmp/sslprog.c" <<'EOF'
#include <hiredis/hiredis.h>
#include <hiredis/hiredis_ssl.h>
#include <stdio.h>
#include <string.h>

int main(void) {
    redisSSLContextError e = REDIS_SSL_CTX_NONE;
    redisSSLContext *s = redisCreateSSLContext(NULL, NULL, "cert-without-key", NULL, NULL, &e);
    int good = s == NULL && e == REDIS_SSL_CTX_CERT_KEY_REQUIRED &&
               strcmp(redisSSLContextGetError(e), "Client cert and key must both be specified or skipped") == 0;
    s = redisCreateSSLContext(NULL, NULL, NULL, NULL, "localhost", NULL);
    good = good && s != NULL && redisInitOpenSSL() == REDIS_OK;
    redisFreeSSLContext(s);
    printf("%s\n", good ? "linked ok" : "wrong result");
    return good ? 0 : 1;
}
EOF
run ssl-pc cc -Wall -Werror -o "$tmp/ssl-pc" "$tmp/sslprog.c" $(pkg-config --cflags --libs hiredis_ssl)
# OpenSSL's global state is freed at exit, as with hiredis's TLS library: nothing in use at exit.
if command -v valgrind >/dev/null; then
    if LD_LIBRARY_PATH=$root/lib valgrind -q --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all \
        --error-exitcode=99 "$tmp/ssl-pc" > "$tmp/ssl-vg.log" 2>&1; then ok "TLS program leaves nothing in use at exit"
    else fail "TLS program leaves memory in use at exit"; tail -5 "$tmp/ssl-vg.log"; fi
fi
run ssl-static cc -Wall -Werror -o "$tmp/ssl-static" "$tmp/sslprog.c" $(pkg-config --cflags hiredis_ssl) \
    -L"$root/lib" -l:libhiredis_rs_ssl.a -l:libhiredis_rs.a \
    $(pkg-config --libs-only-l --static hiredis_ssl | sed 's/-lhiredis_rs_ssl//; s/-lhiredis_rs//')
if objdump -p "$tmp/ssl-static" 2>/dev/null | grep -q 'NEEDED *libhiredis'; then fail "static TLS program needs a shared hiredis"
else ok "static TLS program has no shared hiredis dependency"; fi

# CMake: find_package(hiredis_ssl) as hiredis 1.4.1's install provides it (and hiredis_rs_ssl),
# shared and static targets.
if command -v cmake >/dev/null; then
    for p in hiredis_ssl:hiredis hiredis_rs_ssl:hiredis_rs; do
        cmake_check "$tmp/sslprog.c" "${p%%:*}" 1.4 "${p##*:}::${p%%:*}"
    done
fi

# 2d. The cluster library (hiredis-cluster 0.14.0's API): files and compatibility names, then a
# program built with pkg-config (both include styles, shared and static) and with CMake
# find_package(hiredis_cluster) / find_package(hiredis_rs_cluster). No server needed.
for f in lib/libhiredis_rs_cluster.so.0.14 lib/libhiredis_rs_cluster.a lib/.debug/libhiredis_rs_cluster.so.0.14.debug \
         lib/pkgconfig/hiredis_cluster.pc lib/pkgconfig/hiredis_rs_cluster.pc \
         lib/cmake/hiredis_cluster/hiredis_cluster-config.cmake lib/cmake/hiredis_cluster/hiredis_cluster-config-version.cmake \
         lib/cmake/hiredis_rs_cluster/hiredis_rs_cluster-config.cmake \
         include/hiredis_cluster/hircluster.h include/hiredis_cluster/dict.h include/hiredis_cluster/adlist.h \
         include/hiredis_cluster/hiarray.h include/hiredis_cluster/hiutil.h include/hiredis_cluster/win32.h \
         include/hiredis_cluster/adapters/ae.h include/hiredis_cluster/adapters/glib.h \
         include/hiredis_cluster/adapters/libev.h include/hiredis_cluster/adapters/libevent.h \
         include/hiredis_cluster/adapters/libuv.h include/hiredis_cluster/adapters/poll.h; do
    [ -f "$root/$f" ] && [ ! -L "$root/$f" ] && ok "file $f" || fail "file $f missing"
done
for l in libhiredis_rs_cluster.so libhiredis_cluster.so libhiredis_cluster.so.0.14; do
    [ "$(readlink "$root/lib/$l" || true)" = libhiredis_rs_cluster.so.0.14 ] && ok "symlink $l" || fail "symlink lib/$l"
done
[ "$(readlink "$root/lib/libhiredis_cluster.a" || true)" = libhiredis_rs_cluster.a ] && ok "symlink libhiredis_cluster.a" \
    || fail "symlink lib/libhiredis_cluster.a"
soname=$(objdump -p "$root/lib/libhiredis_rs_cluster.so.0.14" | awk '$1 == "SONAME" {print $2}')
[ "$soname" = libhiredis_rs_cluster.so.0.14 ] && ok "cluster SONAME $soname" || fail "cluster SONAME is '$soname'"
[ "$(pkg-config --modversion hiredis_cluster)" = 0.14.0 ] && ok "hiredis_cluster.pc version" || fail "hiredis_cluster.pc version"
cat > "$tmp/clprog.c" <<'EOF'
#ifdef FLAT_INCLUDES
#include "hircluster.h"
#else
#include <hiredis_cluster/hircluster.h>
#endif
#include <stdio.h>
#include <string.h>

int main(void) {
    redisClusterContext *cc = redisClusterContextInit();
    int good = cc && HIREDIS_CLUSTER_MINOR == 14 && redisClusterGetSlotByKey((char *)"foo") == 12182 &&
               redisClusterSetOptionAddNodes(cc, "127.0.0.1:1,127.0.0.1:2") == REDIS_OK && dictSize(cc->nodes) == 2 &&
               redisClusterCommand(cc, "PING") == NULL && strncmp(cc->errstr, "No keys", 7) == 0;
    redisClusterFree(cc);
    printf("%s\n", good ? "linked ok" : "wrong result");
    return good ? 0 : 1;
}
EOF
clflags=$(pkg-config --cflags hiredis_cluster) cllibs=$(pkg-config --libs hiredis_cluster)
run cluster-pc cc -Wall -Werror -o "$tmp/cluster-pc" "$tmp/clprog.c" $clflags $cllibs
run cluster-pc-flat cc -Wall -Werror -DFLAT_INCLUDES -o "$tmp/cluster-pc-flat" "$tmp/clprog.c" $clflags $cllibs
run cluster-static cc -Wall -Werror -o "$tmp/cluster-static" "$tmp/clprog.c" $clflags \
    -L"$root/lib" -l:libhiredis_rs_cluster.a -l:libhiredis_rs.a $(pkg-config --libs-only-l --static hiredis | sed 's/-lhiredis_rs//')
run cluster-plain cc -Wall -Werror -o "$tmp/cluster-plain" "$tmp/clprog.c" -I"$root/include" -L"$root/lib" \
    -lhiredis_cluster -lhiredis
# 2e. The cluster TLS library: files, names (with the Makefile build's SONAME
# `libhiredis_cluster_ssl.so.`), SONAME, its one export, and a program calling
# redisClusterSetOptionEnableSSL built with pkg-config hiredis_cluster_ssl, plainly (-l), and
# with CMake find_package(hiredis_cluster_ssl) / find_package(hiredis_rs_cluster_ssl).
for f in lib/libhiredis_rs_cluster_ssl.so.0.14 lib/libhiredis_rs_cluster_ssl.a lib/.debug/libhiredis_rs_cluster_ssl.so.0.14.debug \
         lib/pkgconfig/hiredis_cluster_ssl.pc lib/pkgconfig/hiredis_rs_cluster_ssl.pc include/hiredis_cluster/hircluster_ssl.h \
         lib/cmake/hiredis_cluster_ssl/hiredis_cluster_ssl-config.cmake \
         lib/cmake/hiredis_rs_cluster_ssl/hiredis_rs_cluster_ssl-config.cmake; do
    [ -f "$root/$f" ] && [ ! -L "$root/$f" ] && ok "file $f" || fail "file $f missing"
done
for l in libhiredis_rs_cluster_ssl.so libhiredis_cluster_ssl.so libhiredis_cluster_ssl.so.0.14 libhiredis_cluster_ssl.so.; do
    [ "$(readlink "$root/lib/$l" || true)" = libhiredis_rs_cluster_ssl.so.0.14 ] && ok "symlink $l" || fail "symlink lib/$l"
done
[ "$(readlink "$root/lib/libhiredis_cluster_ssl.a" || true)" = libhiredis_rs_cluster_ssl.a ] && ok "symlink libhiredis_cluster_ssl.a" \
    || fail "symlink lib/libhiredis_cluster_ssl.a"
soname=$(objdump -p "$root/lib/libhiredis_rs_cluster_ssl.so.0.14" | awk '$1 == "SONAME" {print $2}')
[ "$soname" = libhiredis_rs_cluster_ssl.so.0.14 ] && ok "cluster TLS SONAME $soname" || fail "cluster TLS SONAME is '$soname'"
exports=$(nm -D --defined-only "$root/lib/libhiredis_rs_cluster_ssl.so.0.14" | awk '$2 ~ /^[TDBVWR]$/ {print $3}' | sort | tr '\n' ' ')
[ "$exports" = "redisClusterSetOptionEnableSSL " ] && ok "cluster TLS exports: $exports" || fail "cluster TLS exports: $exports"
cat > "$tmp/clsslprog.c" <<'EOF'
#include <hiredis_cluster/hircluster_ssl.h>
#include <stdio.h>

int main(void) {
    redisClusterContext *cc = redisClusterContextInit();
    redisSSLContext *fake = (redisSSLContext *)&cc; /* never used: no connection is made */
    int good = cc && redisClusterSetOptionEnableSSL(cc, NULL) == REDIS_ERR &&
               redisClusterSetOptionEnableSSL(cc, fake) == REDIS_OK && cc->ssl == (void *)fake && cc->ssl_init_fn != NULL;
    redisClusterFree(cc);
    printf("%s\n", good ? "linked ok" : "wrong result");
    return good ? 0 : 1;
}
EOF
run cluster-ssl-pc cc -Wall -Werror -o "$tmp/cluster-ssl-pc" "$tmp/clsslprog.c" $(pkg-config --cflags --libs hiredis_cluster_ssl)
run cluster-ssl-plain cc -Wall -Werror -o "$tmp/cluster-ssl-plain" "$tmp/clsslprog.c" -I"$root/include" -L"$root/lib" \
    -lhiredis_cluster_ssl -lhiredis_cluster -lhiredis_ssl -lhiredis
if command -v cmake >/dev/null; then
    for pkg in hiredis_cluster_ssl hiredis_rs_cluster_ssl; do
        cmake_check "$tmp/clsslprog.c" $pkg 0.14 hiredis_cluster::$pkg
    done
fi

if command -v cmake >/dev/null; then
    for pkg in hiredis_cluster hiredis_rs_cluster; do
        cmake_check "$tmp/clprog.c" $pkg 0.14 hiredis_cluster::$pkg flat
    done
fi

# 3. Uninstall leaves nothing behind (empty parent directories such as lib/ may stay).
make --no-print-directory uninstall PREFIX=$prefix DESTDIR="$dest" > "$tmp/uninstall.log" 2>&1 || fail "make uninstall"
left=$(find "$dest" ! -type d)
[ -z "$left" ] && ok "uninstall removed every file" || fail "uninstall left: $left"
left=$(find "$dest" -mindepth 1 -type d \( -name hiredis -o -name hiredis_rs -o -name hiredis_ssl -o -name hiredis_rs_ssl -o -name hiredis_cluster -o -name hiredis_rs_cluster -o -name hiredis_cluster_ssl -o -name hiredis_rs_cluster_ssl -o -name cmake -o -name pkgconfig -o -name .debug \))
[ -z "$left" ] && ok "uninstall removed the package directories" || fail "uninstall left dirs: $left"

echo "install test: $fails failed"
[ $fails -eq 0 ]
