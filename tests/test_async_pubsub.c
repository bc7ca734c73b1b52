/* Async pub/sub (RESP2 and RESP3; channels, patterns, sharded), MONITOR, push callback,
 * reply ownership options. A second connection publishes. */
#include <signal.h>
#include <stdint.h>
#include <unistd.h>

#include "testlib.h"
#include "test_async_loop.h"

/* String tags as privdata. */
#define T(s) ((void *)(uintptr_t)(s))

/* Declared by hiredis.h; repeated here so this file builds while that lands. */
void freeReplyObject(void *reply);

static const char *host;
static int port;
static volatile int done;

/* A log of what callbacks saw, as short strings: "<tag>:<kind>:<a>:<b>". */
static char events[256][96];
static int nev;

static void ev(const char *tag, redisReply *r) {
    char *e;
    if (nev >= 256) return;
    e = events[nev++];
    if (r == NULL) {
        snprintf(e, 96, "%s:NULL", tag);
    } else if ((r->type == REDIS_REPLY_ARRAY || r->type == REDIS_REPLY_PUSH) && r->elements >= 1 &&
               r->element[0]->type == REDIS_REPLY_STRING) {
        char b1[32] = "-", b2[32] = "-";
        if (r->elements > 1) {
            redisReply *x = r->element[1];
            if (x->str) snprintf(b1, sizeof(b1), "%s", x->str);
            else if (x->type == REDIS_REPLY_INTEGER) snprintf(b1, sizeof(b1), "%lld", x->integer);
        }
        if (r->elements > 2) {
            redisReply *x = r->element[r->elements - 1];
            if (x->str) snprintf(b2, sizeof(b2), "%s", x->str);
            else if (x->type == REDIS_REPLY_INTEGER) snprintf(b2, sizeof(b2), "%lld", x->integer);
        }
        snprintf(e, 96, "%s:%s%s:%s:%s", tag, r->type == REDIS_REPLY_PUSH ? ">" : "*", r->element[0]->str, b1, b2);
    } else if (r->str) {
        snprintf(e, 96, "%s:%d:%s", tag, r->type, r->str);
    } else {
        snprintf(e, 96, "%s:%d:%lld", tag, r->type, r->integer);
    }
}

static int has(const char *s) {
    int i;
    for (i = 0; i < nev; i++)
        if (strcmp(events[i], s) == 0) return 1;
    return 0;
}
static int count_prefix(const char *p) {
    int i, n = 0;
    for (i = 0; i < nev; i++)
        if (strncmp(events[i], p, strlen(p)) == 0) n++;
    return n;
}
static void dump(void) {
    int i;
    for (i = 0; i < nev; i++) printf("   %s\n", events[i]);
}

static redisAsyncContext *pub;
static int push_calls;

static void push_cb(redisAsyncContext *ac, void *r) {
    (void)ac;
    push_calls++;
    ev("push", r);
}

static redisAsyncContext *mk(int resp3) {
    redisAsyncContext *ac = redisAsyncConnect(host, port);
    tl_attach(ac);
    if (resp3) redisAsyncCommand(ac, NULL, NULL, "HELLO 3");
    return ac;
}

static int lrange_ok;
static void reset(void) { nev = 0; done = 0; push_calls = 0; lrange_ok = 0; }

/* ---- channels ------------------------------------------------------------------------------ */

static void plain_cb(redisAsyncContext *ac, void *r, void *priv) {
    (void)ac;
    ev(priv ? (const char *)priv : "cb", r);
}

static void final_cb(redisAsyncContext *ac, void *r, void *priv) {
    plain_cb(ac, r, priv);
    done = 1;
    redisAsyncDisconnect(ac);
}

static void lrange_cb(redisAsyncContext *ac, void *r, void *priv) {
    redisReply *reply = r;
    (void)ac; (void)priv;
    if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 3 &&
        strcmp(reply->element[2]->str, "c") == 0)
        lrange_ok++;
}

static void sub_cb(redisAsyncContext *ac, void *r, void *priv) {
    redisReply *reply = r;
    ev("sub", r);
    (void)priv;
    if (reply == NULL) return;
    if (strcasecmp(reply->element[0]->str, "subscribe") == 0) {
        CHECK(reply->element[2]->type == REDIS_REPLY_INTEGER && reply->element[2]->str == NULL,
              "subscribe frame count is an integer");
        if (ac->c.flags & REDIS_SUPPORTS_PUSH) { /* RESP3: any command works while subscribed */
            redisAsyncCommand(ac, NULL, NULL, "DEL async:l");
            redisAsyncCommand(ac, NULL, NULL, "RPUSH async:l a b c");
            redisAsyncCommand(ac, lrange_cb, NULL, "LRANGE async:l 0 -1");
        }
        redisAsyncCommand(pub, plain_cb, T("pub"), "PUBLISH mychannel hello");
    } else if (strcasecmp(reply->element[0]->str, "message") == 0) {
        redisAsyncCommand(ac, NULL, NULL, "UNSUBSCRIBE mychannel");
    } else if (strcasecmp(reply->element[0]->str, "unsubscribe") == 0) {
        CHECK(!(ac->c.flags & REDIS_SUBSCRIBED), "SUBSCRIBED cleared by the last unsubscribe");
        redisAsyncCommand(ac, final_cb, T("after"), "SET async:ps 1");
    }
}

static void t_channels(int resp3) {
    redisAsyncContext *ac;
    char buf[64];
    SECTION(resp3 ? "RESP3 subscribe / message / unsubscribe" : "RESP2 subscribe / message / unsubscribe");
    reset();
    pub = mk(0);
    ac = mk(resp3);
    redisAsyncSetPushCallback(ac, push_cb);
    CHECK(redisAsyncCommand(ac, NULL, NULL, "UNSUBSCRIBE") == REDIS_ERR, "UNSUBSCRIBE refused when not subscribed");
    redisAsyncCommand(ac, sub_cb, NULL, "SUBSCRIBE mychannel");
    redisAsyncCommand(ac, plain_cb, T("ping"), "PING");
    CHECK(ac->replies.head == NULL || resp3, "no regular record for SUBSCRIBE");
    CHECK(ac->sub.replies.head != NULL, "PING waits on sub.replies");
    tl_run(&done, 10);
    snprintf(buf, sizeof(buf), "sub:%ssubscribe:mychannel:1", resp3 ? ">" : "*");
    CHECK(has(buf), "%s", buf);
    snprintf(buf, sizeof(buf), "sub:%smessage:mychannel:hello", resp3 ? ">" : "*");
    CHECK(has(buf), "%s", buf);
    snprintf(buf, sizeof(buf), "sub:%sunsubscribe:mychannel:0", resp3 ? ">" : "*");
    CHECK(has(buf), "%s", buf);
    if (resp3) CHECK(has("ping:5:PONG"), "PING answered with a status");
    if (resp3) CHECK(lrange_ok == 1, "a 3-element array reply while subscribed goes to its own callback");
    else CHECK(has("ping:*pong:-:-") || count_prefix("ping:*pong") == 1, "RESP2 PING while subscribed gives an array");
    CHECK(has("after:5:OK"), "command after unsubscribe answered normally");
    CHECK(count_prefix("sub:NULL") == 0, "no NULL for a completed subscription");
    CHECK(push_calls == 0, "push callback not used for pub/sub");
    CHECK(has("pub:3:1"), "one receiver");
    if (tl_failed) dump();
    redisAsyncFree(pub);
    tl_run(NULL, 5);
}

/* ---- unsubscribe bookkeeping ------------------------------------------------------------- */

static void ab_cb(redisAsyncContext *ac, void *r, void *priv) {
    redisReply *reply = r;
    ev((const char *)priv, r);
    if (reply && strcmp(reply->element[0]->str, "subscribe") == 0 && reply->element[2]->integer == 2) {
        redisAsyncCommand(ac, NULL, NULL, "UNSUBSCRIBE B X A A Z");
        redisAsyncCommand(ac, NULL, NULL, "PUNSUBSCRIBE");
        CHECK(ac->sub.pending_unsubs == 4, "pending_unsubs 4 (%d)", ac->sub.pending_unsubs);
        redisAsyncCommand(ac, final_cb, T("tail"), "PING");
    }
}

static void t_unsub_counting(int resp3) {
    redisAsyncContext *ac;
    SECTION(resp3 ? "RESP3 UNSUBSCRIBE B X A A Z + PUNSUBSCRIBE" : "RESP2 UNSUBSCRIBE B X A A Z + PUNSUBSCRIBE");
    reset();
    ac = mk(resp3);
    redisAsyncSetPushCallback(ac, push_cb);
    redisAsyncCommand(ac, ab_cb, T("A"), "SUBSCRIBE A");
    redisAsyncCommand(ac, ab_cb, T("B"), "SUBSCRIBE B");
    tl_run(&done, 10);
    CHECK(count_prefix("A:") == 2 && count_prefix("B:") == 2, "A and B see subscribe + unsubscribe");
    CHECK(has(resp3 ? "A:>unsubscribe:A:0" : "A:*unsubscribe:A:0") || has(resp3 ? "A:>unsubscribe:A:1" : "A:*unsubscribe:A:1"), "A's unsubscribe");
    CHECK(count_prefix("tail:") == 1, "the command after is answered once");
    CHECK(push_calls == 0, "no push callback");
    if (tl_failed) dump();
    tl_run(NULL, 5);
}

/* ---- patterns ---------------------------------------------------------------------------- */

static void pat_cb(redisAsyncContext *ac, void *r, void *priv) {
    redisReply *reply = r;
    ev("pat", r);
    (void)priv;
    if (reply == NULL) return;
    if (strcasecmp(reply->element[0]->str, "psubscribe") == 0) {
        redisAsyncCommand(pub, NULL, NULL, "PUBLISH news.tech hi");
    } else if (strcasecmp(reply->element[0]->str, "pmessage") == 0) {
        CHECK(reply->elements == 4 && strcmp(reply->element[2]->str, "news.tech") == 0, "pmessage carries the channel");
        redisAsyncCommand(ac, NULL, NULL, "PUNSUBSCRIBE news.*");
    } else if (strcasecmp(reply->element[0]->str, "punsubscribe") == 0) {
        redisAsyncCommand(ac, final_cb, T("after"), "PING");
    }
}

static void t_patterns(int resp3) {
    SECTION(resp3 ? "RESP3 patterns" : "RESP2 patterns");
    reset();
    pub = mk(0);
    {
        redisAsyncContext *ac = mk(resp3);
        redisAsyncCommand(ac, pat_cb, NULL, "PSUBSCRIBE news.*");
    }
    tl_run(&done, 10);
    CHECK(count_prefix("pat:") == 3, "psubscribe, pmessage, punsubscribe (%d)", count_prefix("pat:"));
    CHECK(has(resp3 ? "pat:>pmessage:news.*:hi" : "pat:*pmessage:news.*:hi"), "pmessage to the pattern callback");
    CHECK(has("after:5:PONG"), "regular command afterwards");
    if (tl_failed) dump();
    redisAsyncFree(pub);
    tl_run(NULL, 5);
}

/* ---- sharded (deliberate difference: routed properly) ------------------------------------ */

static void shard_cb(redisAsyncContext *ac, void *r, void *priv) {
    redisReply *reply = r;
    ev("shard", r);
    (void)priv;
    if (reply == NULL) return;
    if (strcasecmp(reply->element[0]->str, "ssubscribe") == 0) {
        redisAsyncCommand(pub, NULL, NULL, "SPUBLISH shardch sharded-hi");
    } else if (strcasecmp(reply->element[0]->str, "smessage") == 0) {
        redisAsyncCommand(ac, NULL, NULL, "SUNSUBSCRIBE shardch");
    } else if (strcasecmp(reply->element[0]->str, "sunsubscribe") == 0) {
        redisAsyncCommand(ac, final_cb, T("after"), "SET async:sh 1");
    }
}

static void t_sharded(int resp3) {
    redisAsyncContext *ac;
    SECTION(resp3 ? "RESP3 sharded pub/sub" : "RESP2 sharded pub/sub");
    reset();
    pub = mk(0);
    ac = mk(resp3);
    redisAsyncSetPushCallback(ac, push_cb);
    redisAsyncCommand(ac, shard_cb, NULL, "SSUBSCRIBE shardch");
    CHECK(ac->c.flags & REDIS_SUBSCRIBED, "SUBSCRIBED after SSUBSCRIBE");
    redisAsyncCommand(ac, plain_cb, T("ping"), "PING");
    tl_run(&done, 10);
    CHECK(count_prefix("shard:") == 3, "ssubscribe, smessage, sunsubscribe (%d)", count_prefix("shard:"));
    CHECK(has(resp3 ? "shard:>smessage:shardch:sharded-hi" : "shard:*smessage:shardch:sharded-hi"), "smessage to the channel callback");
    CHECK(count_prefix("ping:") == 1 && count_prefix("ping:*s") == 0 && count_prefix("ping:>s") == 0, "PING's callback never sees a sharded frame");
    CHECK(has("after:5:OK"), "regular command after SUNSUBSCRIBE");
    CHECK(push_calls == 0, "push callback not used");
    if (tl_failed) dump();
    redisAsyncFree(pub);
    tl_run(NULL, 5);
}

/* ---- teardown while subscribed ----------------------------------------------------------- */

static void t_free_subscribed(void) {
    redisAsyncContext *ac;
    SECTION("free while subscribed: each subscription callback gets NULL once");
    reset();
    ac = mk(0);
    redisAsyncCommand(ac, plain_cb, T("s1"), "SUBSCRIBE c1 c2");
    redisAsyncCommand(ac, plain_cb, T("p1"), "PSUBSCRIBE p*");
    redisAsyncCommand(ac, plain_cb, T("sh"), "SSUBSCRIBE shx");
    redisAsyncCommand(ac, final_cb, T("ping"), "PING");
    /* final_cb asks for a disconnect; subscriptions do not delay it. */
    tl_run(NULL, 5);
    CHECK(count_prefix("ping:") == 1 && count_prefix("ping:NULL") == 0, "PING answered");
    CHECK(count_prefix("s1:NULL") == 2, "two channels, two NULLs");
    CHECK(count_prefix("p1:NULL") == 1 && count_prefix("sh:NULL") == 1, "pattern and shard NULL");
}

/* ---- MONITOR ------------------------------------------------------------------------------- */

static int mon_ok, mon_seen, mon_null;
static redisAsyncContext *monac;
static void mon_cb(redisAsyncContext *ac, void *r, void *priv) {
    redisReply *reply = r;
    (void)priv;
    if (reply == NULL) { mon_null++; return; }
    if (reply->type == REDIS_REPLY_STATUS && strcmp(reply->str, "OK") == 0 && mon_ok == 0) {
        mon_ok = 1;
        redisAsyncCommand(pub, NULL, NULL, "SET async:monkey 1");
        return;
    }
    if (reply->type == REDIS_REPLY_STATUS && strstr(reply->str, "\"async:monkey\"")) {
        mon_seen++;
        CHECK(ac->replies.head == NULL, "record is off the queue while its callback runs");
        done = 1;
    }
}

static void t_monitor(void) {
    SECTION("MONITOR");
    reset();
    mon_ok = mon_seen = mon_null = 0;
    pub = mk(0);
    monac = mk(0);
    redisAsyncCommand(monac, mon_cb, NULL, "MONITOR");
    CHECK(monac->c.flags & REDIS_MONITORING, "MONITORING");
    tl_run(&done, 10);
    CHECK(mon_ok == 1 && mon_seen == 1, "OK then the monitored SET (%d %d)", mon_ok, mon_seen);
    CHECK(monac->replies.head != NULL && monac->replies.head == monac->replies.tail, "record re-queued after each reply");
    redisAsyncFree(monac);
    CHECK(mon_null == 1, "record gets NULL at free");
    redisAsyncFree(pub);
    tl_run(NULL, 5);
}

/* ---- push callback (CLIENT TRACKING) -------------------------------------------------------- */

static void trk_get_cb(redisAsyncContext *ac, void *r, void *priv) {
    (void)ac; (void)priv; (void)r;
    redisAsyncCommand(pub, NULL, NULL, "SET async:trk 2");
}

static void trk_push(redisAsyncContext *ac, void *r) {
    redisReply *reply = r;
    push_calls++;
    ev("push", r);
    CHECK(ac->c.flags & REDIS_IN_CALLBACK, "IN_CALLBACK during the push callback");
    if (reply->type == REDIS_REPLY_PUSH && strcmp(reply->element[0]->str, "invalidate") == 0) done = 1;
}

static void t_push(void) {
    redisAsyncContext *ac;
    redisOptions o = {0};
    SECTION("push callback from CLIENT TRACKING (RESP3)");
    reset();
    pub = mk(0);
    REDIS_OPTIONS_SET_TCP(&o, host, port);
    o.async_push_cb = trk_push;
    o.push_cb = (redisPushFn *)trk_push; /* cleared by the async constructor */
    ac = redisAsyncConnectWithOptions(&o);
    CHECK(ac->c.push_cb == NULL, "c.push_cb cleared");
    CHECK(ac->push_cb == trk_push, "push_cb from options");
    CHECK(redisAsyncSetPushCallback(ac, push_cb) == trk_push, "set returns the previous one");
    CHECK(redisAsyncSetPushCallback(ac, trk_push) == push_cb, "and again");
    tl_attach(ac);
    redisAsyncCommand(ac, NULL, NULL, "HELLO 3");
    redisAsyncCommand(ac, NULL, NULL, "CLIENT TRACKING on");
    redisAsyncCommand(ac, trk_get_cb, NULL, "GET async:trk");
    tl_run(&done, 10);
    CHECK(push_calls >= 1 && count_prefix("push:>invalidate") >= 1, "invalidate push delivered (%d)", push_calls);
    CHECK(ac->c.flags & REDIS_SUPPORTS_PUSH, "SUPPORTS_PUSH");
    if (tl_failed) dump();
    redisAsyncFree(ac);
    redisAsyncFree(pub);
    tl_run(NULL, 5);
}

/* ---- NOAUTOFREEREPLIES --------------------------------------------------------------------- */

static int kept;
static void keep_cb(redisAsyncContext *ac, void *r, void *priv) {
    (void)priv;
    if (r) { kept++; freeReplyObject(r); }
    if (kept == 2) redisAsyncDisconnect(ac);
}

static void t_noautofreereplies(void) {
    redisAsyncContext *ac;
    redisOptions o = {0};
    SECTION("NOAUTOFREEREPLIES: the callback owns the reply");
    kept = 0;
    REDIS_OPTIONS_SET_TCP(&o, host, port);
    o.options |= REDIS_OPT_NOAUTOFREEREPLIES;
    ac = redisAsyncConnectWithOptions(&o);
    CHECK(ac->c.flags & REDIS_NO_AUTO_FREE_REPLIES, "flag set");
    tl_attach(ac);
    redisAsyncCommand(ac, keep_cb, NULL, "PING");
    redisAsyncCommand(ac, keep_cb, NULL, "ECHO x");
    tl_run(NULL, 10);
    CHECK(kept == 2, "both replies handed over (valgrind checks nothing leaks or is freed twice)");
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    host = tl_env("REDIS_HOST", "127.0.0.1");
    port = atoi(tl_env("REDIS_PORT", "6379"));

    t_channels(0);
    t_channels(1);
    t_unsub_counting(0);
    t_unsub_counting(1);
    t_patterns(0);
    t_patterns(1);
    if (!getenv("ASYNC_REFERENCE")) { /* deliberate difference: hiredis misroutes sharded frames */
        t_sharded(0);
        t_sharded(1);
        t_free_subscribed();
    }
    t_monitor();
    t_push();
    t_noautofreereplies();
    return tl_done();
}
