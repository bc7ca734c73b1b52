/* Commands and replies on a live blocking connection: the upstream blocking-connection
 * checks (#74-#84, #105), binary safety, a 100 MB value, a 100,000-command pipeline, errors,
 * every RESP3 type via DEBUG PROTOCOL, RESP3 pushes with and without a handler (#85-#89),
 * the reader limits on a live connection, the low-level buffer functions, and a discarded
 * reply freed through the reader's own functions. */
#include <hiredis/hiredis.h>

#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <strings.h>

#include "testlib.h"

static const char *host;
static int port;
static const char *sock_path;

static redisContext *connect_db9(int unix_sock) {
    redisContext *c = unix_sock ? redisConnectUnix(sock_path) : redisConnect(host, port);
    redisReply *r;
    if (c == NULL || c->err) {
        printf("connect failed: %s\n", c ? c->errstr : "NULL");
        exit(1);
    }
    r = redisCommand(c, "SELECT 9");
    freeReplyObject(r);
    r = redisCommand(c, "FLUSHDB");
    freeReplyObject(r);
    return c;
}

static int is_status(redisReply *r, const char *s) {
    return r && r->type == REDIS_REPLY_STATUS && strcasecmp(r->str, s) == 0;
}

static void test_basics(int unix_sock) {
    redisContext *c = connect_db9(unix_sock);
    redisReply *r;
    const char *argv[3];
    size_t lens[3];
    SECTION(unix_sock ? "basics (unix)" : "basics (tcp)");

    r = redisCommand(c, "PING");
    CHECK(is_status(r, "pong") && r->len == 4, "#74 PING");
    freeReplyObject(r);

    r = redisCommand(c, "SET foo bar");
    CHECK(is_status(r, "ok"), "#75 SET verbatim");
    freeReplyObject(r);

    r = redisCommand(c, "SET %s %s", "foo", "hello world");
    freeReplyObject(r);
    r = redisCommand(c, "GET foo");
    CHECK(r && r->type == REDIS_REPLY_STRING && strcmp(r->str, "hello world") == 0, "#76 %%s with a space");
    freeReplyObject(r);

    r = redisCommand(c, "SET %b %b", "foo", (size_t)3, "hello\x00world", (size_t)11);
    freeReplyObject(r);
    r = redisCommand(c, "GET %b", "foo", (size_t)3);
    CHECK(r && r->type == REDIS_REPLY_STRING && r->len == 11 && memcmp(r->str, "hello\x00world", 11) == 0 &&
          r->str[11] == '\0', "#77/#78 %%b binary value");
    freeReplyObject(r);

    r = redisCommand(c, "GET nokey");
    CHECK(r && r->type == REDIS_REPLY_NIL && r->str == NULL && r->len == 0, "#79 nil");
    freeReplyObject(r);

    freeReplyObject(redisCommand(c, "DEL mycounter"));
    r = redisCommand(c, "INCR mycounter");
    CHECK(r && r->type == REDIS_REPLY_INTEGER && r->integer == 1, "#80 INCR");
    freeReplyObject(r);

    freeReplyObject(redisCommand(c, "LPUSH mylist foo"));
    freeReplyObject(redisCommand(c, "LPUSH mylist bar"));
    r = redisCommand(c, "LRANGE mylist 0 -1");
    CHECK(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
          r->element[0]->type == REDIS_REPLY_STRING && strcmp(r->element[0]->str, "bar") == 0 &&
          strcmp(r->element[1]->str, "foo") == 0, "#81 LRANGE");
    freeReplyObject(r);

    r = redisCommand(c, "MULTI");
    CHECK(is_status(r, "ok"), "MULTI");
    freeReplyObject(r);
    r = redisCommand(c, "LRANGE mylist 0 -1");
    CHECK(is_status(r, "queued"), "QUEUED");
    freeReplyObject(r);
    r = redisCommand(c, "PING");
    freeReplyObject(r);
    r = redisCommand(c, "EXEC");
    CHECK(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
          r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements == 2 &&
          strcmp(r->element[0]->element[0]->str, "bar") == 0 &&
          is_status(r->element[1], "pong"), "#82 nested EXEC");
    freeReplyObject(r);

    argv[0] = "SET"; argv[1] = "foo"; argv[2] = "bar";
    lens[0] = 3; lens[1] = 3; lens[2] = 3;
    r = redisCommandArgv(c, 3, argv, lens);
    CHECK(is_status(r, "ok"), "#83 redisCommandArgv");
    freeReplyObject(r);
    r = redisCommandArgv(c, 2, argv, NULL); /* GET? no: "SET foo" -> wrong number of args */
    CHECK(r && r->type == REDIS_REPLY_ERROR && strstr(r->str, "wrong number of arguments") != NULL,
          "argv without lengths reaches the server: %s", r ? r->str : "NULL");
    freeReplyObject(r);

    CHECK(redisAppendCommand(c, "PING") == REDIS_OK, "append");
    CHECK(redisGetReply(c, NULL) == REDIS_OK, "#84 redisGetReply(c, NULL)");

    {   /* #105 pre-formatted */
        char *cmd;
        int len = redisFormatCommand(&cmd, "SET %s %s", "pre", "formatted");
        void *reply = NULL;
        CHECK(len > 0 && redisAppendFormattedCommand(c, cmd, len) == REDIS_OK, "#105 append formatted");
        CHECK(redisGetReply(c, &reply) == REDIS_OK && is_status(reply, "ok"), "#105 reply");
        freeReplyObject(reply);
        redisFreeCommand(cmd);
    }

    /* keys and values with NUL bytes, both ways */
    argv[0] = "SET"; argv[1] = "k\0ey"; argv[2] = "v\0\0al\0";
    lens[1] = 4; lens[2] = 6;
    r = redisCommandArgv(c, 3, argv, lens);
    CHECK(is_status(r, "ok"), "SET with NULs");
    freeReplyObject(r);
    r = redisCommand(c, "GET %b", "k\0ey", (size_t)4);
    CHECK(r && r->type == REDIS_REPLY_STRING && r->len == 6 && memcmp(r->str, "v\0\0al\0", 6) == 0,
          "GET with a NUL key");
    freeReplyObject(r);
    r = redisCommand(c, "STRLEN %b", "k\0ey", (size_t)4);
    CHECK(r && r->type == REDIS_REPLY_INTEGER && r->integer == 6, "STRLEN 6");
    freeReplyObject(r);
    r = redisCommand(c, "EXISTS %b", "k", (size_t)1);
    CHECK(r && r->type == REDIS_REPLY_INTEGER && r->integer == 0, "key is not truncated at the NUL");
    freeReplyObject(r);

    /* errors are replies, not context errors */
    r = redisCommand(c, "NOSUCHCOMMAND x");
    CHECK(r && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "ERR unknown command", 19) == 0 && c->err == 0,
          "unknown command: %s", r ? r->str : "NULL");
    freeReplyObject(r);
    r = redisCommand(c, "INCR mylist");
    CHECK(r && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "WRONGTYPE", 9) == 0, "WRONGTYPE");
    freeReplyObject(r);
    r = redisCommand(c, "PING");
    CHECK(is_status(r, "pong"), "still usable after error replies");
    freeReplyObject(r);
    redisFree(c);
}

static void test_format_errors(void) {
    redisContext *c = connect_db9(0);
    size_t before;
    SECTION("format errors");
    before = sdslen(c->obuf);
    CHECK(redisAppendCommand(c, "GET %p", (void *)c) == REDIS_ERR, "unsupported directive");
    CHECK(c->err == REDIS_ERR_OTHER && strcmp(c->errstr, "Invalid format string") == 0, "'%s'", c->errstr);
    CHECK(sdslen(c->obuf) == before, "obuf untouched");
    CHECK(redisCommand(c, "PING") == NULL, "a context error is sticky");
    redisFree(c);
}

static void test_big_value(void) {
    redisContext *c = connect_db9(0);
    size_t n = 100u * 1024 * 1024, i;
    char *v = malloc(n);
    redisReply *r;
    SECTION("100 MB value");
    for (i = 0; i < n; i++) v[i] = (char)(i * 7 + (i >> 13));
    r = redisCommand(c, "SET big %b", v, n);
    CHECK(is_status(r, "ok"), "SET 100 MB: %s", r ? r->str : c->errstr);
    freeReplyObject(r);
    CHECK(sdslen(c->obuf) == 0, "obuf drained");
    CHECK(sdsalloc(c->obuf) <= 16 * 1024, "a 100 MB output buffer is released once sent: %zu bytes kept",
          sdsalloc(c->obuf));
    r = redisCommand(c, "GET big");
    CHECK(r && r->type == REDIS_REPLY_STRING && r->len == n && memcmp(r->str, v, n) == 0 && r->str[n] == '\0',
          "GET 100 MB back intact");
    freeReplyObject(r);
    freeReplyObject(redisCommand(c, "DEL big"));
    free(v);
    redisFree(c);
}

static void test_pipeline(void) {
    redisContext *c = connect_db9(0);
    int i, ok = 1, appended = 1;
    void *reply;
    SECTION("pipeline of 100,000");
    for (i = 0; i < 100000; i++) {
        if (i % 2 == 0) appended &= redisAppendCommand(c, "INCR counter") == REDIS_OK;
        else appended &= redisAppendCommand(c, "ECHO %d", i) == REDIS_OK;
    }
    CHECK(appended, "all appended");
    for (i = 0; i < 100000 && ok; i++) {
        redisReply *r;
        if (redisGetReply(c, &reply) != REDIS_OK) { ok = 0; break; }
        r = reply;
        if (i % 2 == 0) ok = r->type == REDIS_REPLY_INTEGER && r->integer == i / 2 + 1;
        else ok = r->type == REDIS_REPLY_STRING && atoi(r->str) == i;
        if (!ok) printf("   reply %d wrong (type %d)\n", i, r->type);
        freeReplyObject(r);
    }
    CHECK(ok && i == 100000, "100,000 replies in order (stopped at %d)", i);
    CHECK(sdslen(c->obuf) == 0 && c->err == 0, "nothing left");
    redisFree(c);
}

static void test_resp3_types(void) {
    redisContext *c = connect_db9(0);
    redisReply *r;
    SECTION("RESP3 types via DEBUG PROTOCOL");
    r = redisCommand(c, "HELLO 3");
    CHECK(r && r->type == REDIS_REPLY_MAP && r->elements % 2 == 0, "HELLO 3 gives a map");
    freeReplyObject(r);

    r = redisCommand(c, "DEBUG PROTOCOL string");
    CHECK(r && r->type == REDIS_REPLY_STRING && strcmp(r->str, "Hello World") == 0, "string");
    freeReplyObject(r);
    r = redisCommand(c, "DEBUG PROTOCOL integer");
    CHECK(r && r->type == REDIS_REPLY_INTEGER && r->integer == 12345, "integer");
    freeReplyObject(r);
    r = redisCommand(c, "DEBUG PROTOCOL double");
    CHECK(r && r->type == REDIS_REPLY_DOUBLE && r->dval == 3.141 && strcmp(r->str, "3.141") == 0 && r->len == 5,
          "double %f '%s'", r ? r->dval : 0, r && r->str ? r->str : "");
    freeReplyObject(r);
    r = redisCommand(c, "DEBUG PROTOCOL bignum");
    CHECK(r && r->type == REDIS_REPLY_BIGNUM && strcmp(r->str, "1234567999999999999999999999999999999") == 0, "bignum");
    freeReplyObject(r);
    r = redisCommand(c, "DEBUG PROTOCOL null");
    CHECK(r && r->type == REDIS_REPLY_NIL, "null");
    freeReplyObject(r);
    r = redisCommand(c, "DEBUG PROTOCOL array");
    CHECK(r && r->type == REDIS_REPLY_ARRAY && r->elements == 3 && r->element[2]->integer == 2, "array");
    freeReplyObject(r);
    r = redisCommand(c, "DEBUG PROTOCOL set");
    CHECK(r && r->type == REDIS_REPLY_SET && r->elements == 3, "set");
    freeReplyObject(r);
    r = redisCommand(c, "DEBUG PROTOCOL map");
    CHECK(r && r->type == REDIS_REPLY_MAP && r->elements == 6 && r->element[0]->type == REDIS_REPLY_INTEGER &&
          r->element[1]->type == REDIS_REPLY_BOOL, "map (3 pairs as 6 elements)");
    freeReplyObject(r);
    r = redisCommand(c, "DEBUG PROTOCOL verbatim");
    CHECK(r && r->type == REDIS_REPLY_VERB && strcmp(r->vtype, "txt") == 0 &&
          strcmp(r->str, "This is a verbatim\nstring") == 0, "verbatim");
    freeReplyObject(r);
    r = redisCommand(c, "DEBUG PROTOCOL true");
    CHECK(r && r->type == REDIS_REPLY_BOOL && r->integer == 1, "true");
    freeReplyObject(r);
    r = redisCommand(c, "DEBUG PROTOCOL false");
    CHECK(r && r->type == REDIS_REPLY_BOOL && r->integer == 0, "false");
    freeReplyObject(r);

    /* A push before the reply: the default handler drops it, the reply follows. */
    r = redisCommand(c, "DEBUG PROTOCOL push");
    CHECK(r && r->type == REDIS_REPLY_STRING && strcmp(r->str, "Some real reply following the push reply") == 0,
          "push swallowed by the default handler, then the reply (type %d)", r ? r->type : -1);
    freeReplyObject(r);
    redisSetPushCallback(c, NULL);
    r = redisCommand(c, "DEBUG PROTOCOL push");
    CHECK(r && r->type == REDIS_REPLY_PUSH && r->elements == 2 && strcmp(r->element[0]->str, "server-cpu-usage") == 0,
          "push in-band without a handler");
    freeReplyObject(r);
    CHECK(redisGetReply(c, (void **)&r) == REDIS_OK && r && r->type == REDIS_REPLY_STRING, "then its reply");
    freeReplyObject(r);

    r = redisCommand(c, "DEBUG PROTOCOL attrib");
    CHECK(r && (r->type == REDIS_REPLY_ATTR || r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_STRING),
          "attribute (type %d)", r ? r->type : -1);
    if (r && r->type == REDIS_REPLY_ATTR) {
        freeReplyObject(r);
        CHECK(redisGetReply(c, (void **)&r) == REDIS_OK && r != NULL, "the reply after the attribute");
    }
    freeReplyObject(r);
    r = redisCommand(c, "PING");
    CHECK(is_status(r, "pong"), "in sync after every type");
    freeReplyObject(r);
    redisFree(c);
}

static int invalidations;
static void count_push(void *privdata, void *reply) {
    redisReply *r = reply, *payload;
    int *n = privdata;
    if (r->type == REDIS_REPLY_PUSH && r->elements == 2 && strcmp(r->element[0]->str, "invalidate") == 0) {
        payload = r->element[1];
        if (payload->type == REDIS_REPLY_ARRAY) (*n)++;
        else if (payload->type == REDIS_REPLY_NIL) (*n) += 100;
    }
    freeReplyObject(reply);
}

static void test_push(int unix_sock) {
    redisOptions o = {0};
    redisContext *c;
    redisReply *r;
    SECTION(unix_sock ? "RESP3 pushes (unix)" : "RESP3 pushes (tcp)");
    if (unix_sock) REDIS_OPTIONS_SET_UNIX(&o, sock_path);
    else REDIS_OPTIONS_SET_TCP(&o, host, port);
    o.privdata = &invalidations;
    c = redisConnectWithOptions(&o);
    CHECK(c && c->err == 0 && c->push_cb != NULL, "connected with the default handler");
    freeReplyObject(redisCommand(c, "SELECT 9"));
    r = redisCommand(c, "HELLO 3");
    freeReplyObject(r);
    r = redisCommand(c, "CLIENT TRACKING ON");
    CHECK(is_status(r, "ok"), "tracking on");
    freeReplyObject(r);

    /* #85 default handler */
    freeReplyObject(redisCommand(c, "GET key:0"));
    r = redisCommand(c, "SET key:0 val:0");
    CHECK(is_status(r, "ok"), "#85 invalidation handled out of band by default");
    freeReplyObject(r);
    r = redisCommand(c, "PING"); /* reads (and drops) the invalidation that follows the reply */
    CHECK(is_status(r, "pong"), "#85 and the next reply is ours");
    freeReplyObject(r);

    /* #86 custom handler counts (privdata is the context's). Redis 7 sends the invalidation
     * after the SET reply, so the next command's read delivers it. */
    invalidations = 0;
    redisSetPushCallback(c, count_push);
    freeReplyObject(redisCommand(c, "GET key:0"));
    freeReplyObject(redisCommand(c, "SET key:0 val:1"));
    r = redisCommand(c, "PING");
    CHECK(is_status(r, "pong") && invalidations == 1, "#86 custom handler saw %d", invalidations);
    freeReplyObject(r);

    /* #87 FLUSHDB gives a NIL payload */
    freeReplyObject(redisCommand(c, "GET key:0"));
    freeReplyObject(redisCommand(c, "FLUSHDB"));
    r = redisCommand(c, "PING");
    CHECK(is_status(r, "pong") && invalidations == 101, "#87 NIL payload (%d)", invalidations);
    freeReplyObject(r);

    /* #88/#89 no handler: the push comes in-band, and no reply is lost */
    redisSetPushCallback(c, NULL);
    freeReplyObject(redisCommand(c, "GET key:0"));
    r = redisCommand(c, "SET key:0 val:0");
    if (r && r->type == REDIS_REPLY_STATUS) { /* the push follows the reply */
        freeReplyObject(r);
        r = redisCommand(c, "PING");
    }
    CHECK(r && r->type == REDIS_REPLY_PUSH && r->elements == 2, "#88 push in-band (type %d)", r ? r->type : -1);
    freeReplyObject(r);
    CHECK(redisGetReply(c, (void **)&r) == REDIS_OK && r && r->type == REDIS_REPLY_STATUS, "#89 the next reply follows");
    freeReplyObject(r);
    r = redisCommand(c, "ECHO sync");
    CHECK(r && r->type == REDIS_REPLY_STRING && strcmp(r->str, "sync") == 0, "in sync");
    freeReplyObject(r);
    redisFree(c);

    /* NO_PUSH_AUTOFREE: same in-band behaviour from the start */
    o.options = REDIS_OPT_NO_PUSH_AUTOFREE;
    c = redisConnectWithOptions(&o);
    freeReplyObject(redisCommand(c, "SELECT 9"));
    freeReplyObject(redisCommand(c, "HELLO 3"));
    freeReplyObject(redisCommand(c, "CLIENT TRACKING ON"));
    freeReplyObject(redisCommand(c, "GET key:1"));
    r = redisCommand(c, "SET key:1 v");
    if (r && r->type == REDIS_REPLY_STATUS) {
        freeReplyObject(r);
        r = redisCommand(c, "PING");
    }
    CHECK(c->push_cb == NULL && r && r->type == REDIS_REPLY_PUSH, "NO_PUSH_AUTOFREE: in-band push");
    freeReplyObject(r);
    CHECK(redisGetReply(c, (void **)&r) == REDIS_OK && r && r->type == REDIS_REPLY_STATUS, "reply follows");
    freeReplyObject(r);
    redisFree(c);
}

static void test_reader_limits(void) {
    redisContext *c = connect_db9(0);
    redisReply *r;
    size_t n = 1 << 20, i;
    char *v = malloc(n);
    SECTION("reader limits on a live connection");
    for (i = 0; i < n; i++) v[i] = 'a' + i % 26;
    freeReplyObject(redisCommand(c, "SET mb %b", v, n));
    c->reader->maxbuf = 0; /* redis-benchmark does this: never shrink the buffer */
    r = redisCommand(c, "GET mb");
    CHECK(r && r->len == n && memcmp(r->str, v, n) == 0, "1 MB with maxbuf 0");
    freeReplyObject(r);
    CHECK(c->reader->buf != NULL && c->reader->pos <= c->reader->len && c->reader->len == sdslen(c->reader->buf),
          "reader buffer consistent between calls");
    c->reader->maxbuf = 1;
    r = redisCommand(c, "GET mb");
    CHECK(r && r->len == n, "1 MB with maxbuf 1");
    freeReplyObject(r);

    freeReplyObject(redisCommand(c, "RPUSH three a b c"));
    c->reader->maxelements = 2;
    r = redisCommand(c, "LRANGE three 0 -1");
    CHECK(r == NULL && c->err == REDIS_ERR_PROTOCOL && strcmp(c->errstr, "Multi-bulk length out of range") == 0,
          "maxelements: %d '%s'", c->err, c->errstr);
    freeReplyObject(r);
    CHECK(redisCommand(c, "PING") == NULL, "the protocol error is sticky");
    free(v);
    redisFree(c);
}

static void test_buffer_functions(void) {
    redisContext *c = connect_db9(0);
    void *reply = NULL;
    int done = 0, rounds = 0;
    SECTION("redisBufferWrite / redisBufferRead / redisGetReplyFromReader");
    CHECK(redisBufferWrite(c, &done) == REDIS_OK && done == 1, "nothing to write is done");
    redisAppendCommand(c, "PING");
    redisAppendCommand(c, "ECHO %s", "two");
    done = 0;
    while (!done) CHECK(redisBufferWrite(c, &done) == REDIS_OK, "write");
    CHECK(sdslen(c->obuf) == 0, "obuf empty after the write");
    /* hiredis-rs keeps a small emptied buffer for the next commands (hiredis makes a new one);
     * either way it is empty, NUL-terminated and usable. */
    CHECK(c->obuf[0] == '\0' && sdsalloc(c->obuf) <= 16 * 1024, "small obuf: %zu bytes", sdsalloc(c->obuf));
    while (reply == NULL && rounds++ < 100) {
        CHECK(redisBufferRead(c) == REDIS_OK, "read");
        CHECK(redisGetReplyFromReader(c, &reply) == REDIS_OK, "reader step");
    }
    CHECK(is_status(reply, "pong"), "first reply");
    freeReplyObject(reply);
    reply = NULL;
    while (reply == NULL && rounds++ < 100) {
        if (redisGetReplyFromReader(c, &reply) != REDIS_OK) break;
        if (reply == NULL) redisBufferRead(c);
    }
    CHECK(reply && ((redisReply *)reply)->type == REDIS_REPLY_STRING && strcmp(((redisReply *)reply)->str, "two") == 0,
          "second reply");
    freeReplyObject(reply);

    c->err = REDIS_ERR_IO;
    CHECK(redisBufferRead(c) == REDIS_ERR && redisBufferWrite(c, &done) == REDIS_ERR, "I/O refused once err is set");
    redisFree(c);
}

/* A reader's own functions: tagged objects, counted as they are made and freed. */
#define TOBJ_MAGIC 0x70626a74u
typedef struct tobj {
    unsigned magic;
    size_t n; /* children */
    struct tobj **child;
} tobj;
static int tobj_made, tobj_freed, tobj_foreign;

static void *tobj_new(const redisReadTask *t, size_t n) {
    tobj *o = calloc(1, sizeof *o);
    if (o == NULL) return NULL;
    o->magic = TOBJ_MAGIC;
    o->n = n;
    if (n > 0 && (o->child = calloc(n, sizeof *o->child)) == NULL) {
        free(o);
        return NULL;
    }
    if (t->parent) {
        tobj *p = t->parent->obj;
        if (p->magic == TOBJ_MAGIC && (size_t)t->idx < p->n) p->child[t->idx] = o;
    }
    tobj_made++;
    return o;
}
static void *tobj_string(const redisReadTask *t, char *s, size_t len) { (void)s; (void)len; return tobj_new(t, 0); }
static void *tobj_array(const redisReadTask *t, size_t n) { return tobj_new(t, n); }
static void *tobj_integer(const redisReadTask *t, long long v) { (void)v; return tobj_new(t, 0); }
static void *tobj_nil(const redisReadTask *t) { return tobj_new(t, 0); }
static void tobj_free(void *p) {
    tobj *o = p;
    size_t i;
    if (o == NULL) return;
    if (o->magic != TOBJ_MAGIC) { /* not one of ours: what freeReplyObject's objects would be */
        tobj_foreign++;
        return;
    }
    for (i = 0; i < o->n; i++) tobj_free(o->child[i]);
    o->magic = 0;
    free(o->child);
    free(o);
    tobj_freed++;
}

static void test_discard_own_functions(void) {
    redisContext *c = connect_db9(0);
    redisReplyObjectFunctions fns = {0}, *saved = c->reader->fn;
    void *reply = NULL;
    SECTION("redisGetReply(c, NULL) frees a discarded reply with the reader's own freeObject");
    fns.createString = tobj_string;
    fns.createArray = tobj_array;
    fns.createInteger = tobj_integer;
    fns.createNil = tobj_nil;
    fns.freeObject = tobj_free;
    freeReplyObject(redisCommand(c, "RPUSH three a b c"));
    c->reader->fn = &fns;
    CHECK(redisAppendCommand(c, "PING") == REDIS_OK && redisGetReply(c, NULL) == REDIS_OK, "PING discarded");
    CHECK(tobj_made == 1 && tobj_freed == 1 && tobj_foreign == 0, "status: made %d, freed %d, foreign %d",
          tobj_made, tobj_freed, tobj_foreign);
    CHECK(redisAppendCommand(c, "LRANGE three 0 -1") == REDIS_OK && redisGetReply(c, NULL) == REDIS_OK,
          "LRANGE discarded");
    CHECK(tobj_made == 5 && tobj_freed == 5 && tobj_foreign == 0, "array of 3: made %d, freed %d, foreign %d",
          tobj_made, tobj_freed, tobj_foreign);
    /* A reply handed out is the caller's: nothing is freed for it. */
    CHECK(redisAppendCommand(c, "GET missing") == REDIS_OK && redisGetReply(c, &reply) == REDIS_OK && reply != NULL,
          "nil handed out");
    CHECK(tobj_made == 6 && tobj_freed == 5, "handed out, not freed: made %d, freed %d", tobj_made, tobj_freed);
    tobj_free(reply);
    c->reader->fn = saved;
    redisFree(c);
}

int main(void) {
    host = tl_env("REDIS_HOST", "127.0.0.1");
    port = atoi(tl_env("REDIS_PORT", "6379"));
    sock_path = tl_env("REDIS_SOCK", "/tmp/redis.sock");
    signal(SIGPIPE, SIG_IGN);

    test_basics(0);
    test_basics(1);
    test_format_errors();
    test_pipeline();
    test_resp3_types();
    test_push(0);
    test_push(1);
    test_reader_limits();
    test_buffer_functions();
    test_discard_own_functions();
    test_big_value();
    return tl_done();
}
