/* Allocations per command in the steady state, counted two ways:
 *
 * - through counting hiredisAllocFns, attributed by caller (dladdr of the return address): the
 *   cluster library's own against the core's (the formatter's command buffer, the reader's
 *   replies);
 * - every other heap allocation: this program defines malloc, calloc, realloc, free and the
 *   aligned allocators, forwarding to glibc's __libc_* functions (the counting hooks call
 *   those directly, so they are not seen twice), and counts the calls made while a measured
 *   loop runs, attributed the same way. Rust's allocator in the cluster library ends in these
 *   (a Vec of a large command would show here, not in the table). Under valgrind, whose
 *   allocator replaces this program's, that part is skipped (said in the output).
 *
 * Async (libevent): SETs with 600-byte values (records larger than the pooled size), MGETs of 40
 * keys and MSETs of 40 pairs under one hash tag; after warm-up the cluster library allocates
 * nothing for them. A larger command allocates its record once and the next of its size none;
 * one of 2 MiB (over the kept bytes' bound) allocates each time.
 * Sync: MGETs of 40 keys and MSETs of 40 pairs split over the masters, run one by one and
 * pipelined, and MGETs split in two whose sub-commands are over 512 bytes: only the merged reply
 * (two blocks) per command, and the request list once per pipeline. Nothing in the cluster
 * library outside the table, in each case.
 * Out of memory: with the cluster library's table allocations failing, a 40-key MGET on a
 * context whose scratch area is still empty (async, sync, appended) is refused with the OOM
 * error "Out of memory", and the context works on once memory is back. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <hiredis_cluster/adapters/libevent.h>
#include "cluster_test.h"

#include <event2/event.h>

enum { LIB_CLUSTER, LIB_CORE, LIB_OTHER };

/* The library `caller` is in, by its file name: libhiredis_rs_cluster.so.0.14 or
 * libhiredis_cluster.so.0.14 (the cluster library), another libhiredis* (the core), else
 * other (this program, libc, libevent). */
static int lib_of(void *caller) {
    Dl_info info;
    if (!dladdr(caller, &info) || !info.dli_fname) return LIB_OTHER;
    const char *slash = strrchr(info.dli_fname, '/');
    const char *name = slash ? slash + 1 : info.dli_fname;
    if (strncmp(name, "libhiredis", 10) != 0) return LIB_OTHER;
    return strstr(name, "cluster.so") ? LIB_CLUSTER : LIB_CORE;
}

/* ---- heap allocations outside the table ---- */

void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t m);
void *__libc_realloc(void *p, size_t n);
void *__libc_memalign(size_t align, size_t n);
void __libc_free(void *p);

static int heap_counting, heap_inside;
static unsigned long heap_calls[3];

static void heap_count(void *caller) {
    if (!heap_counting || heap_inside) return;
    heap_inside = 1;
    heap_calls[lib_of(caller)]++;
    heap_inside = 0;
}

void *malloc(size_t n) {
    heap_count(__builtin_return_address(0));
    return __libc_malloc(n);
}
void *calloc(size_t n, size_t m) {
    heap_count(__builtin_return_address(0));
    return __libc_calloc(n, m);
}
void *realloc(void *p, size_t n) {
    heap_count(__builtin_return_address(0));
    return __libc_realloc(p, n);
}
void free(void *p) { __libc_free(p); }
void *memalign(size_t align, size_t n) {
    heap_count(__builtin_return_address(0));
    return __libc_memalign(align, n);
}
void *aligned_alloc(size_t align, size_t n) {
    heap_count(__builtin_return_address(0));
    return __libc_memalign(align, n);
}
int posix_memalign(void **out, size_t align, size_t n) {
    heap_count(__builtin_return_address(0));
    if (align % sizeof(void *) || (align & (align - 1))) return EINVAL;
    void *p = __libc_memalign(align, n);
    if (!p) return ENOMEM;
    *out = p;
    return 0;
}

/* Whether this program's malloc is the one in use (not under valgrind, whose allocator
 * replaces it): a call through a volatile pointer, so the compiler cannot drop it. */
static int heap_interposed(void) {
    void *(*volatile m)(size_t) = malloc;
    heap_counting = 1;
    unsigned long before = heap_calls[LIB_OTHER];
    free(m(24));
    heap_counting = 0;
    return heap_calls[LIB_OTHER] == before + 1;
}

static int heap_on; /* the interposition works: its counts are checked */

static void heap_begin(void) {
    memset(heap_calls, 0, sizeof heap_calls);
    heap_counting = 1;
}

/* Ends a measured loop: prints its non-table allocations per command and checks the cluster
 * library made none. */
static void heap_end(const char *what, double commands) {
    heap_counting = 0;
    if (!heap_on) return;
    printf("%s: outside the table: cluster %.3f, core %.3f, other %.3f calls per command\n", what,
           heap_calls[LIB_CLUSTER] / commands, heap_calls[LIB_CORE] / commands,
           heap_calls[LIB_OTHER] / commands);
    CHECK(heap_calls[LIB_CLUSTER] == 0, "%s: the cluster library called malloc & co. %lu times\n",
          what, heap_calls[LIB_CLUSTER]);
}

/* ---- allocations through hiredisAllocFns ---- */

static unsigned long n_cluster, n_core, n_other;
static int fail_cluster; /* the cluster library's allocations fail (out of memory) */

/* Counts an allocation; false when it is to fail. */
static int count(void *caller) {
    switch (lib_of(caller)) {
    case LIB_CLUSTER: n_cluster++; return !fail_cluster;
    case LIB_CORE: n_core++; return 1;
    default: n_other++; return 1;
    }
}
static void *c_malloc(size_t n) { return count(__builtin_return_address(0)) ? __libc_malloc(n) : NULL; }
static void *c_calloc(size_t n, size_t m) {
    return count(__builtin_return_address(0)) ? __libc_calloc(n, m) : NULL;
}
static void *c_realloc(void *p, size_t n) {
    return count(__builtin_return_address(0)) ? __libc_realloc(p, n) : NULL;
}
static char *c_strdup(const char *s) {
    if (!count(__builtin_return_address(0))) return NULL;
    size_t n = strlen(s) + 1;
    char *d = __libc_malloc(n);
    return d ? memcpy(d, s, n) : NULL;
}
static void c_free(void *p) { __libc_free(p); }

/* ---- commands ---- */

/* A command's arguments: argv/lens of up to 81 (MSET of 40 pairs). */
typedef struct {
    int argc;
    const char *argv[81];
    size_t lens[81];
    char buf[81][64];
} cmd_t;

/* MGET of `nkeys` keys "<prefix><i>" (pad: that many 'p' after the prefix, for long keys). */
static void make_mget(cmd_t *c, const char *prefix, int nkeys, int pad) {
    c->argc = 1 + nkeys;
    c->argv[0] = "MGET";
    c->lens[0] = 4;
    for (int k = 0; k < nkeys; k++) {
        c->lens[k + 1] = (size_t)snprintf(c->buf[k + 1], sizeof c->buf[k + 1], "%s%.*s%d", prefix, pad,
                                          "pppppppppppppppppppppppppppppppppppppppp", k);
        c->argv[k + 1] = c->buf[k + 1];
    }
}

/* MSET of `npairs` pairs "<prefix><i>" = "v<i>". */
static void make_mset(cmd_t *c, const char *prefix, int npairs) {
    c->argc = 1 + 2 * npairs;
    c->argv[0] = "MSET";
    c->lens[0] = 4;
    for (int k = 0; k < npairs; k++) {
        int a = 1 + 2 * k;
        c->lens[a] = (size_t)snprintf(c->buf[a], sizeof c->buf[a], "%s%d", prefix, k);
        c->lens[a + 1] = (size_t)snprintf(c->buf[a + 1], sizeof c->buf[a + 1], "v%d", k);
        c->argv[a] = c->buf[a];
        c->argv[a + 1] = c->buf[a + 1];
    }
}

/* Whether `r` answers `c`: MSET's OK, or MGET's values "v<i>" in key order. */
static int answers(const cmd_t *c, redisReply *r) {
    if (strcmp(c->argv[0], "MSET") == 0) return cl_is_status(r, "OK");
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != (size_t)(c->argc - 1)) return 0;
    for (size_t i = 0; i < r->elements; i++) {
        char v[32];
        snprintf(v, sizeof v, "v%zu", i);
        if (!cl_is_str(r->element[i], v)) return 0;
    }
    return 1;
}

/* Writes the values the MGETs of `c`'s keys expect ("v<i>"), one SET each. */
static int fill_values(redisClusterContext *cc, const cmd_t *c) {
    int ok = 1;
    for (int k = 1; k < c->argc; k++) {
        redisReply *r = redisClusterCommand(cc, "SET %b v%d", c->argv[k], c->lens[k], k - 1);
        ok &= cl_is_status(r, "OK");
        if (r) freeReplyObject(r);
    }
    return ok;
}

/* ---- async ---- */

static struct event_base *base;
static int pending, ready, bad;
static char value[600];

static void on_event(const redisClusterContext *cc, int event, void *privdata) {
    (void)cc; (void)privdata;
    if (event == HIRCLUSTER_EVENT_READY) { ready = 1; event_base_loopbreak(base); }
}
static void on_set(redisClusterAsyncContext *acc, void *r, void *privdata) {
    (void)acc; (void)privdata;
    if (!cl_is_status(r, "OK")) bad++;
    if (--pending == 0) event_base_loopbreak(base);
}
static void on_cmd(redisClusterAsyncContext *acc, void *r, void *privdata) {
    (void)acc;
    if (!answers(privdata, r)) bad++;
    if (--pending == 0) event_base_loopbreak(base);
}

static int drain(void) {
    while (pending > 0 && event_base_loop(base, EVLOOP_ONCE) == 0) {}
    return pending == 0;
}

/* 1000 SETs in flight, run until all have replied. */
static int set_round(redisClusterAsyncContext *acc, int round) {
    for (int i = 0; i < 1000; i++) {
        if (redisClusterAsyncCommand(acc, on_set, NULL, "SET allocs:%d:%d %b", round, i, value,
                                     sizeof value) != REDIS_OK)
            return 0;
        pending++;
    }
    return drain();
}

/* `n` of command `c` in flight, run until all have replied. */
static int async_round(redisClusterAsyncContext *acc, cmd_t *c, int n) {
    for (int i = 0; i < n; i++) {
        if (redisClusterAsyncCommandArgv(acc, on_cmd, c, c->argc, c->argv, c->lens) != REDIS_OK) {
            printf("async %s: %s\n", c->argv[0], acc->errstr);
            return 0;
        }
        pending++;
    }
    return drain();
}

/* Two warm-up rounds of 200, then three measured: allocations per command. */
static void async_case(redisClusterAsyncContext *acc, cmd_t *c, const char *what) {
    CHECK(async_round(acc, c, 200) && async_round(acc, c, 200), "%s: warm-up rounds\n", what);
    n_cluster = n_core = 0;
    heap_begin();
    int ok = 1;
    for (int round = 0; round < 3; round++) ok &= async_round(acc, c, 200);
    heap_end(what, 600);
    CHECK(ok && bad == 0, "%s: 600 commands, %d bad replies\n", what, bad);
    printf("%s: cluster %.3f, core %.3f allocations per command\n", what, n_cluster / 600.0,
           n_core / 600.0);
    CHECK(n_cluster == 0, "%s: cluster library allocated %lu times for 600 commands\n", what, n_cluster);
}

/* ---- sync ---- */

/* 100 of command `c` one by one; every reply checked. */
static int sync_round(redisClusterContext *cc, cmd_t *c) {
    int ok = 1;
    for (int i = 0; i < 100; i++) {
        redisReply *r = redisClusterCommandArgv(cc, c->argc, c->argv, c->lens);
        if (!answers(c, r)) {
            if (ok) printf("sync %s: %s\n", c->argv[0], cc->errstr);
            ok = 0;
        }
        if (r) freeReplyObject(r);
    }
    return ok;
}

/* 100 of command `c` pipelined; every reply checked. */
static int pipe_round(redisClusterContext *cc, cmd_t *c) {
    for (int i = 0; i < 100; i++)
        if (redisClusterAppendCommandArgv(cc, c->argc, c->argv, c->lens) != REDIS_OK) return 0;
    int ok = 1;
    for (int i = 0; i < 100; i++) {
        redisReply *r = NULL;
        if (redisClusterGetReply(cc, (void **)&r) != REDIS_OK || !r) { ok = 0; continue; }
        ok &= answers(c, r);
        freeReplyObject(r);
    }
    redisClusterReset(cc);
    return ok;
}

/* Two warm-up rounds, then three measured; `per` table allocations per command expected from
 * the cluster library (the merged reply), plus `per_round` per round (the pipeline's list). */
static void sync_case(redisClusterContext *cc, cmd_t *c, int piped, const char *what,
                      unsigned long per, unsigned long per_round) {
    int (*round)(redisClusterContext *, cmd_t *) = piped ? pipe_round : sync_round;
    CHECK(round(cc, c) && round(cc, c), "%s: warm-up rounds\n", what);
    n_cluster = n_core = 0;
    heap_begin();
    int ok = 1;
    for (int r = 0; r < 3; r++) ok &= round(cc, c);
    heap_end(what, 300);
    CHECK(ok, "%s: 300 commands answered\n", what);
    printf("%s: cluster %.3f, core %.3f allocations per command\n", what, n_cluster / 300.0,
           n_core / 300.0);
    CHECK(n_cluster == per * 300 + per_round * 3, "%s: cluster library allocated %lu times for 300 commands\n",
          what, n_cluster);
}

int main(void) {
    const char *seed = tl_env("CLUSTER_SEED", "127.0.0.1:7000");
    hiredisAllocFuncs fns = {c_malloc, c_calloc, c_realloc, c_strdup, c_free};
    hiredisSetAllocators(&fns);
    memset(value, 'x', sizeof value);

    heap_on = heap_interposed();
    if (!heap_on) {
        CHECK(tl_under_valgrind(), "this program's malloc is not the one in use\n");
        printf("under valgrind (its allocator replaces this program's malloc): the allocations "
               "outside hiredisAllocFns are not counted\n");
    }

    static cmd_t mget_tag, mset_tag, mget40, mset40, mget_long;
    make_mget(&mget_tag, "{allocs}:a:", 40, 0);
    make_mset(&mset_tag, "{allocs}:a:", 40);
    make_mget(&mget40, "allocs:m:", 40, 0);
    make_mset(&mset40, "allocs:m:", 40);
    /* Two hash tags, 20 keys each of over 40 bytes: each sub-command over 512 bytes. */
    make_mget(&mget_long, "{allocs-l}:", 40, 40);
    for (int k = 20; k < 40; k++)
        mget_long.lens[k + 1] = (size_t)snprintf(mget_long.buf[k + 1], sizeof mget_long.buf[k + 1],
                                                 "{allocs-r}:%.40s%d",
                                                 "pppppppppppppppppppppppppppppppppppppppp", k);

    SECTION("async SETs of 600-byte values");
    base = event_base_new();
    redisClusterAsyncContext *acc = redisClusterAsyncContextInit();
    redisClusterSetOptionAddNodes(acc->cc, seed);
    redisClusterSetEventCallback(acc->cc, on_event, NULL);
    redisClusterLibeventAttach(acc, base);
    CHECK(redisClusterAsyncConnect2(acc) == REDIS_OK, "connect2: %s\n", acc->errstr);
    while (!ready && event_base_loop(base, EVLOOP_ONCE) == 0) {}
    CHECK(ready, "ready\n");
    CHECK(set_round(acc, 0) && set_round(acc, 1), "warm-up rounds\n");
    n_cluster = n_core = 0;
    heap_begin();
    int ok = 1;
    for (int round = 2; round < 5; round++) ok &= set_round(acc, round);
    heap_end("async SET 600 B", 3000);
    CHECK(ok && bad == 0, "3000 SETs, %d bad replies\n", bad);
    printf("async SET 600 B: cluster %.3f, core %.3f allocations per command\n",
           n_cluster / 3000.0, n_core / 3000.0);
    CHECK(n_cluster == 0, "cluster library allocated %lu times for 3000 SETs\n", n_cluster);
    CHECK(n_core > 0, "the counting table is in use\n");

    /* A command larger than every kept record: one new block, which then takes its place, so
     * the next such command allocates nothing. One over the kept bytes' bound (1 MiB) is
     * freed when done: every such command allocates its record. */
    static char mid[1000];
    memset(mid, 'm', sizeof mid);
    size_t huge_len = 2u << 20;
    char *huge = malloc(huge_len);
    memset(huge, 'h', huge_len);
    unsigned long per[4];
    for (int i = 0; i < 4; i++) {
        n_cluster = 0;
        const char *v = i < 2 ? mid : huge;
        size_t len = i < 2 ? sizeof mid : huge_len;
        int rc = redisClusterAsyncCommand(acc, on_set, NULL, "SET allocs:big:%d %b", i, v, len);
        CHECK(rc == REDIS_OK, "SET of %zu bytes\n", len);
        if (rc == REDIS_OK) pending++;
        drain();
        per[i] = n_cluster;
    }
    CHECK(per[0] == 1 && per[1] == 0, "1000-byte SETs after 600-byte ones: %lu then %lu\n",
          per[0], per[1]);
    CHECK(per[2] == 1 && per[3] == 1, "2 MiB SETs: %lu then %lu\n", per[2], per[3]);
    CHECK(bad == 0, "%d bad replies\n", bad);
    free(huge);

    /* The context's scratch area is still empty (no large command yet): with the cluster
     * library's allocations failing, a 40-key MGET is refused with the OOM error. */
    SECTION("async: out of memory for a large command's arguments");
    fail_cluster = 1;
    int rc = redisClusterAsyncCommandArgv(acc, on_cmd, &mget_tag, mget_tag.argc, mget_tag.argv,
                                          mget_tag.lens);
    fail_cluster = 0;
    CHECK(rc == REDIS_ERR && acc->err == REDIS_ERR_OOM && strcmp(acc->errstr, "Out of memory") == 0,
          "async MGET without memory: rc %d, err %d '%s'\n", rc, acc->err, acc->errstr);

    SECTION("async MGETs of 40 keys and MSETs of 40 pairs under one hash tag");
    /* The MSETs write the values the MGETs read. */
    async_case(acc, &mset_tag, "async MSET 40 pairs");
    async_case(acc, &mget_tag, "async MGET 40 keys");
    redisClusterAsyncFree(acc);
    event_base_free(base);

    SECTION("sync MGETs of 40 keys and MSETs of 40 pairs over the masters");
    redisClusterContext *cc = cl_connect(seed, 0);
    CHECK(cc && cc->err == 0, "connect\n");

    /* As above, on a fresh context, run and appended (after a small command that makes the
     * pipeline's list). */
    fail_cluster = 1;
    redisReply *r = redisClusterCommandArgv(cc, mget40.argc, mget40.argv, mget40.lens);
    fail_cluster = 0;
    CHECK(!r && cc->err == REDIS_ERR_OOM && strcmp(cc->errstr, "Out of memory") == 0,
          "sync MGET without memory: err %d '%s'\n", cc->err, cc->errstr);
    if (r) freeReplyObject(r);
    CHECK(redisClusterAppendCommand(cc, "GET allocs:m:0") == REDIS_OK, "append GET\n");
    fail_cluster = 1;
    int appended = redisClusterAppendCommandArgv(cc, mget40.argc, mget40.argv, mget40.lens);
    CHECK(appended == REDIS_ERR && cc->err == REDIS_ERR_OOM && strcmp(cc->errstr, "Out of memory") == 0,
          "append MGET without memory: err %d '%s'\n", cc->err, cc->errstr);
    fail_cluster = 0;
    CHECK(redisClusterGetReply(cc, (void **)&r) == REDIS_OK && r && r->type != REDIS_REPLY_ERROR,
          "the GET's reply, then nothing else queued\n");
    if (r) freeReplyObject(r);
    r = NULL;
    CHECK(redisClusterGetReply(cc, (void **)&r) == REDIS_OK && !r, "queue empty\n");
    redisClusterReset(cc);
    CHECK(fill_values(cc, &mget40) && fill_values(cc, &mget_long), "values written\n");
    /* The merged reply: the array reply and its element array (MGET), the status reply and
     * its "OK" (MSET); in a pipeline also the request list once per round (redisClusterReset
     * releases it; the first append makes it again). */
    sync_case(cc, &mget40, 0, "sync MGET 40 keys", 2, 0);
    sync_case(cc, &mset40, 0, "sync MSET 40 pairs", 2, 0);
    sync_case(cc, &mget40, 1, "pipelined MGET 40 keys", 2, 1);
    sync_case(cc, &mset40, 1, "pipelined MSET 40 pairs", 2, 1);

    SECTION("MGETs split in two sub-commands over 512 bytes");
    sync_case(cc, &mget_long, 0, "sync MGET long sub-commands", 2, 0);
    sync_case(cc, &mget_long, 1, "pipelined MGET long sub-commands", 2, 1);
    redisClusterFree(cc);
    return tl_done();
}
