/* The allocator hooks: everything the library hands out comes from hiredisAllocFns and goes
 * back through it, failing allocators give NULL/-1 (never a crash or a leak), hi_calloc's
 * overflow guard, hiredisResetAllocators, and (this program is linked without PIE, so
 * hiredisAllocFns is copy-relocated into it) the header's inline hi_* see the same table the
 * library writes. */
#include <hiredis/hiredis.h>

#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

#define SDS_IS_KEEP(s) (sdslen(s) == 4 && memcmp((s), "keep", 5) == 0)

/* The reader belongs to another part of the library: run its workload only when present.
 * Declared here too (as in hiredis) for builds whose headers do not have it yet. */
redisReader *redisReaderCreate(void);
int redisReaderFeed(redisReader *r, const char *buf, size_t len);
int redisReaderGetReply(redisReader *r, void **reply);
void redisReaderFree(redisReader *r);
void freeReplyObject(void *reply);
#pragma weak redisReaderCreate
#pragma weak redisReaderFeed
#pragma weak redisReaderGetReply
#pragma weak redisReaderFree
#pragma weak freeReplyObject

/* ---- counting allocators that also track every live block ---- */

#define SLOTS 65536
static void *live[SLOTS];
static long outstanding, total_allocs, foreign_frees;
static long fail_after = -1; /* allocations left before failing; -1 = never fail */

static size_t slot_of(void *p) { return ((uintptr_t)p >> 4) % SLOTS; }

static void track(void *p) {
    size_t i = slot_of(p);
    while (live[i] != NULL) i = (i + 1) % SLOTS;
    live[i] = p;
    outstanding++;
    total_allocs++;
}

/* Forgets `p`; returns 0 if it was not ours. */
static int untrack(void *p) {
    size_t i = slot_of(p), n;
    for (n = 0; n < SLOTS; n++, i = (i + 1) % SLOTS) {
        if (live[i] == p) {
            size_t j = i;
            live[i] = NULL;
            outstanding--;
            /* Re-insert the rest of the cluster (linear probing deletion). */
            for (j = (i + 1) % SLOTS; live[j] != NULL; j = (j + 1) % SLOTS) {
                void *q = live[j];
                live[j] = NULL;
                outstanding--;
                total_allocs--;
                track(q);
            }
            return 1;
        }
        if (live[i] == NULL) break;
    }
    return 0;
}

static int should_fail(void) {
    if (fail_after < 0) return 0;
    if (fail_after == 0) return 1;
    fail_after--;
    return 0;
}

static void *c_malloc(size_t n) {
    void *p;
    if (should_fail()) return NULL;
    p = malloc(n);
    if (p) track(p);
    return p;
}

static long calloc_calls;
static void *c_calloc(size_t a, size_t b) {
    void *p;
    calloc_calls++;
    if (should_fail()) return NULL;
    p = calloc(a, b);
    if (p) track(p);
    return p;
}

static void *c_realloc(void *old, size_t n) {
    void *p;
    if (should_fail()) return NULL;
    if (old != NULL && !untrack(old)) foreign_frees++;
    p = realloc(old, n);
    if (p) track(p);
    else if (old) track(old); /* the old block is still live */
    return p;
}

static char *c_strdup(const char *s) {
    char *p;
    if (should_fail()) return NULL;
    p = strdup(s);
    if (p) track(p);
    return p;
}

static void c_free(void *p) {
    if (p == NULL) return;
    if (!untrack(p)) foreign_frees++;
    free(p);
}

static hiredisAllocFuncs counting = {
    .mallocFn = c_malloc, .callocFn = c_calloc, .reallocFn = c_realloc,
    .strdupFn = c_strdup, .freeFn = c_free,
};

/* ---- a workload over the formatter and sds; returns 0 when something failed (NULL/-1) ---- */

static int workload(void) {
    int ok = 1, n = 0, len;
    long long ll;
    char *cmd = NULL;
    sds s, t, *v;
    const char *argv[3] = {"SET", "key", "value"};
    size_t lens[3] = {3, 3, 5};

    len = redisFormatCommand(&cmd, "SET key:%d %s %b %.2f x%%y", 42, "val", "bin\0ary", (size_t)7, 1.5);
    if (len < 0) ok = 0; else redisFreeCommand(cmd);
    ll = redisFormatCommandArgv(&cmd, 3, argv, lens);
    if (ll < 0) ok = 0; else redisFreeCommand(cmd);
    ll = redisFormatSdsCommandArgv(&s, 3, argv, NULL);
    if (ll < 0) ok = 0; else redisFreeSdsCommand(s);
    /* A command with many arguments (the formatter spills to the heap). */
    len = redisFormatCommand(&cmd, "%s %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s "
                                   "a:%d b:%d c:%d d:%d e:%d f:%d g:%d h:%d i:%d j:%d k:%d l:%d",
                             "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13",
                             "14", "15", "16", "17", "18", "19", "20", 1, 2, 3, 4, 5, 6, 7, 8, 9,
                             10, 11, 12);
    if (len < 0) ok = 0; else hi_free(cmd);

    s = sdsnew("hello");
    if (s == NULL) return 0;
    t = sdscatprintf(s, " %s %d", "world", 7);
    if (t == NULL) ok = 0; else s = t;
    t = sdscatfmt(s, " %s %i %U", "fmt", -3, 99ULL);
    if (t == NULL) ok = 0; else s = t;
    t = sdscatrepr(s, "\x01\"q\n", 4);
    if (t == NULL) ok = 0; else s = t;
    t = sdsgrowzero(s, 300);
    if (t == NULL) ok = 0; else s = t;
    t = sdsRemoveFreeSpace(s);
    if (t == NULL) ok = 0; else s = t;
    v = sdssplitlen(s, (int)sdslen(s), " ", 1, &n);
    if (v == NULL) ok = 0;
    else {
        t = sdsjoinsds(v, n, "|", 1);
        if (t == NULL) ok = 0; else sdsfree(t);
        sdsfreesplitres(v, n);
    }
    sdsfree(s);
    v = sdssplitargs("set \"a b\" 'c' d e f g h i j", &n);
    if (v == NULL) ok = 0; else sdsfreesplitres(v, n);
    s = sdsfromlonglong(-123456789);
    if (s == NULL) ok = 0;
    else {
        t = sdsdup(s);
        if (t == NULL) ok = 0; else sdsfree(t);
        sdsfree(s);
    }
    {
        char *jv[2];
        char sep[] = ",";
        jv[0] = (char *)"a";
        jv[1] = (char *)"b";
        s = sdsjoin(jv, 2, sep);
        if (s == NULL) ok = 0; else sdsfree(s);
    }

    if (redisReaderCreate != NULL) {
        redisReader *r = redisReaderCreate();
        void *reply = NULL;
        if (r == NULL) return 0;
        if (redisReaderFeed(r, "*3\r\n$3\r\nfoo\r\n:42\r\n*1\r\n+OK\r\n", 28) != REDIS_OK ||
            redisReaderGetReply(r, &reply) != REDIS_OK || reply == NULL)
            ok = 0;
        if (reply) freeReplyObject(reply);
        redisReaderFree(r);
    }
    return ok;
}

static int is_non_pie(void) {
    FILE *f = fopen("/proc/self/exe", "rb");
    Elf64_Ehdr h;
    int r = 0;
    if (f && fread(&h, sizeof(h), 1, f) == 1) r = h.e_type == ET_EXEC;
    if (f) fclose(f);
    return r;
}

static void test_table(void) {
    hiredisAllocFuncs old;
    void *p;
    long before;
    SECTION("hiredisSetAllocators / hiredisResetAllocators");
    CHECK(hiredisAllocFns.mallocFn == malloc && hiredisAllocFns.freeFn == free,
          "the initial table is libc's");
    old = hiredisSetAllocators(&counting);
    CHECK(old.mallocFn == malloc && old.callocFn == calloc && old.reallocFn == realloc &&
          old.strdupFn == strdup && old.freeFn == free, "returns the previous table by value");
    CHECK(hiredisAllocFns.mallocFn == c_malloc, "the table C sees changed");

    /* The inline helpers of alloc.h call the installed functions. */
    before = total_allocs;
    p = hi_malloc(16);
    p = hi_realloc(p, 64);
    hi_free(p);
    p = hi_strdup("abc");
    hi_free(p);
    CHECK(total_allocs == before + 3 && outstanding == 0, "inline hi_* use the hooks");

    SECTION("hi_calloc overflow guard");
    before = calloc_calls;
    p = hi_calloc(SIZE_MAX / 2 + 1, 2);
    CHECK(p == NULL && calloc_calls == before, "overflowing hi_calloc refused without calling calloc");
    p = hi_calloc(4, 8);
    CHECK(p != NULL && calloc_calls == before + 1, "ordinary hi_calloc calls the hook");
    hi_free(p);

    SECTION("non-PIE: copy-relocated hiredisAllocFns");
    CHECK(is_non_pie(), "this program is linked without PIE (else this section proves nothing)");
    hiredisResetAllocators();
    CHECK(hiredisAllocFns.mallocFn == malloc, "hiredisResetAllocators restores libc (seen from C)");
    before = total_allocs;
    p = hi_malloc(8);
    free(p);
    CHECK(total_allocs == before, "after reset the inline hi_malloc no longer counts");
    /* A direct write by C to the (copied) table reaches the library too. */
    hiredisAllocFns = counting;
    before = total_allocs;
    {
        sds s = sdsnew("direct");
        sdsfree(s);
    }
    CHECK(total_allocs == before + 1 && outstanding == 0, "the library allocates through C's write");
    hiredisResetAllocators();
    CHECK(hiredisAllocFns.freeFn == free, "reset once more");
}

static void test_accounting(void) {
    long before;
    SECTION("workload: every block comes from and returns to the hooks");
    hiredisSetAllocators(&counting);
    before = total_allocs;
    CHECK(workload(), "workload succeeds");
    CHECK(total_allocs > before + 20, "allocations went through the hooks (%ld)", total_allocs - before);
    CHECK(outstanding == 0, "nothing outstanding (%ld)", outstanding);
    CHECK(foreign_frees == 0, "no block freed that the hooks did not allocate (%ld)", foreign_frees);
    if (redisReaderCreate == NULL) printf("   (reader not in this build: its workload was skipped)\n");
    hiredisResetAllocators();
}

static void test_failures(void) {
    long k, crashes_avoided = 0, failures_seen = 0;
    sds s;
    char *cmd = (char *)&tl_passed;
    SECTION("failing allocators");
    hiredisSetAllocators(&counting);
    fail_after = 0;
    CHECK(redisFormatCommand(&cmd, "SET %s %s", "a", "b") == -1 && cmd == (char *)&tl_passed,
          "redisFormatCommand -> -1");
    {
        const char *argv[2] = {"GET", "k"};
        sds sc = NULL;
        CHECK(redisFormatCommandArgv(&cmd, 2, argv, NULL) == -1, "redisFormatCommandArgv -> -1");
        CHECK(redisFormatSdsCommandArgv(&sc, 2, argv, NULL) == -1 && sc == NULL,
              "redisFormatSdsCommandArgv -> -1");
    }
    CHECK(sdsnew("x") == NULL && sdsempty() == NULL && sdsfromlonglong(5) == NULL, "sds constructors -> NULL");
    {
        int n = 9;
        CHECK(sdssplitargs("a b c", &n) == NULL && n == 0, "sdssplitargs -> NULL");
        CHECK(sdssplitlen("a b", 3, " ", 1, &n) == NULL, "sdssplitlen -> NULL");
    }
    if (redisReaderCreate != NULL) CHECK(redisReaderCreate() == NULL, "redisReaderCreate -> NULL");
    fail_after = -1;
    s = sdsnew("keep");
    fail_after = 0;
    CHECK(sdscatlen(s, "0123456789", 10) == NULL && SDS_IS_KEEP(s), "sdscatlen -> NULL, input intact");
    CHECK(sdscatprintf(s, "%d", 12345) == NULL, "sdscatprintf -> NULL");
    CHECK(sdscatfmt(s, "%s", "longer than the room") == NULL, "sdscatfmt -> NULL");
    CHECK(sdsMakeRoomFor(s, 100) == NULL, "sdsMakeRoomFor -> NULL");
    fail_after = -1;
    sdsfree(s);
    CHECK(outstanding == 0, "nothing leaked on those failures (%ld)", outstanding);

    /* Fail the k-th allocation of the workload, for every k: no crash, no leak. */
    for (k = 0; k < 200; k++) {
        fail_after = k;
        if (!workload()) failures_seen++;
        crashes_avoided++;
        fail_after = -1;
        if (outstanding != 0) break;
    }
    CHECK(outstanding == 0, "no leak with allocation failure injected at step %ld (%ld live)", k, outstanding);
    CHECK(failures_seen > 20, "failures reported as NULL/-1 (%ld of %ld runs)", failures_seen, crashes_avoided);
    CHECK(foreign_frees == 0, "no foreign frees (%ld)", foreign_frees);
    hiredisResetAllocators();
}

int main(void) {
    test_table();
    test_accounting();
    test_failures();
    return tl_done();
}
