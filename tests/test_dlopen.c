/* The library loads with dlopen after other libraries have used up glibc's static TLS
 * reserve (as in a Python process or a plugin host: hiredis loads there, and a library
 * marked STATIC_TLS fails with "cannot allocate memory in static TLS block"), and survives
 * DLOPEN_CYCLES_N (default 1,000; about 2 s under valgrind) dlopen / use in a thread /
 * dlclose cycles, each thread leaving a reply cache that its exit frees (valgrind's leak
 * check sees one left behind). Needs no server; the helper libraries
 * build/tests/libstatictls-*.so (tests/static_tls_fill.c) are built by make test-c-build. */
#define _GNU_SOURCE
#include <hiredis/hiredis.h>

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"

typedef struct {
    redisReader *(*create)(void);
    int (*feed)(redisReader *, const char *, size_t);
    int (*get)(redisReader *, void **);
    void (*free_reply)(void *);
    void (*free_reader)(redisReader *);
} api;

static int bind_api(void *h, api *a) {
    *(void **)&a->create = dlsym(h, "redisReaderCreate");
    *(void **)&a->feed = dlsym(h, "redisReaderFeed");
    *(void **)&a->get = dlsym(h, "redisReaderGetReply");
    *(void **)&a->free_reply = dlsym(h, "freeReplyObject");
    *(void **)&a->free_reader = dlsym(h, "redisReaderFree");
    return a->create && a->feed && a->get && a->free_reply && a->free_reader;
}

/* Reads a status, an integer, a short bulk and an array through `a` (scalars and an
 * aggregate, so both kinds of cached block are used); returns how many came out right. */
static void *use(void *arg) {
    const api *a = arg;
    static const char wire[] = "+OK\r\n:42\r\n$3\r\nabc\r\n*2\r\n$1\r\nx\r\n:7\r\n";
    long good = 0;
    for (int round = 0; round < 3; round++) {
        redisReader *r = a->create();
        if (!r) break;
        a->feed(r, wire, sizeof wire - 1);
        for (int k = 0; k < 4; k++) {
            redisReply *reply = NULL;
            if (a->get(r, (void **)&reply) != REDIS_OK || !reply) break;
            switch (k) {
            case 0: good += reply->type == REDIS_REPLY_STATUS && !strcmp(reply->str, "OK"); break;
            case 1: good += reply->type == REDIS_REPLY_INTEGER && reply->integer == 42; break;
            case 2: good += reply->type == REDIS_REPLY_STRING && reply->len == 3 && !strcmp(reply->str, "abc"); break;
            case 3:
                good += reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
                        reply->element[0]->len == 1 && reply->element[1]->integer == 7;
                break;
            }
            a->free_reply(reply);
        }
        a->free_reader(r);
    }
    return (void *)good;
}

/* Runs `use` on a new thread; the number of right replies (12 when all are). */
static long use_in_thread(api *a) {
    pthread_t t;
    void *good = NULL;
    if (pthread_create(&t, NULL, use, a) != 0) return -1;
    pthread_join(t, &good);
    return (long)good;
}

static int copy_file(const char *from, const char *to) {
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    int rc = -1;
    if (in && out) {
        char buf[65536];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, in)) > 0)
            if (fwrite(buf, 1, n, out) != n) break;
        rc = ferror(in) || ferror(out) ? -1 : 0;
    }
    if (in) fclose(in);
    if (out && fclose(out) != 0) rc = -1;
    return rc;
}

/* Helper libraries loaded, and copies of them made (a library loads once per file). */
enum { NSIZES = 10, MAX_COPIES = 64 };
static void *fillers[NSIZES * MAX_COPIES];
static int nfillers;
static char copies[NSIZES * MAX_COPIES][128];
static int ncopies;

/* Loads the helper libraries, biggest first, each size again (from a copy) while it still
 * fits: afterwards less than the smallest helper's 8 bytes of the reserve are left. Returns
 * the bytes taken. */
static long fill_static_tls(const char *dir, const char *tmp) {
    static const int sizes[NSIZES] = {4096, 2048, 1024, 512, 256, 128, 64, 32, 16, 8};
    long taken = 0;
    for (int k = 0; k < NSIZES; k++) {
        char helper[PATH_MAX];
        snprintf(helper, sizeof helper, "%s/libstatictls-%d.so", dir, sizes[k]);
        for (int c = 0; c < MAX_COPIES; c++) {
            const char *path = helper;
            if (c > 0) {
                path = copies[ncopies];
                snprintf(copies[ncopies], sizeof copies[ncopies], "%s/fill-%d-%d.so", tmp, sizes[k], c);
                if (copy_file(helper, path) != 0) break;
                ncopies++;
            }
            void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
            if (!h) {
                const char *err = dlerror();
                if (!strstr(err, "static TLS")) printf("   %s\n", err);
                break;
            }
            fillers[nfillers++] = h;
            taken += sizes[k];
        }
    }
    return taken;
}

int main(void) {
    /* The helpers are next to this program. */
    char dir[2048];
    ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
    CHECK(n > 0, "found this program");
    if (n <= 0) return tl_done();
    dir[n] = '\0';
    *strrchr(dir, '/') = '\0';

    /* The library this program links, copied under another name: a separate instance,
     * loaded only by the dlopen below. */
    Dl_info info;
    CHECK(dladdr((void *)redisReaderCreate, &info) && info.dli_fname, "found the linked library");
    char tmp[] = "/tmp/hiredis-rs-dlopen.XXXXXX", copy[PATH_MAX], probe[PATH_MAX];
    CHECK(mkdtemp(tmp) != NULL, "temp dir");
    snprintf(copy, sizeof copy, "%s/libcopy.so", tmp);
    CHECK(copy_file(info.dli_fname, copy) == 0, "copied %s", info.dli_fname);

    SECTION("dlopen after other libraries took the static TLS reserve");
    long taken = fill_static_tls(dir, tmp);
    printf("   the helper libraries took %ld bytes of static TLS\n", taken);
    CHECK(taken > 0, "the helper libraries took some static TLS");
    /* A library with even 64 bytes of initial-exec TLS no longer loads (ours, when its reply
     * cache slot was an initial-exec word, needed its whole 112-byte TLS block there). */
    snprintf(probe, sizeof probe, "%s/libstatictls-probe64.so", dir);
    void *p = dlopen(probe, RTLD_NOW | RTLD_LOCAL);
    const char *err = p ? "loaded" : dlerror();
    CHECK(!p && strstr(err, "static TLS"), "the reserve is used up: a 64-byte static TLS library fails (%s)",
          err);
    if (p) dlclose(p);

    void *h = dlopen(copy, RTLD_NOW | RTLD_LOCAL);
    CHECK(h != NULL, "dlopen the library: %s", h ? "ok" : dlerror());
    api a;
    if (h) {
        CHECK(bind_api(h, &a), "symbols");
        CHECK(a.create != redisReaderCreate, "a second instance");
        long good = use_in_thread(&a);
        CHECK(good == 12, "%ld of 12 replies right from the dlopen'd library in a thread", good);
        CHECK(dlclose(h) == 0, "dlclose");
    }

    long cycles = atol(tl_env("DLOPEN_CYCLES_N", "1000"));
    SECTION("dlopen, use in a thread, dlclose, repeated");
    long opened = 0, used = 0, closed = 0;
    for (long k = 0; k < cycles; k++) {
        void *c = dlopen(copy, RTLD_NOW | RTLD_LOCAL);
        if (!c) {
            printf("   cycle %ld: %s\n", k, dlerror());
            break;
        }
        opened++;
        api ca;
        used += bind_api(c, &ca) && use_in_thread(&ca) == 12;
        closed += dlclose(c) == 0;
    }
    CHECK(opened == cycles && used == cycles && closed == cycles,
          "%ld cycles: %ld opened, %ld read all replies, %ld closed", cycles, opened, used, closed);

    for (int k = 0; k < nfillers; k++) dlclose(fillers[k]);
    for (int k = 0; k < ncopies; k++) unlink(copies[k]);
    unlink(copy);
    rmdir(tmp);
    return tl_done();
}
