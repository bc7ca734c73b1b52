/* Pipelining on a real cluster (spec §3.11): Append/GetReply/Reset with single-slot,
 * multi-slot (split and merged) and ToNode requests, a long pipeline over many slots, a
 * sub-command refused by ACL (its error reply returned detached, sync and pipelined), and a
 * split append that runs out of memory part-way (the next request still gets its own reply). */
#include "cluster_test.h"

static const char *seed;

static void basic(redisClusterContext *cc) {
    SECTION("a pipeline of single- and multi-slot commands");
    redisReply *r;
    CHECK(redisClusterAppendCommand(cc, "SET a 1") == REDIS_OK, "append SET");
    CHECK(redisClusterAppendCommand(cc, "MSET b 2 c 3 foo x") == REDIS_OK, "append MSET over slots");
    CHECK(redisClusterAppendCommand(cc, "MGET a b c nokey foo") == REDIS_OK, "append MGET over slots");
    CHECK(redisClusterAppendCommand(cc, "PING") == REDIS_ERR && cc->err == REDIS_ERR_OTHER, "PING refused: %s", cc->errstr);
    const char *argv[] = {"DEL", "a", "b", "c"};
    CHECK(redisClusterAppendCommandArgv(cc, 4, argv, NULL) == REDIS_OK, "append DEL (Argv)");
    CHECK(redisClusterGetReply(cc, (void **)&r) == REDIS_OK && cl_is_status(r, "OK"), "SET reply");
    freeReplyObject(r);
    CHECK(redisClusterGetReply(cc, (void **)&r) == REDIS_OK && cl_is_status(r, "OK"), "MSET merged");
    freeReplyObject(r);
    CHECK(redisClusterGetReply(cc, (void **)&r) == REDIS_OK && r && r->type == REDIS_REPLY_ARRAY && r->elements == 5 &&
          cl_is_str(r->element[0], "1") && cl_is_str(r->element[2], "3") && r->element[3]->type == REDIS_REPLY_NIL &&
          cl_is_str(r->element[4], "x"), "MGET merged");
    freeReplyObject(r);
    CHECK(redisClusterGetReply(cc, (void **)&r) == REDIS_OK && cl_is_int(r, 3), "DEL merged");
    freeReplyObject(r);
    r = (redisReply *)1;
    CHECK(redisClusterGetReply(cc, (void **)&r) == REDIS_OK && r == NULL, "then the end");
    redisClusterReset(cc);
    CHECK(redisClusterGetReply(cc, (void **)&r) == REDIS_ERR && r == NULL, "after Reset: no queue");

    SECTION("ToNode requests in a pipeline");
    redisClusterNode *owner = redisClusterGetNodeByKey(cc, (char *)"foo");
    CHECK(redisClusterAppendCommandToNode(cc, owner, "GET foo") == REDIS_OK, "append GET to the node");
    CHECK(redisClusterAppendCommandToNode(cc, owner, "DBSIZE") == REDIS_OK, "append DBSIZE to the node");
    CHECK(redisClusterAppendCommandToNode(cc, NULL, "DBSIZE") == REDIS_ERR, "NULL node");
    CHECK(redisClusterGetReply(cc, (void **)&r) == REDIS_OK && cl_is_str(r, "x"), "GET foo");
    freeReplyObject(r);
    CHECK(redisClusterGetReply(cc, (void **)&r) == REDIS_OK && r && r->type == REDIS_REPLY_INTEGER && r->integer >= 1, "DBSIZE");
    freeReplyObject(r);
    redisClusterReset(cc);

    SECTION("Reset drops unread replies");
    for (int i = 0; i < 10; i++) redisClusterAppendCommand(cc, "INCR counter%d", i);
    redisClusterReset(cc);
    CHECK(cc->err == 0 && cc->requests == NULL, "reset: %s", cc->errstr);
    r = redisClusterCommand(cc, "GET counter9");
    CHECK(cl_is_str(r, "1"), "the commands ran, the connection is usable");
    freeReplyObject(r);
}

static void long_pipeline(redisClusterContext *cc) {
    SECTION("a long pipeline over many slots");
    int n = tl_under_valgrind() ? 300 : 5000, ok = 0;
    for (int i = 0; i < n; i++) redisClusterAppendCommand(cc, "SET pk%d %d", i, i);
    for (int i = 0; i < n; i++) redisClusterAppendCommand(cc, "GET pk%d", i);
    for (int i = 0; i < n; i++) {
        redisReply *r;
        ok += redisClusterGetReply(cc, (void **)&r) == REDIS_OK && cl_is_status(r, "OK");
        freeReplyObject(r);
    }
    for (int i = 0; i < n; i++) {
        redisReply *r;
        char want[16];
        snprintf(want, sizeof want, "%d", i);
        ok += redisClusterGetReply(cc, (void **)&r) == REDIS_OK && cl_is_str(r, want);
        freeReplyObject(r);
    }
    redisClusterReset(cc);
    CHECK(ok == 2 * n, "%d of %d replies in order", ok, 2 * n);
}

/* Split commands of 40 keys (more arguments than the parser keeps inline, more slots than a
 * reused request block holds) between small ones (which reuse blocks), round after round:
 * every merged reply keeps the caller's key order. */
static void wide_splits(redisClusterContext *cc) {
    SECTION("pipelined multi-slot commands of many keys, round after round");
    enum { K = 40 };
    int rounds = tl_under_valgrind() ? 3 : 20, ok = 0, appended = 0;
    static char keys[K][16], vals[K][16];
    const char *argv[1 + 2 * K];
    for (int round = 0; round < rounds; round++) {
        for (int j = 0; j < K; j++) {
            snprintf(keys[j], sizeof keys[j], "w%d:%d", round, j);
            snprintf(vals[j], sizeof vals[j], "v%d-%d", round, j);
        }
        argv[0] = "MSET";
        for (int j = 0; j < K; j++) argv[1 + 2 * j] = keys[j], argv[2 + 2 * j] = vals[j];
        appended += redisClusterAppendCommandArgv(cc, 1 + 2 * K, argv, NULL) == REDIS_OK;
        appended += redisClusterAppendCommand(cc, "MGET %s %s", keys[1], keys[0]) == REDIS_OK;
        argv[0] = "MGET";
        for (int j = 0; j < K; j++) argv[1 + j] = keys[K - 1 - j];
        argv[1 + K] = "w-missing";
        appended += redisClusterAppendCommandArgv(cc, 2 + K, argv, NULL) == REDIS_OK;
        argv[0] = "DEL";
        for (int j = 0; j < K; j++) argv[1 + j] = keys[j];
        appended += redisClusterAppendCommandArgv(cc, 1 + K, argv, NULL) == REDIS_OK;
        redisReply *r;
        ok += redisClusterGetReply(cc, (void **)&r) == REDIS_OK && cl_is_status(r, "OK");
        freeReplyObject(r);
        ok += redisClusterGetReply(cc, (void **)&r) == REDIS_OK && r && r->type == REDIS_REPLY_ARRAY &&
              r->elements == 2 && cl_is_str(r->element[0], vals[1]) && cl_is_str(r->element[1], vals[0]);
        freeReplyObject(r);
        int same = 0;
        if (redisClusterGetReply(cc, (void **)&r) == REDIS_OK && r && r->type == REDIS_REPLY_ARRAY &&
            r->elements == K + 1) {
            for (int j = 0; j < K; j++) same += cl_is_str(r->element[j], vals[K - 1 - j]);
            same += r->element[K]->type == REDIS_REPLY_NIL;
        }
        ok += same == K + 1;
        freeReplyObject(r);
        ok += redisClusterGetReply(cc, (void **)&r) == REDIS_OK && cl_is_int(r, K);
        freeReplyObject(r);
        redisClusterReset(cc);
    }
    CHECK(appended == 4 * rounds, "%d of %d appended (MSET and DEL of %d keys, MGET of %d)", appended, 4 * rounds, K, K + 1);
    CHECK(ok == 4 * rounds, "%d of %d replies right", ok, 4 * rounds);
}

static void acl_sub_error(redisClusterContext *cc) {
    SECTION("a multi-slot command whose sub-command is refused");
    redisClusterNodeIterator it;
    redisClusterNode *n;
    int set = 0;
    redisClusterInitNodeIterator(&it, cc);
    while ((n = redisClusterNodeNext(&it)) != NULL) {
        redisReply *r = redisClusterCommandToNode(cc, n, "ACL SETUSER limited on >pw ~a* +@all");
        set += cl_is_status(r, "OK");
        freeReplyObject(r);
    }
    CHECK(set == 3, "ACL user on every master");
    redisClusterContext *lc = redisClusterContextInit();
    redisClusterSetOptionAddNodes(lc, seed);
    redisClusterSetOptionUsername(lc, "limited");
    redisClusterSetOptionPassword(lc, "pw");
    CHECK(redisClusterConnect2(lc) == REDIS_OK, "connect as the ACL user: %s", lc->errstr);
    redisReply *r = redisClusterCommand(lc, "MGET a b");
    CHECK(r && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOPERM", 6) == 0 && lc->err == 0, "sync: %s",
          r ? r->str : lc->errstr);
    freeReplyObject(r);
    CHECK(redisClusterAppendCommand(lc, "MGET a b") == REDIS_OK && redisClusterAppendCommand(lc, "GET a") == REDIS_OK,
          "append");
    CHECK(redisClusterGetReply(lc, (void **)&r) == REDIS_OK && r && r->type == REDIS_REPLY_ERROR &&
          strncmp(r->str, "NOPERM", 6) == 0, "pipelined: the error reply, detached");
    freeReplyObject(r);
    CHECK(redisClusterGetReply(lc, (void **)&r) == REDIS_OK && r && r->type != REDIS_REPLY_ERROR, "next reply in line");
    freeReplyObject(r);
    redisClusterReset(lc);
    redisClusterFree(lc);
    redisClusterInitNodeIterator(&it, cc);
    while ((n = redisClusterNodeNext(&it)) != NULL) freeReplyObject(redisClusterCommandToNode(cc, n, "ACL DELUSER limited"));
}

/* Allocation hooks that fail from the fail_at-th call on (0: never). */
static long allocs, fail_at;
static int failing(void) { return fail_at > 0 && ++allocs >= fail_at; }
static void *f_malloc(size_t n) { return failing() ? NULL : malloc(n); }
static void *f_calloc(size_t n, size_t m) { return failing() ? NULL : calloc(n, m); }
static void *f_realloc(void *p, size_t n) { return failing() ? NULL : realloc(p, n); }
static char *f_strdup(const char *s) { return failing() ? NULL : strdup(s); }

/* A 40-key MGET over every master appended with the hooks failing at the n-th allocation, for
 * n = 1, 2, ... until it goes through: whether the append fails before, between or after its
 * sub-commands (a node's connection not made, its buffer not grown), a GET appended after it
 * gets its own reply, and the MGET, when it was accepted, its merged one. 0.14.0 leaves the
 * sub-commands that went out in the connections, so later replies answer the wrong requests. */
static void oom_part_way(void) {
    SECTION("a split append that fails part-way");
    redisClusterContext *cc = cl_connect(seed, 0);
    char mget[512] = "MGET";
    for (int k = 0; k < 40; k++) {
        char key[16];
        snprintf(key, sizeof key, " oom%d", k);
        strcat(mget, key);
        freeReplyObject(redisClusterCommand(cc, "SET oom%d v%d", k, k));
    }
    freeReplyObject(redisClusterCommand(cc, "SET oommark here"));
    redisClusterFree(cc);
    hiredisAllocFuncs failing_fns = {f_malloc, f_calloc, f_realloc, f_strdup, free}, prev;
    int refused = 0, rounds = 0, right = 0, accepted = 0;
    for (long n = 1; n < 400 && !accepted; n++) {
        cc = cl_connect(seed, 0); /* fresh: no node connection made yet */
        allocs = 0;
        fail_at = n;
        prev = hiredisSetAllocators(&failing_fns);
        int rc = redisClusterAppendCommand(cc, mget);
        hiredisSetAllocators(&prev);
        fail_at = 0;
        rounds++;
        accepted = rc == REDIS_OK;
        if (!accepted) {
            refused++;
            if (cc->err == 0) break; /* an error without its text fails below */
        }
        int ok = redisClusterAppendCommand(cc, "GET oommark") == REDIS_OK;
        redisReply *r = NULL;
        if (ok && accepted) {
            ok = redisClusterGetReply(cc, (void **)&r) == REDIS_OK && r && r->type == REDIS_REPLY_ARRAY &&
                 r->elements == 40 && cl_is_str(r->element[0], "v0") && cl_is_str(r->element[39], "v39");
            freeReplyObject(r);
            r = NULL;
        }
        ok = ok && redisClusterGetReply(cc, (void **)&r) == REDIS_OK && cl_is_str(r, "here");
        if (!ok) printf("   failing at allocation %ld: %s (%s)\n", n, accepted ? "accepted" : "refused", cc->errstr);
        freeReplyObject(r);
        right += ok;
        redisClusterFree(cc);
    }
    CHECK(accepted && refused >= 3, "the append failed at %d points, then went through", refused);
    CHECK(right == rounds, "each time the next GET got its own reply (%d of %d)", right, rounds);
}

int main(void) {
    seed = tl_env("CLUSTER_SEED", "127.0.0.1:7000");
    redisClusterContext *cc = cl_connect(seed, 0);
    CHECK(cc && cc->err == 0, "connect");
    basic(cc);
    long_pipeline(cc);
    wide_splits(cc);
    acl_sub_error(cc);
    redisClusterFree(cc);
    oom_part_way();
    return tl_done();
}
