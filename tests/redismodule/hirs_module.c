/* A Redis module for tests/redismodule/run.sh: it uses the hiredis-rs async API through
 * adapters/redismoduleapi.h, on the event loop of the redis-server that loaded it, to talk
 * to a second redis-server. Built at test time against the staged headers and the static
 * library (see run.sh for why static).
 *
 *   HIRS.CHECK                          what the module sees of the adapter and the library
 *   HIRS.RUN scenario host port [n]     runs one scenario against host:port and replies with
 *                                       one line of "label:value" facts (the client checks them)
 *
 * HIRS.RUN blocks its caller until every connection of the scenario is freed (the library
 * calls dataCleanup last); the reply is composed afterwards, when the server serves the
 * unblocked client, so by then the adapter has run its cleanup too. */
#define _GNU_SOURCE /* dladdr */
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/redismoduleapi.h>

#include <dlfcn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The adapter's names, signatures and state fields are hiredis 1.4.1's (a program written
 * for its adapter compiles unchanged): checked at compile time. */
#define HIRS_IS(expr, type) _Static_assert(_Generic((expr), type: 1, default: 0), #expr " is not " #type)
HIRS_IS(redisModuleAttach, int (*)(redisAsyncContext *, RedisModuleCtx *));
HIRS_IS(redisModuleCompatibilityCheck, int (*)(void));
HIRS_IS(redisModuleReadEvent, void (*)(int, void *, int));
HIRS_IS(redisModuleWriteEvent, void (*)(int, void *, int));
HIRS_IS(redisModuleAddRead, void (*)(void *));
HIRS_IS(redisModuleDelRead, void (*)(void *));
HIRS_IS(redisModuleAddWrite, void (*)(void *));
HIRS_IS(redisModuleDelWrite, void (*)(void *));
HIRS_IS(redisModuleStopTimer, void (*)(void *));
HIRS_IS(redisModuleCleanup, void (*)(void *));
HIRS_IS(redisModuleTimeout, void (*)(RedisModuleCtx *, void *));
HIRS_IS(redisModuleSetTimeout, void (*)(void *, struct timeval));
#define HIRS_FIELD(name, type) HIRS_IS(((redisModuleEvents *)0)->name, type)
HIRS_FIELD(context, redisAsyncContext *);
HIRS_FIELD(module_ctx, RedisModuleCtx *);
HIRS_FIELD(fd, int);
HIRS_FIELD(reading, int);
HIRS_FIELD(writing, int);
HIRS_FIELD(timer_active, int);
HIRS_FIELD(timer_id, RedisModuleTimerID);

/* Outlives every connection: the adapter hands it to the timer calls (see the adapter). */
static RedisModuleCtx *hirs_ctx;

typedef struct run {
    RedisModuleBlockedClient *bc;
    char out[1024];      /* the facts so far, "label:value " each */
    int live;            /* contexts not yet freed */
    long n;              /* scenario size (pipeline length, context count) */
    int many;            /* many contexts: their callbacks log failures only */
    long got, good;      /* replies seen, replies as expected */
    double started;      /* seconds, monotonic */
    int saw_timer;       /* a command timer was pending before the disconnect... */
    RedisModuleTimerID timer_id; /* ...with this id */
} run;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void add(run *r, const char *fmt, ...) {
    size_t used = strlen(r->out);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(r->out + used, sizeof(r->out) - used, fmt, ap);
    va_end(ap);
}

/* "label:value " for a reply: NULL (the library gave up on it), nil, or its text. */
static void add_reply(run *r, const char *label, const redisReply *reply) {
    if (reply == NULL)
        add(r, "%s:NULL ", label);
    else if (reply->type == REDIS_REPLY_INTEGER)
        add(r, "%s:%lld ", label, reply->integer);
    else if (reply->type == REDIS_REPLY_NIL)
        add(r, "%s:nil ", label);
    else if (reply->type == REDIS_REPLY_ERROR)
        add(r, "%s:ERR(%s) ", label, reply->str);
    else if (reply->str != NULL)
        add(r, "%s:%s ", label, reply->str);
    else
        add(r, "%s:type%d ", label, reply->type);
}

/* ---- the blocked caller ---------------------------------------------------------------- */

/* Reply callback privdata: a label naming the reply in the facts (-Wwrite-strings makes a
 * literal const). */
#define LABEL(s) ((void *)(s))

static int reply_done(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    run *r = (run *)RedisModule_GetBlockedClientPrivateData(ctx);
    size_t len;
    (void)argv;
    (void)argc;

    if (r->many)
        add(r, "many:%ld/%ld/%ld ", r->good, r->got, r->n);
    /* The adapter's cleanup has run: a timer it had pending must be gone. */
    if (r->saw_timer)
        add(r, "timer_stopped:%d ",
            RedisModule_GetTimerInfo(hirs_ctx, r->timer_id, NULL, NULL) == REDISMODULE_ERR);
    len = strlen(r->out);
    if (len > 0 && r->out[len - 1] == ' ')
        len--; /* each fact ends in a space */
    return RedisModule_ReplyWithStringBuffer(ctx, r->out, len);
}

static int reply_timeout(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    (void)argv;
    (void)argc;
    return RedisModule_ReplyWithError(ctx, "ERR hirs: the scenario did not finish in time");
}

static void free_run(RedisModuleCtx *ctx, void *privdata) {
    (void)ctx;
    free(privdata);
}

/* ---- connections ----------------------------------------------------------------------- */

static void on_connect(const redisAsyncContext *ac, int status) {
    run *r = (run *)ac->data;
    if (!r->many) /* one context: its status is a fact; many: only the failures are */
        add(r, "connect:%d ", status);
    else if (status != REDIS_OK)
        add(r, "connect_failed:%s ", ac->errstr);
    if (status != REDIS_OK)
        add(r, "err:%d errstr:%s ", ac->err, ac->errstr);
}

static void on_disconnect(const redisAsyncContext *ac, int status) {
    run *r = (run *)ac->data;
    if (!r->many)
        add(r, "disconnect:%d ", status);
    if (status != REDIS_OK)
        add(r, "err:%d errstr:%s ", ac->err, ac->errstr);
}

/* The library's last call in a context's free sequence. */
static void on_cleanup(void *privdata) {
    run *r = (run *)privdata;
    if (--r->live == 0)
        RedisModule_UnblockClient(r->bc, r);
}

static redisAsyncContext *open_ctx(run *r, const char *host, int port) {
    redisAsyncContext *ac = redisAsyncConnect(host, port);

    if (ac == NULL || ac->err) {
        add(r, "connect_error:%s ", ac ? ac->errstr : "out of memory");
        if (ac)
            redisAsyncFree(ac);
        return NULL;
    }
    if (redisModuleAttach(ac, hirs_ctx) != REDIS_OK) {
        add(r, "attach_failed ");
        redisAsyncFree(ac);
        return NULL;
    }
    if (!r->many) /* a second attach is refused */
        add(r, "attach2:%d ", redisModuleAttach(ac, hirs_ctx));
    ac->data = r;
    ac->dataCleanup = on_cleanup;
    r->live++;
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    return ac;
}

/* ---- reply callbacks ------------------------------------------------------------------- */

static void cb_log(redisAsyncContext *ac, void *reply, void *label) {
    add_reply((run *)ac->data, (const char *)label, (redisReply *)reply);
}

/* Logs, notes the adapter's pending timer, then ends the connection cleanly. */
static void cb_log_disconnect(redisAsyncContext *ac, void *reply, void *label) {
    run *r = (run *)ac->data;
    redisModuleEvents *e = (redisModuleEvents *)ac->ev.data;

    add_reply(r, (const char *)label, (redisReply *)reply);
    if (e != NULL && e->timer_active) {
        r->saw_timer = 1;
        r->timer_id = e->timer_id;
        add(r, "timer_pending:%d ",
            RedisModule_GetTimerInfo(hirs_ctx, e->timer_id, NULL, NULL) == REDISMODULE_OK);
    }
    redisAsyncDisconnect(ac);
}

/* The timeout scenario: how long the first NULL took. */
static void cb_timed(redisAsyncContext *ac, void *reply, void *label) {
    run *r = (run *)ac->data;
    add_reply(r, (const char *)label, (redisReply *)reply);
    if (reply == NULL && r->got++ == 0)
        add(r, "elapsed_ms:%ld ", (long)((now() - r->started) * 1000.0));
}

/* The pipeline: INCR replies must count up 1, 2, 3... in order. */
static void cb_incr(redisAsyncContext *ac, void *reply, void *privdata) {
    run *r = (run *)ac->data;
    redisReply *rr = (redisReply *)reply;
    (void)privdata;
    r->got++;
    if (rr != NULL && rr->type == REDIS_REPLY_INTEGER && rr->integer == r->got)
        r->good++;
}

static void cb_pipeline_end(redisAsyncContext *ac, void *reply, void *label) {
    run *r = (run *)ac->data;
    add(r, "incr:%ld/%ld/%ld ", r->good, r->got, r->n);
    cb_log_disconnect(ac, reply, label);
}

/* Self-kill: CLIENT ID's reply names the connection, which then asks to be killed. */
static void cb_client_id(redisAsyncContext *ac, void *reply, void *privdata) {
    redisReply *rr = (redisReply *)reply;
    (void)privdata;
    if (rr == NULL || rr->type != REDIS_REPLY_INTEGER) {
        add_reply((run *)ac->data, "id", rr);
        redisAsyncDisconnect(ac);
        return;
    }
    redisAsyncCommand(ac, cb_log, LABEL("kill"), "CLIENT KILL ID %lld SKIPME no", rr->integer);
    redisAsyncCommand(ac, cb_log, LABEL("ping"), "PING");
}

/* Frees its own context from inside the reply callback (the adapter's read handler is on
 * the stack). */
static void cb_free_here(redisAsyncContext *ac, void *reply, void *label) {
    add_reply((run *)ac->data, (const char *)label, (redisReply *)reply);
    redisAsyncFree(ac);
}

/* Many contexts: each GET must return what its SET stored. */
static void cb_many_get(redisAsyncContext *ac, void *reply, void *privdata) {
    run *r = (run *)ac->data;
    redisReply *rr = (redisReply *)reply;
    char want[32];

    snprintf(want, sizeof(want), "v%ld", (long)(intptr_t)privdata);
    r->got++;
    if (rr != NULL && rr->type == REDIS_REPLY_STRING && strcmp(rr->str, want) == 0)
        r->good++;
    redisAsyncDisconnect(ac);
}

/* ---- scenarios ------------------------------------------------------------------------- */

static int start(run *r, const char *scenario, const char *host, int port) {
    redisAsyncContext *ac;
    struct timeval tv = {0, 0};

    if (strcmp(scenario, "many") == 0) {
        r->many = 1;
        for (long i = 0; i < r->n; i++) {
            if ((ac = open_ctx(r, host, port)) == NULL)
                break;
            redisAsyncCommand(ac, NULL, NULL, "SET hirs:many:%ld v%ld", i, i);
            redisAsyncCommand(ac, cb_many_get, (void *)(intptr_t)i, "GET hirs:many:%ld", i);
        }
        return r->live > 0;
    }

    if ((ac = open_ctx(r, host, port)) == NULL)
        return 0;
    if (strcmp(scenario, "setget") == 0) {
        tv.tv_sec = 5; /* armed while the commands are out; cleanup must stop it */
        redisAsyncSetTimeout(ac, tv);
        redisAsyncCommand(ac, cb_log, LABEL("set"), "SET hirs:k %s", "hello world");
        redisAsyncCommand(ac, cb_log, LABEL("get"), "GET hirs:k");
        redisAsyncCommand(ac, cb_log_disconnect, LABEL("del"), "DEL hirs:k");
    } else if (strcmp(scenario, "pipeline") == 0) {
        redisAsyncCommand(ac, NULL, NULL, "DEL hirs:ctr");
        for (long i = 0; i < r->n; i++)
            redisAsyncCommand(ac, cb_incr, NULL, "INCR hirs:ctr");
        redisAsyncCommand(ac, cb_pipeline_end, LABEL("get"), "GET hirs:ctr");
    } else if (strcmp(scenario, "timeout") == 0) {
        tv.tv_usec = 300000;
        redisAsyncSetTimeout(ac, tv);
        r->started = now();
        redisAsyncCommand(ac, cb_timed, LABEL("sleep"), "DEBUG SLEEP 2");
        redisAsyncCommand(ac, cb_timed, LABEL("ping"), "PING");
    } else if (strcmp(scenario, "disconnect") == 0) {
        redisAsyncCommand(ac, cb_log, LABEL("ping"), "PING");
        redisAsyncCommand(ac, cb_log, LABEL("echo"), "ECHO %s", "bye");
        redisAsyncDisconnect(ac);
        add(r, "after:%d ", redisAsyncCommand(ac, cb_log, LABEL("late"), "PING"));
    } else if (strcmp(scenario, "killed") == 0) {
        redisAsyncCommand(ac, cb_client_id, NULL, "CLIENT ID");
    } else if (strcmp(scenario, "freeincb") == 0) {
        redisAsyncCommand(ac, cb_free_here, LABEL("ping1"), "PING");
        redisAsyncCommand(ac, cb_log, LABEL("ping2"), "PING");
    } else if (strcmp(scenario, "refused") == 0) {
        /* nothing to send: the connect itself fails, seen through write readiness */
    } else {
        add(r, "unknown_scenario ");
        redisAsyncFree(ac);
        return 0;
    }
    return 1;
}

static int cmd_run(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    const char *scenario, *host;
    long long port, n = 0;
    run *r;

    if (argc < 4 || argc > 5)
        return RedisModule_WrongArity(ctx);
    scenario = RedisModule_StringPtrLen(argv[1], NULL);
    host = RedisModule_StringPtrLen(argv[2], NULL);
    if (RedisModule_StringToLongLong(argv[3], &port) != REDISMODULE_OK ||
        (argc == 5 && RedisModule_StringToLongLong(argv[4], &n) != REDISMODULE_OK))
        return RedisModule_ReplyWithError(ctx, "ERR hirs: port and n must be integers");

    r = (run *)calloc(1, sizeof(*r));
    if (r == NULL)
        return RedisModule_ReplyWithError(ctx, "ERR hirs: out of memory");
    r->n = (long)n;
    r->bc = RedisModule_BlockClient(ctx, reply_done, reply_timeout, free_run, 20000);
    if (!start(r, scenario, host, (int)port)) {
        /* no context lives on to finish the run: finish it here */
        RedisModule_UnblockClient(r->bc, r);
    }
    return REDISMODULE_OK;
}

static int cmd_check(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    Dl_info lib, self;
    char out[512];
    (void)argv;
    (void)argc;

    /* Where this module's calls into hiredis land: in the module itself (the static
     * hiredis-rs), not in the hiredis copy inside redis-server. */
    if (dladdr((void *)redisAsyncConnect, &lib) == 0 || dladdr((void *)cmd_check, &self) == 0)
        return RedisModule_ReplyWithError(ctx, "ERR hirs: dladdr failed");
    snprintf(out, sizeof(out), "compat:%d hiredis_in_module:%d version:%d.%d.%d",
             redisModuleCompatibilityCheck(), strcmp(lib.dli_fname, self.dli_fname) == 0,
             HIREDIS_MAJOR, HIREDIS_MINOR, HIREDIS_PATCH);
    return RedisModule_ReplyWithStringBuffer(ctx, out, strlen(out));
}

int RedisModule_OnLoad(RedisModuleCtx *ctx, RedisModuleString **argv, int argc) {
    (void)argv;
    (void)argc;
    if (RedisModule_Init(ctx, "hirs", 1, REDISMODULE_APIVER_1) == REDISMODULE_ERR)
        return REDISMODULE_ERR;
    hirs_ctx = RedisModule_GetDetachedThreadSafeContext(ctx);
    if (hirs_ctx == NULL)
        return REDISMODULE_ERR;
    if (RedisModule_CreateCommand(ctx, "hirs.run", cmd_run, "", 0, 0, 0) == REDISMODULE_ERR ||
        RedisModule_CreateCommand(ctx, "hirs.check", cmd_check, "", 0, 0, 0) == REDISMODULE_ERR)
        return REDISMODULE_ERR;
    return REDISMODULE_OK;
}
