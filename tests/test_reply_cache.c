/* Reply memory as C code sees it while hiredis-rs recycles reply blocks per thread: reused
 * blocks never show old contents, C code may free or steal a reply's str or put in its own,
 * custom allocator hooks still see every allocation and its free, and replies may be freed
 * on another thread or be left in a thread's cache when it exits (valgrind runs this with
 * the cache forced on to check those blocks are freed). Needs no server. */
#include <hiredis/hiredis.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

static redisReply *one(const char *wire) {
    redisReader *r = redisReaderCreate();
    void *reply = NULL;
    redisReaderFeed(r, wire, strlen(wire));
    if (redisReaderGetReply(r, &reply) != REDIS_OK) reply = NULL;
    redisReaderFree(r);
    return reply;
}

static void test_reuse_shows_no_old_contents(void) {
    SECTION("recycled blocks carry only the new reply");
    for (int round = 0; round < 3; round++) {
        redisReply *a = one("*3\r\n+abcdefghijklmnopqrstuv\r\n:42\r\n$3\r\nxyz\r\n");
        CHECK(a && a->type == REDIS_REPLY_ARRAY && a->elements == 3, "array");
        if (!a) return;
        freeReplyObject(a);
        redisReply *s = one("+x\r\n");
        CHECK(s && s->type == REDIS_REPLY_STATUS && s->len == 1 && !strcmp(s->str, "x") && s->element == NULL &&
                  s->elements == 0 && s->integer == 0,
              "status after array: len %zu str '%s'", s ? s->len : 0, s ? s->str : "");
        freeReplyObject(s);
        redisReply *i = one(":7\r\n");
        CHECK(i && i->type == REDIS_REPLY_INTEGER && i->integer == 7 && i->str == NULL && i->len == 0,
              "integer has no string");
        freeReplyObject(i);
        redisReply *n = one("$-1\r\n");
        CHECK(n && n->type == REDIS_REPLY_NIL && n->str == NULL, "nil has no string");
        freeReplyObject(n);
    }

    SECTION("many live replies at once, more than any cache holds");
    enum { N = 2000 };
    static redisReply *live[N];
    char wire[80], want[40];
    for (int k = 0; k < N; k++) {
        snprintf(want, sizeof(want), "%0*d", k % 30 + 4, k); /* 4 to 33 bytes */
        snprintf(wire, sizeof(wire), "$%zu\r\n%s\r\n", strlen(want), want);
        live[k] = one(wire);
    }
    int ok = 1;
    for (int k = 0; k < N; k++) {
        snprintf(want, sizeof(want), "%0*d", k % 30 + 4, k);
        ok &= live[k] && live[k]->len == strlen(want) && !strcmp(live[k]->str, want);
    }
    CHECK(ok, "all %d replies intact", N);
    for (int k = 0; k < N; k++) freeReplyObject(live[k]);
}

static void test_c_code_owns_strings(void) {
    SECTION("C code may steal, free or replace a reply's str");
    redisReply *r = one("+stolen\r\n");
    char *stolen = r->str;
    r->str = NULL;
    freeReplyObject(r);
    redisReply *next = one("+fresh!!\r\n");
    CHECK(next && !strcmp(next->str, "fresh!!") && next->str != stolen, "stolen string not handed out again");
    CHECK(!strcmp(stolen, "stolen"), "stolen string intact: '%s'", stolen);
    free(stolen);
    freeReplyObject(next);

    r = one("+abc\r\n");
    free(r->str);
    r->str = strdup("a"); /* a block of C's own, smaller than any the library made */
    r->len = 1;
    freeReplyObject(r);
    for (int k = 0; k < 4; k++) {
        redisReply *s = one("+0123456789012345678901\r\n"); /* 22 bytes + NUL */
        CHECK(s && s->len == 22 && !strcmp(s->str, "0123456789012345678901"), "22-byte status %d", k);
        freeReplyObject(s);
    }

    r = one("$5\r\nhello\r\n");
    char *big = malloc(4096);
    memset(big, 'q', 4095);
    big[4095] = '\0';
    free(r->str);
    r->str = big;
    r->len = 2; /* a shrunk len over a big block */
    freeReplyObject(r);
    redisReply *s = one("+ok\r\n");
    CHECK(s && !strcmp(s->str, "ok"), "status after a shrunk big block");
    freeReplyObject(s);
}

static long allocs, frees;
static void *count_malloc(size_t n) { allocs++; return malloc(n); }
static void *count_calloc(size_t n, size_t m) { allocs++; return calloc(n, m); }
static void *count_realloc(void *p, size_t n) {
    if (!p) allocs++;
    return realloc(p, n);
}
static char *count_strdup(const char *s) { allocs++; return strdup(s); }
static void count_free(void *p) {
    if (p) frees++;
    free(p);
}

static void test_custom_hooks_see_everything(void) {
    SECTION("custom hooks see every reply allocation and its free");
    /* Fill this thread's cache first with the libc hooks. */
    for (int k = 0; k < 50; k++) freeReplyObject(one("*2\r\n+a\r\n:1\r\n"));
    hiredisAllocFuncs ha = {count_malloc, count_calloc, count_realloc, count_strdup, count_free};
    hiredisSetAllocators(&ha);
    redisReader *r = redisReaderCreate();
    long before = allocs;
    for (int k = 0; k < 100; k++) {
        void *reply = NULL;
        redisReaderFeed(r, "*2\r\n+hello\r\n$3\r\nabc\r\n", 21);
        redisReaderGetReply(r, &reply);
        freeReplyObject(reply);
    }
    long per_reply = (allocs - before) / 100;
    redisReaderFree(r);
    hiredisResetAllocators();
    /* array + vector + 2 x (reply + string) = 6 */
    CHECK(per_reply >= 6, "%ld allocations per reply went through the hooks", per_reply);
    CHECK(allocs == frees, "every allocation freed through the hooks: %ld allocs, %ld frees", allocs, frees);
}

static void *make_replies(void *arg) {
    redisReply **out = arg;
    for (int k = 0; k < 100; k++) out[k] = one("*2\r\n$5\r\nhello\r\n+ok\r\n");
    /* Leave blocks in this thread's cache at exit. */
    for (int k = 0; k < 50; k++) freeReplyObject(one("*2\r\n+a\r\n+b\r\n"));
    return NULL;
}

static void test_threads(void) {
    SECTION("replies freed on another thread; threads exit with cached blocks");
    static redisReply *made[4][100];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, make_replies, made[i]);
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    int ok = 1;
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < 100; k++) {
            redisReply *x = made[i][k];
            ok &= x && x->elements == 2 && !strcmp(x->element[0]->str, "hello") && !strcmp(x->element[1]->str, "ok");
            freeReplyObject(x);
        }
    CHECK(ok, "400 replies from 4 threads intact and freed here");
    redisReply *s = one("+after\r\n");
    CHECK(s && !strcmp(s->str, "after"), "main thread still parses");
    freeReplyObject(s);
}

/* A thread whose first replies are made in a pthread key destructor, after the thread's
 * other thread-local destructors ran: its cache must still be freed (valgrind checks). */
static pthread_key_t late_key;
static int late_replies;

static void late_destructor(void *arg) {
    (void)arg;
    for (int k = 0; k < 20; k++) {
        redisReply *x = one("*2\r\n+a\r\n$3\r\nbcd\r\n");
        late_replies += x && x->elements == 2 && !strcmp(x->element[1]->str, "bcd");
        freeReplyObject(x);
    }
}

static void *late_thread(void *arg) {
    (void)arg;
    pthread_setspecific(late_key, &late_key);
    return NULL;
}

static void test_replies_while_a_thread_exits(void) {
    SECTION("a thread's first replies made while it exits");
    pthread_key_create(&late_key, late_destructor);
    for (int i = 0; i < 3; i++) {
        pthread_t t;
        pthread_create(&t, NULL, late_thread, NULL);
        pthread_join(t, NULL);
    }
    CHECK(late_replies == 60, "%d of 60 replies made in key destructors", late_replies);
    pthread_key_delete(late_key);
}

int main(void) {
    test_reuse_shows_no_old_contents();
    test_c_code_owns_strings();
    test_custom_hooks_see_everything();
    test_threads();
    test_replies_while_a_thread_exits();
    return tl_done();
}
