/* The RESP reader through the public C API: every reply type, every error text, limits,
 * the builder contract, buffer handling and input split at arbitrary points.
 * Needs no server. Builds against any hiredis 1.4.1-compatible install. */
#include <hiredis/hiredis.h>

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testlib.h"

/* ---- helpers ------------------------------------------------------------------------ */

/* Feeds `len` bytes in `step`-byte pieces, asking for a reply after each piece. Returns the
 * first reply (or NULL) and the last status in *rc; the reader is freed unless kept. */
static void *read_in_steps(redisReader *r, const char *buf, size_t len, size_t step, int *rc) {
    void *reply = NULL;
    *rc = REDIS_OK;
    for (size_t off = 0; off < len && reply == NULL && *rc == REDIS_OK; off += step) {
        size_t n = len - off < step ? len - off : step;
        if (redisReaderFeed(r, buf + off, n) != REDIS_OK) {
            *rc = REDIS_ERR;
            break;
        }
        *rc = redisReaderGetReply(r, &reply);
    }
    return reply;
}

/* One reply from a fresh default reader fed all of `buf` at once. */
static redisReply *parse(const char *buf, size_t len, int *rc, char *err, size_t errlen) {
    redisReader *r = redisReaderCreate();
    void *reply = NULL;
    redisReaderFeed(r, buf, len);
    *rc = redisReaderGetReply(r, &reply);
    if (err) snprintf(err, errlen, "%s", r->errstr);
    redisReaderFree(r);
    return reply;
}

#define PARSE(lit, rcp) parse(lit, sizeof(lit) - 1, rcp, NULL, 0)
#define FEED(r, lit) redisReaderFeed(r, lit, sizeof(lit) - 1)

/* The error text a fresh reader reports for `buf` (empty when there is no error). */
static const char *error_for(const char *buf, size_t len) {
    static char err[128];
    int rc;
    redisReply *reply = parse(buf, len, &rc, err, sizeof(err));
    if (rc == REDIS_OK) err[0] = '\0';
    freeReplyObject(reply);
    return err;
}

#define ERROR_FOR(lit) error_for(lit, sizeof(lit) - 1)

/* Renders a reply tree into `out` (bounded), for comparing parses. */
static void render(const redisReply *r, char *out, size_t cap) {
    size_t used = strlen(out);
    if (used + 64 >= cap) return;
    char *p = out + used;
    if (r == NULL) { strcpy(p, "NULL"); return; }
    switch (r->type) {
    case REDIS_REPLY_INTEGER: case REDIS_REPLY_BOOL:
        snprintf(p, cap - used, "%d:%lld", r->type, r->integer); break;
    case REDIS_REPLY_NIL:
        snprintf(p, cap - used, "nil"); break;
    case REDIS_REPLY_DOUBLE:
        snprintf(p, cap - used, "d:%.17g/%.*s", r->dval, (int)r->len, r->str); break;
    case REDIS_REPLY_VERB:
        snprintf(p, cap - used, "v:%s:%.*s", r->vtype, (int)r->len, r->str); break;
    case REDIS_REPLY_STRING: case REDIS_REPLY_STATUS: case REDIS_REPLY_ERROR:
    case REDIS_REPLY_BIGNUM:
        snprintf(p, cap - used, "%d:%zu:%.*s", r->type, r->len, (int)r->len, r->str); break;
    default:
        snprintf(p, cap - used, "%d[", r->type);
        for (size_t i = 0; i < r->elements; i++) {
            if (i) strncat(out, ",", cap - strlen(out) - 1);
            render(r->element[i], out, cap);
        }
        strncat(out, "]", cap - strlen(out) - 1);
    }
}

/* ---- counting builders, wrapping the default table ---------------------------------- */

static redisReplyObjectFunctions *defaults; /* the table redisReaderCreate installs */
static int made, freed, fail_after = -1;

#define MAX_SEEN 64
static struct seen {
    int type; long long elements; int idx; int has_parent; int parent_type;
    long long parent_elements; void *parent_obj; void *privdata; void *obj;
} seen[MAX_SEEN];
static int nseen;

static void *count(const redisReadTask *t, void *obj) {
    if (nseen < MAX_SEEN) {
        struct seen *s = &seen[nseen++];
        s->type = t->type; s->elements = t->elements; s->idx = t->idx;
        s->has_parent = t->parent != NULL; s->privdata = t->privdata; s->obj = obj;
        if (t->parent) {
            s->parent_type = t->parent->type;
            s->parent_elements = t->parent->elements;
            s->parent_obj = t->parent->obj;
        }
    }
    if (obj) made++;
    return obj;
}

static int should_fail(void) {
    if (fail_after == 0) return 1;
    if (fail_after > 0) fail_after--;
    return 0;
}

static void *c_string(const redisReadTask *t, char *s, size_t n) {
    return count(t, should_fail() ? NULL : defaults->createString(t, s, n));
}
static void *c_array(const redisReadTask *t, size_t n) {
    return count(t, should_fail() ? NULL : defaults->createArray(t, n));
}
static void *c_integer(const redisReadTask *t, long long v) {
    return count(t, should_fail() ? NULL : defaults->createInteger(t, v));
}
static char last_double_text[400];
static void *c_double(const redisReadTask *t, double d, char *s, size_t n) {
    /* The text must be NUL-terminated right after `n` bytes. */
    snprintf(last_double_text, sizeof(last_double_text), "%s|%zu", s, n);
    return count(t, should_fail() ? NULL : defaults->createDouble(t, d, s, n));
}
static void *c_nil(const redisReadTask *t) {
    return count(t, should_fail() ? NULL : defaults->createNil(t));
}
static void *c_bool(const redisReadTask *t, int v) {
    return count(t, should_fail() ? NULL : defaults->createBool(t, v));
}
static void c_free(void *obj) {
    freed++;
    defaults->freeObject(obj);
}

static redisReplyObjectFunctions counting = {
    c_string, c_array, c_integer, c_double, c_nil, c_bool, c_free
};

static void reset_counts(void) {
    made = freed = nseen = 0;
    fail_after = -1;
}

/* ---- failing allocator -------------------------------------------------------------- */

static void *no_malloc(size_t n) { (void)n; return NULL; }
static void *no_calloc(size_t a, size_t b) { (void)a; (void)b; return NULL; }
static void *no_realloc(void *p, size_t n) { (void)p; (void)n; return NULL; }
static char *no_strdup(const char *s) { (void)s; return NULL; }

/* ---- tests ---------------------------------------------------------------------------- */

static void test_errors(void) {
    SECTION("type byte errors (#29) and escaping");
    CHECK(!strcmp(ERROR_FOR("@foo\r\n"), "Protocol error, got \"@\" as reply type byte"), "%s", ERROR_FOR("@foo\r\n"));
    CHECK(!strcmp(ERROR_FOR("\x01"), "Protocol error, got \"\\x01\" as reply type byte"), "%s", ERROR_FOR("\x01"));
    CHECK(!strcmp(ERROR_FOR("\xff"), "Protocol error, got \"\\xff\" as reply type byte"), "%s", ERROR_FOR("\xff"));
    CHECK(!strcmp(error_for("\0", 1), "Protocol error, got \"\\x00\" as reply type byte"), "%s", error_for("\0", 1));
    CHECK(!strcmp(ERROR_FOR("\\"), "Protocol error, got \"\\\\\" as reply type byte"), "%s", ERROR_FOR("\\"));
    CHECK(!strcmp(ERROR_FOR("\""), "Protocol error, got \"\\\"\" as reply type byte"), "%s", ERROR_FOR("\""));
    CHECK(!strcmp(ERROR_FOR("\n"), "Protocol error, got \"\\n\" as reply type byte"), "%s", ERROR_FOR("\n"));
    CHECK(!strcmp(ERROR_FOR("\r\n"), "Protocol error, got \"\\r\" as reply type byte"), "%s", ERROR_FOR("\r\n"));
    CHECK(!strcmp(ERROR_FOR("\t"), "Protocol error, got \"\\t\" as reply type byte"), "%s", ERROR_FOR("\t"));
    CHECK(!strcmp(ERROR_FOR("\a"), "Protocol error, got \"\\a\" as reply type byte"), "%s", ERROR_FOR("\a"));
    CHECK(!strcmp(ERROR_FOR("\b"), "Protocol error, got \"\\b\" as reply type byte"), "%s", ERROR_FOR("\b"));
    CHECK(!strcmp(ERROR_FOR("\x7f"), "Protocol error, got \"\\x7f\" as reply type byte"), "%s", ERROR_FOR("\x7f"));
    CHECK(!strcmp(ERROR_FOR("~1\r\n "), "Protocol error, got \" \" as reply type byte"), "%s", ERROR_FOR("~1\r\n "));

    SECTION("line and length errors");
    static const struct { const char *in; const char *err; } cases[] = {
        {":12a\r\n", "Bad integer value"},
        {":\r\n", "Bad integer value"},
        {":-0\r\n", "Bad integer value"},
        {":007\r\n", "Bad integer value"},
        {":+7\r\n", "Bad integer value"},
        {"_x\r\n", "Bad nil value"},
        {"#\r\n", "Bad bool value"},
        {"#true\r\n", "Bad bool value"},
        {"(1a\r\n", "Bad bignum value"},
        {"+a\rb\r\n", "Bad simple string value"},
        {"-a\nb\r\n", "Bad simple string value"},
        {"$\r\n", "Bad bulk string length"},
        {"$-0\r\n", "Bad bulk string length"},
        {"$ 1\r\n", "Bad bulk string length"},
        {"$-2\r\n", "Bulk string length out of range"},                 /* #40 */
        {"$-9223372036854775808\r\n", "Bulk string length out of range"},
        {"=3\r\ntxt\r\n", "Verbatim string 4 bytes of content type are missing or incorrectly encoded."},
        {"=6\r\ntxt_ab\r\n", "Verbatim string 4 bytes of content type are missing or incorrectly encoded."},
        {"*\r\n", "Bad multi-bulk length"},
        {"*1.0\r\n", "Bad multi-bulk length"},
        {"*-2\r\n", "Multi-bulk length out of range"},                  /* #39 */
        {"~-5\r\n", "Multi-bulk length out of range"},
        {"*9223372036854775807\r\n", "Multi-bulk length out of range"},
        {"*9223372036854775808\r\n", "Bad multi-bulk length"},
        {",\r\n", "Bad double value"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got = error_for(cases[i].in, strlen(cases[i].in));
        CHECK(!strcmp(got, cases[i].err), "input %zu: got \"%s\"", i, got);
    }

    SECTION("error kinds, sticky error state (#45)");
    redisReader *r = redisReaderCreate();
    void *reply = (void *)1;
    redisReaderFeed(r, "*2\r\n:1\r\n", 8);
    CHECK(redisReaderGetReply(r, &reply) == REDIS_OK && reply == NULL, "partial");
    redisReaderFeed(r, "x", 1);
    CHECK(redisReaderGetReply(r, &reply) == REDIS_ERR && reply == NULL, "error");
    CHECK(r->err == REDIS_ERR_PROTOCOL, "err %d", r->err);
    CHECK(r->buf == NULL && r->pos == 0 && r->len == 0, "buffer released");
    CHECK(redisReaderGetObject(r) == NULL, "partial reply dropped");
    reply = (void *)1;
    CHECK(redisReaderGetReply(r, &reply) == REDIS_ERR && reply == NULL, "still error");
    CHECK(redisReaderFeed(r, "+OK\r\n", 5) == REDIS_ERR, "feed refused");
    CHECK(redisReaderGetReply(r, NULL) == REDIS_ERR, "still error (NULL out)");
    CHECK(!strcmp(redisReaderGetError(r), "Protocol error, got \"x\" as reply type byte"), "%s", r->errstr);
    redisReaderFree(r);

    r = redisReaderCreate();
    r->fn = NULL;
    redisReaderFeed(r, "x", 1);
    CHECK(redisReaderGetReply(r, &reply) == REDIS_ERR, "NULL fn error");
    CHECK(redisReaderGetReply(r, &reply) == REDIS_ERR && reply == NULL, "NULL fn sticky");
    redisReaderFree(r);
}

static void test_nesting_and_limits(void) {
    SECTION("partial array freed on error (#30)");
    redisReader *r = redisReaderCreate();
    defaults = r->fn;
    r->fn = &counting;
    reset_counts();
    redisReaderFeed(r, "*2\r\n", 4);
    redisReaderFeed(r, "$5\r\nhello\r\n", 11);
    redisReaderFeed(r, "@foo\r\n", 6);
    CHECK(redisReaderGetReply(r, NULL) == REDIS_ERR, "error");
    CHECK(!strcmp(r->errstr, "Protocol error, got \"@\" as reply type byte"), "%s", r->errstr);
    CHECK(made == 2 && freed == 1, "made %d freed %d", made, freed);
    redisReaderFree(r);
    CHECK(freed == 1, "nothing freed twice (%d)", freed);

    SECTION("128-deep nesting (#31, #32)");
    r = redisReaderCreate();
    for (int i = 0; i < 128; i++) redisReaderFeed(r, "*1\r\n", 4);
    redisReaderFeed(r, "$6\r\nLOLWUT\r\n", 12);
    redisReply *root = NULL;
    CHECK(redisReaderGetReply(r, (void **)&root) == REDIS_OK && root, "parsed");
    redisReply *cur = root;
    int depth = 0;
    while (cur && cur->type == REDIS_REPLY_ARRAY && cur->elements == 1) {
        cur = cur->element[0];
        depth++;
    }
    CHECK(depth == 128 && cur && cur->type == REDIS_REPLY_STRING && !strcmp(cur->str, "LOLWUT"),
          "depth %d", depth);
    freeReplyObject(root);
    redisReaderFree(r);

    SECTION("1024-deep with NULL fn (#33), 1025-deep fails (#34)");
    r = redisReaderCreate();
    r->fn = NULL;
    for (int i = 0; i < 1024; i++) redisReaderFeed(r, "*1\r\n", 4);
    redisReaderFeed(r, "+OK\r\n", 5);
    void *reply = NULL;
    CHECK(redisReaderGetReply(r, &reply) == REDIS_OK && reply == (void *)REDIS_REPLY_ARRAY, "reply %p", reply);
    redisReaderFree(r);

    r = redisReaderCreate();
    for (int i = 0; i < 1024; i++) redisReaderFeed(r, "*1\r\n", 4);
    redisReaderFeed(r, "$3\r\nabc\r\n", 9);
    CHECK(redisReaderGetReply(r, &reply) == REDIS_OK && reply != NULL, "1024 with default builders");
    freeReplyObject(reply);
    redisReaderFree(r);

    r = redisReaderCreate();
    for (int i = 0; i <= 1024; i++) redisReaderFeed(r, "*1\r\n", 4);
    redisReaderFeed(r, "+OK\r\n", 5);
    CHECK(redisReaderGetReply(r, &reply) == REDIS_ERR && reply == NULL, "1025 refused");
    CHECK(!strcmp(r->errstr, "Max nesting depth exceeded") && r->err == REDIS_ERR_PROTOCOL, "%s", r->errstr);
    redisReaderFree(r);

    /* The 1025th level fails on its type byte alone. */
    r = redisReaderCreate();
    for (int i = 0; i < 1024; i++) redisReaderFeed(r, "*1\r\n", 4);
    redisReaderFeed(r, "%", 1);
    CHECK(redisReaderGetReply(r, &reply) == REDIS_ERR && !strcmp(r->errstr, "Max nesting depth exceeded"),
          "%s", r->errstr);
    redisReaderFree(r);

    SECTION("LLONG bounds (#35-#38)");
    int rc;
    redisReply *v = PARSE(":9223372036854775807\r\n", &rc);
    CHECK(rc == REDIS_OK && v && v->type == REDIS_REPLY_INTEGER && v->integer == LLONG_MAX, "LLONG_MAX");
    freeReplyObject(v);
    v = PARSE(":-9223372036854775808\r\n", &rc);
    CHECK(rc == REDIS_OK && v && v->type == REDIS_REPLY_INTEGER && v->integer == LLONG_MIN, "LLONG_MIN");
    freeReplyObject(v);
    CHECK(!strcmp(ERROR_FOR(":9223372036854775808\r\n"), "Bad integer value"), "> LLONG_MAX");
    CHECK(!strcmp(ERROR_FOR(":-9223372036854775809\r\n"), "Bad integer value"), "< LLONG_MIN");

    SECTION("maxelements (#41), huge counts (#42)");
    CHECK(defaults != NULL, "have defaults");
    r = redisReaderCreate();
    CHECK(r->maxelements == 4294967295LL && r->maxbuf == 16 * 1024, "defaults %lld %zu",
          r->maxelements, r->maxbuf);
    CHECK(REDIS_READER_MAX_ARRAY_ELEMENTS == r->maxelements && REDIS_READER_MAX_BUF == r->maxbuf,
          "header macros match the defaults");
    r->maxelements = 1024;
    redisReaderFeed(r, "*1024\r\n", 7);
    CHECK(redisReaderGetReply(r, &reply) == REDIS_OK && reply == NULL, "1024 allowed");
    redisReaderFree(r);
    r = redisReaderCreate();
    r->maxelements = 1024;
    redisReaderFeed(r, "*1025\r\n", 7);
    CHECK(redisReaderGetReply(r, &reply) == REDIS_ERR && !strcmp(r->errstr, "Multi-bulk length out of range"),
          "1025 refused: %s", r->errstr);
    redisReaderFree(r);
    /* Maps compare the pair count, before doubling. */
    r = redisReaderCreate();
    r->maxelements = 2;
    redisReaderFeed(r, "%2\r\n:1\r\n:2\r\n:3\r\n:4\r\n", 24);
    CHECK(redisReaderGetReply(r, &reply) == REDIS_OK && reply && ((redisReply *)reply)->elements == 4, "map of 2 pairs");
    freeReplyObject(reply);
    redisReaderFree(r);
    /* Unlimited, then the calloc overflow guard answers. */
    char huge[64];
    snprintf(huge, sizeof(huge), "*%llu\r\n+asdf\r\n", (unsigned long long)(SIZE_MAX / sizeof(void *) + 3));
    r = redisReaderCreate();
    r->maxelements = 0;
    redisReaderFeed(r, huge, strlen(huge));
    CHECK(redisReaderGetReply(r, &reply) == REDIS_ERR && reply == NULL, "huge count");
    CHECK(r->err == REDIS_ERR_OOM && !strcmp(r->errstr, "Out of memory"), "%d %s", r->err, r->errstr);
    redisReaderFree(r);
    r = redisReaderCreate();
    r->maxelements = -1;
    r->fn = NULL; /* no 32 GiB vector: placeholders only */
    redisReaderFeed(r, "*4294967296\r\n", 13);
    CHECK(redisReaderGetReply(r, &reply) == REDIS_OK && reply == NULL &&
          redisReaderGetObject(r) == (void *)REDIS_REPLY_ARRAY, "negative maxelements = unlimited");
    redisReaderFree(r);

    SECTION("MAP/ATTR count overflow (#63)");
    static const char *overflow[] = {"%4611686018427387904\r\n", "|4611686018427387904\r\n",
                                      "%9223372036854775807\r\n"};
    for (int i = 0; i < 3; i++) {
        r = redisReaderCreate();
        r->maxelements = 0;
        redisReaderFeed(r, overflow[i], strlen(overflow[i]));
        CHECK(redisReaderGetReply(r, &reply) == REDIS_ERR && !strcmp(r->errstr, "Multi-bulk length out of range"),
              "%s: %s", overflow[i], r->errstr);
        redisReaderFree(r);
    }
    /* Just under the cap the doubled count reaches calloc, which refuses it. */
    r = redisReaderCreate();
    r->maxelements = 0;
    redisReaderFeed(r, "%4611686018427387903\r\n", 22);
    CHECK(redisReaderGetReply(r, &reply) == REDIS_ERR && r->err == REDIS_ERR_OOM, "%s", r->errstr);
    redisReaderFree(r);

    SECTION("huge bulk length waits for data");
    r = redisReaderCreate();
    redisReaderFeed(r, "$9223372036854775807\r\nasdf\r\n", 28);
    CHECK(redisReaderGetReply(r, &reply) == REDIS_OK && reply == NULL && r->err == 0, "waits");
    redisReaderFree(r);
}

static void test_null_functions(void) {
    SECTION("NULL fn placeholders (#43)");
    static const struct { const char *in; long type; } cases[] = {
        {"+OK\r\n", REDIS_REPLY_STATUS}, {"-E\r\n", REDIS_REPLY_ERROR}, {":1\r\n", REDIS_REPLY_INTEGER},
        {"$1\r\na\r\n", REDIS_REPLY_STRING}, {"$-1\r\n", REDIS_REPLY_NIL}, {"*-1\r\n", REDIS_REPLY_NIL},
        {"*0\r\n", REDIS_REPLY_ARRAY}, {"%1\r\n:1\r\n:2\r\n", REDIS_REPLY_MAP}, {"~0\r\n", REDIS_REPLY_SET},
        {">0\r\n", REDIS_REPLY_PUSH}, {"|0\r\n", REDIS_REPLY_ATTR}, {",1.5\r\n", REDIS_REPLY_DOUBLE},
        {"_\r\n", REDIS_REPLY_NIL}, {"#t\r\n", REDIS_REPLY_BOOL}, {"(1\r\n", REDIS_REPLY_BIGNUM},
        {"=5\r\ntxt:a\r\n", REDIS_REPLY_VERB},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        redisReader *r = redisReaderCreate();
        void *reply = NULL;
        r->fn = NULL;
        redisReaderFeed(r, cases[i].in, strlen(cases[i].in));
        int rc = redisReaderGetReply(r, &reply);
        CHECK(rc == REDIS_OK && reply == (void *)cases[i].type, "%zu: rc %d reply %p", i, rc, reply);
        redisReaderFree(r);
    }

    SECTION("CR and LF in separate feeds (#44)");
    redisReader *r = redisReaderCreate();
    void *reply = (void *)1;
    r->fn = NULL;
    redisReaderFeed(r, "+OK\r", 4);
    CHECK(redisReaderGetReply(r, &reply) == REDIS_OK && reply == NULL, "waits for LF");
    redisReaderFeed(r, "\n", 1);
    CHECK(redisReaderGetReply(r, &reply) == REDIS_OK && reply == (void *)REDIS_REPLY_STATUS, "status");
    redisReaderFree(r);

    SECTION("NULL entries in a table");
    redisReplyObjectFunctions partial = {0};
    r = redisReaderCreate();
    partial.createArray = r->fn->createArray;
    partial.freeObject = r->fn->freeObject;
    r->fn = &partial;
    redisReaderFeed(r, "*2\r\n:1\r\n$1\r\nx\r\n", 15);
    redisReply *arr = NULL;
    CHECK(redisReaderGetReply(r, (void **)&arr) == REDIS_OK && arr && arr->type == REDIS_REPLY_ARRAY,
          "array from the table");
    /* Placeholder children are not linked anywhere. */
    CHECK(arr && arr->elements == 2 && arr->element[0] == NULL && arr->element[1] == NULL, "unlinked");
    freeReplyObject(arr);
    redisReaderFree(r);
}

static void test_buffering(void) {
    SECTION("resume inside a bulk length (#46)");
    redisReader *r = redisReaderCreate();
    void *reply = NULL;
    redisReaderFeed(r, "*3\r\n$3\r\nSET\r\n$5\r\nhello\r\n$", 25);
    CHECK(redisReaderGetReply(r, &reply) == REDIS_OK && reply == NULL, "partial");
    CHECK(redisReaderGetObject(r) != NULL && ((redisReply *)redisReaderGetObject(r))->elements == 3,
          "partial root visible");
    redisReaderFeed(r, "3\r\nval\r\n", 8);
    redisReply *rep = NULL;
    CHECK(redisReaderGetReply(r, (void **)&rep) == REDIS_OK && rep && rep->type == REDIS_REPLY_ARRAY &&
          rep->elements == 3 && !strcmp(rep->element[2]->str, "val"), "complete");
    CHECK(redisReaderGetObject(r) == NULL, "handed out");
    freeReplyObject(rep);
    redisReaderFree(r);

    SECTION("buf/pos/len stay truthful; empty feeds are no-ops");
    r = redisReaderCreate();
    CHECK(r->buf != NULL && sdslen(r->buf) == 0 && r->pos == 0 && r->len == 0, "fresh");
    CHECK(redisReaderFeed(r, NULL, 5) == REDIS_OK && redisReaderFeed(r, "x", 0) == REDIS_OK && r->len == 0,
          "no-op feeds");
    CHECK(redisReaderGetReply(r, &reply) == REDIS_OK && reply == NULL, "empty buffer");
    redisReaderFeed(r, ":1\r\n:2", 6);
    CHECK(r->len == 6 && sdslen(r->buf) == 6 && !memcmp(r->buf, ":1\r\n:2", 6) && r->buf[6] == '\0', "fed");
    CHECK(redisReaderGetReply(r, (void **)&rep) == REDIS_OK && rep && rep->integer == 1, "first");
    freeReplyObject(rep);
    CHECK(r->pos == 4 && r->len == 6 && sdslen(r->buf) == 6, "pos %zu len %zu", r->pos, r->len);
    CHECK(redisReaderGetReply(r, &reply) == REDIS_OK && reply == NULL, "second incomplete");
    CHECK(r->pos == 5, "type byte consumed: pos %zu", r->pos);
    redisReaderFeed(r, "\r\n", 2);
    CHECK(r->pos == 5 && r->len == 8 && !memcmp(r->buf, ":1\r\n:2\r\n", 8), "feeds only append: pos %zu len %zu",
          r->pos, r->len);
    CHECK(redisReaderGetReply(r, (void **)&rep) == REDIS_OK && rep && rep->integer == 2, "second");
    freeReplyObject(rep);
    CHECK(r->pos == 8 && r->len == 8 && sdslen(r->buf) == 8 && r->buf[8] == '\0' && r->ridx == -1,
          "all consumed, under 1 KiB: kept: pos %zu len %zu", r->pos, r->len);
    redisReaderFree(r);

    SECTION("consumed bytes are cut by redisReaderGetReply once 1 KiB is consumed, even mid-reply");
    r = redisReaderCreate();
    char big[2000];
    memset(big, 'a', sizeof(big));
    memcpy(big, "$1014\r\n", 7);
    memcpy(big + 1021, "\r\n", 2);
    memcpy(big + 1023, "+partial", 8);
    redisReaderFeed(r, big, 1031);
    CHECK(redisReaderGetReply(r, (void **)&rep) == REDIS_OK && rep && rep->len == 1014, "bulk 1014");
    freeReplyObject(rep);
    CHECK(r->pos == 1023 && r->len == 1031, "under 1 KiB consumed, not cut: pos %zu len %zu", r->pos, r->len);
    redisReaderFeed(r, big + 100, 20);
    CHECK(r->pos == 1023 && r->len == 1051, "a feed cuts nothing: pos %zu len %zu", r->pos, r->len);
    CHECK(redisReaderGetReply(r, &reply) == REDIS_OK && reply == NULL, "status incomplete");
    /* The type byte took pos to 1024: the cut drops it with the bulk before. */
    CHECK(r->pos == 0 && r->len == 27 && sdslen(r->buf) == 27 && !memcmp(r->buf, "partialaaa", 10) &&
          r->buf[27] == '\0' && r->ridx == 0, "cut mid-reply: pos %zu len %zu ridx %d", r->pos, r->len, r->ridx);
    redisReaderFeed(r, "\r\n", 2);
    CHECK(redisReaderGetReply(r, (void **)&rep) == REDIS_OK && rep && rep->type == REDIS_REPLY_STATUS &&
          rep->len == 27 && !memcmp(rep->str, "partialaaa", 10), "status");
    freeReplyObject(rep);
    CHECK(r->pos == 29 && r->len == 29 && sdslen(r->buf) == 29, "pos %zu len %zu", r->pos, r->len);
    redisReaderFree(r);

    SECTION("maxbuf reclaims an idle oversized buffer");
    r = redisReaderCreate();
    static char payload[70000];
    int n = snprintf(payload, sizeof(payload), "$%d\r\n", 65536);
    memset(payload + n, 'z', 65536);
    memcpy(payload + n + 65536, "\r\n", 2);
    redisReaderFeed(r, payload, n + 65538);
    CHECK(redisReaderGetReply(r, (void **)&rep) == REDIS_OK && rep && rep->len == 65536, "big bulk");
    freeReplyObject(rep);
    CHECK(r->len == 0 && sdsavail(r->buf) > r->maxbuf, "idle with %zu spare", sdsavail(r->buf));
    redisReaderFeed(r, "+a\r\n", 4);
    CHECK(sdsavail(r->buf) <= r->maxbuf && r->len == 4, "reclaimed: %zu spare", sdsavail(r->buf));
    CHECK(redisReaderGetReply(r, (void **)&rep) == REDIS_OK && rep && !strcmp(rep->str, "a"), "still works");
    freeReplyObject(rep);
    redisReaderFree(r);

    r = redisReaderCreate();
    r->maxbuf = 0;
    redisReaderFeed(r, payload, n + 65538);
    CHECK(redisReaderGetReply(r, NULL) == REDIS_OK, "freed via NULL out");
    size_t spare = sdsavail(r->buf);
    redisReaderFeed(r, "+a\r\n", 4);
    CHECK(spare > 16384 && sdsavail(r->buf) == spare - 4, "maxbuf 0 keeps the buffer");
    redisReaderFree(r);

    SECTION("*0 allocates no vector (#47)");
    int rc;
    rep = PARSE("*0\r\n", &rc);
    CHECK(rc == REDIS_OK && rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 0 && rep->element == NULL, "*0");
    freeReplyObject(rep);
    rep = PARSE("%0\r\n", &rc);
    CHECK(rc == REDIS_OK && rep && rep->type == REDIS_REPLY_MAP && rep->elements == 0 && rep->element == NULL, "%%0");
    freeReplyObject(rep);

    SECTION("several replies in one buffer, partial reply freed by redisReaderFree");
    r = redisReaderCreate();
    redisReaderFeed(r, "+a\r\n:2\r\n*2\r\n+b\r\n", 16);
    int got = 0;
    while (redisReaderGetReply(r, (void **)&rep) == REDIS_OK && rep) {
        got++;
        freeReplyObject(rep);
    }
    CHECK(got == 2 && redisReaderGetObject(r) != NULL, "two complete, one partial");
    redisReaderFree(r); /* valgrind: the partial array is released */
}

static void test_resp3(void) {
    int rc;
    redisReply *v;

    SECTION("verbatim (#48)");
    v = PARSE("=10\r\ntxt:LOLWUT\r\n", &rc);
    CHECK(rc == REDIS_OK && v && v->type == REDIS_REPLY_VERB && !strcmp(v->vtype, "txt") &&
          v->len == 6 && !strcmp(v->str, "LOLWUT"), "verbatim");
    freeReplyObject(v);
    v = PARSE("=4\r\nmkd:\r\n", &rc);
    CHECK(rc == REDIS_OK && v && v->type == REDIS_REPLY_VERB && !strcmp(v->vtype, "mkd") && v->len == 0 &&
          v->str && v->str[0] == '\0', "empty verbatim");
    freeReplyObject(v);

    SECTION("push (#49)");
    v = PARSE(">2\r\n$6\r\nLOLWUT\r\n:42\r\n", &rc);
    CHECK(rc == REDIS_OK && v && v->type == REDIS_REPLY_PUSH && v->elements == 2 &&
          v->element[0]->type == REDIS_REPLY_STRING && !strcmp(v->element[0]->str, "LOLWUT") &&
          v->element[1]->type == REDIS_REPLY_INTEGER && v->element[1]->integer == 42, "push");
    freeReplyObject(v);

    SECTION("doubles (#50-#56)");
    v = PARSE(",3.14159265358979323846\r\n", &rc);
    CHECK(rc == REDIS_OK && v && v->type == REDIS_REPLY_DOUBLE && fabs(v->dval - 3.14159265358979323846) < 1e-15 &&
          v->len == 22 && !strcmp(v->str, "3.14159265358979323846"), "pi");
    freeReplyObject(v);
    CHECK(!strcmp(error_for(",3.14159\0" "000\r\n", 14), "Bad double value"), "NUL inside (#51)");
    v = PARSE(",inf\r\n", &rc);
    CHECK(rc == REDIS_OK && v && v->type == REDIS_REPLY_DOUBLE && isinf(v->dval) && v->dval > 0 &&
          !strcmp(v->str, "inf"), "inf (#52)");
    freeReplyObject(v);
    v = PARSE(",-InF\r\n", &rc);
    CHECK(rc == REDIS_OK && v && isinf(v->dval) && v->dval < 0 && !strcmp(v->str, "-InF"), "-inf");
    freeReplyObject(v);
    v = PARSE(",nan\r\n", &rc);
    CHECK(rc == REDIS_OK && v && v->type == REDIS_REPLY_DOUBLE && isnan(v->dval), "nan (#53)");
    freeReplyObject(v);
    v = PARSE(",-nan\r\n", &rc);
    CHECK(rc == REDIS_OK && v && v->type == REDIS_REPLY_DOUBLE && isnan(v->dval) && !strcmp(v->str, "-nan"),
          "-nan (#54)");
    freeReplyObject(v);

    static const struct { const char *text; double want; } exact[] = {
        {"0", 0.0}, {"-0", -0.0}, {"1.5", 1.5}, {"-2.25", -2.25}, {"1e308", 1e308},
        {"5e-324", 5e-324}, {"2.2250738585072014e-308", 2.2250738585072014e-308},
        {"1.7976931348623157e308", 1.7976931348623157e308}, {"0.1", 0.1}, {".5", 0.5},
        {"5.", 5.0}, {"1E+2", 100.0}, {"-1.e-2", -0.01}, {"123456789012345678901234567890", 123456789012345678901234567890.0},
    };
    for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++) {
        char in[64];
        int n = snprintf(in, sizeof(in), ",%s\r\n", exact[i].text);
        v = parse(in, n, &rc, NULL, 0);
        CHECK(rc == REDIS_OK && v && !memcmp(&v->dval, &exact[i].want, sizeof(double)) &&
              v->len == strlen(exact[i].text) && !strcmp(v->str, exact[i].text),
              "bit-exact %s (#55)", exact[i].text);
        freeReplyObject(v);
    }
    static const char *bad[] = {"1e400", "-1e400", "+inf", "+1", "1.2.3", "1e", "1e+", "+", ".", "-",
                                "1,5", "abc", "3.14x", " 1", "1 ", "infinity", "0x10", "1e-400",
                                "nan1", "--1", "e5", "1_0"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char in[64];
        int n = snprintf(in, sizeof(in), ",%s\r\n", bad[i]);
        const char *err = error_for(in, n);
        CHECK(!strcmp(err, "Bad double value"), "malformed %s (#56): %s", bad[i], err);
    }
    char longd[400];
    longd[0] = ',';
    memset(longd + 1, '1', 326);
    memcpy(longd + 327, "\r\n", 2);
    CHECK(!strcmp(error_for(longd, 329), "Double value is too large"), "326 bytes");
    longd[1] = '0';
    longd[2] = '.';
    memcpy(longd + 326, "\r\n", 2);
    v = parse(longd, 328, &rc, NULL, 0);
    CHECK(rc == REDIS_OK && v && v->len == 325, "325 bytes accepted");
    freeReplyObject(v);

    SECTION("nil (#57, #58)");
    v = PARSE("_\r\n", &rc);
    CHECK(rc == REDIS_OK && v && v->type == REDIS_REPLY_NIL && v->str == NULL, "nil");
    freeReplyObject(v);
    CHECK(!strcmp(ERROR_FOR("_nil\r\n"), "Bad nil value"), "bad nil");
    v = PARSE("$-1\r\n", &rc);
    CHECK(rc == REDIS_OK && v && v->type == REDIS_REPLY_NIL, "RESP2 nil bulk");
    freeReplyObject(v);
    v = PARSE("*-1\r\n", &rc);
    CHECK(rc == REDIS_OK && v && v->type == REDIS_REPLY_NIL, "RESP2 nil array");
    freeReplyObject(v);

    SECTION("bool (#59-#61)");
    v = PARSE("#t\r\n", &rc);
    CHECK(rc == REDIS_OK && v && v->type == REDIS_REPLY_BOOL && v->integer == 1, "true");
    freeReplyObject(v);
    v = PARSE("#F\r\n", &rc);
    CHECK(rc == REDIS_OK && v && v->type == REDIS_REPLY_BOOL && v->integer == 0, "false");
    freeReplyObject(v);
    CHECK(!strcmp(ERROR_FOR("#2\r\n"), "Bad bool value"), "bad bool");

    SECTION("map (#62), attribute (#64), set (#65)");
    v = PARSE("%2\r\n+first\r\n:123\r\n$6\r\nsecond\r\n#t\r\n", &rc);
    CHECK(rc == REDIS_OK && v && v->type == REDIS_REPLY_MAP && v->elements == 4 &&
          v->element[0]->type == REDIS_REPLY_STATUS && !strcmp(v->element[0]->str, "first") &&
          v->element[1]->integer == 123 && !strcmp(v->element[2]->str, "second") &&
          v->element[3]->type == REDIS_REPLY_BOOL && v->element[3]->integer == 1, "map");
    freeReplyObject(v);

    redisReader *r = redisReaderCreate();
    const char *attr = "|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.1923\r\n*1\r\n:2039\r\n";
    redisReaderFeed(r, attr, strlen(attr));
    redisReply *a = NULL, *b = NULL;
    CHECK(redisReaderGetReply(r, (void **)&a) == REDIS_OK && a && a->type == REDIS_REPLY_ATTR &&
          a->elements == 2 && !strcmp(a->element[0]->str, "key-popularity") &&
          a->element[1]->type == REDIS_REPLY_MAP && a->element[1]->element[1]->dval == 0.1923, "attribute");
    CHECK(redisReaderGetReply(r, (void **)&b) == REDIS_OK && b && b->type == REDIS_REPLY_ARRAY &&
          b->elements == 1 && b->element[0]->integer == 2039, "annotated reply follows");
    freeReplyObject(a);
    freeReplyObject(b);
    redisReaderFree(r);

    v = PARSE("~5\r\n+orange\r\n$5\r\napple\r\n#f\r\n:100\r\n:999\r\n", &rc);
    CHECK(rc == REDIS_OK && v && v->type == REDIS_REPLY_SET && v->elements == 5 &&
          !strcmp(v->element[1]->str, "apple") && v->element[2]->type == REDIS_REPLY_BOOL &&
          v->element[4]->integer == 999, "set");
    freeReplyObject(v);

    SECTION("bignum (#66), double in an array (#67)");
    v = PARSE("(3492890328409238509324850943850943825024385\r\n", &rc);
    CHECK(rc == REDIS_OK && v && v->type == REDIS_REPLY_BIGNUM && v->len == 43 &&
          !strcmp(v->str, "3492890328409238509324850943850943825024385"), "bignum");
    freeReplyObject(v);
    v = PARSE("(-12\r\n", &rc);
    CHECK(rc == REDIS_OK && v && v->type == REDIS_REPLY_BIGNUM && !strcmp(v->str, "-12"), "negative bignum");
    freeReplyObject(v);
    v = PARSE("*2\r\n,3.14\r\n,-1.5\r\n", &rc);
    CHECK(rc == REDIS_OK && v && v->type == REDIS_REPLY_ARRAY && v->elements == 2 &&
          v->element[0]->dval == 3.14 && !strcmp(v->element[0]->str, "3.14") && v->element[0]->len == 4 &&
          v->element[1]->dval == -1.5, "doubles in array");
    freeReplyObject(v);

    SECTION("binary-safe strings");
    v = PARSE("$7\r\na\0b\r\nc\n\r\n", &rc);
    CHECK(rc == REDIS_OK && v && v->type == REDIS_REPLY_STRING && v->len == 7 &&
          !memcmp(v->str, "a\0b\r\nc\n", 8), "binary");
    freeReplyObject(v);
}

static void test_builder_contract(void) {
    SECTION("builder tasks: type, elements, idx, parent, privdata");
    redisReader *r = redisReaderCreate();
    int pd = 7;
    defaults = r->fn;
    r->fn = &counting;
    r->privdata = &pd; /* redisReaderSetPrivdata casts a pointer to int: -Werror refuses it */
    reset_counts();
    const char *in = "*3\r\n%1\r\n+k\r\n$-1\r\n*-1\r\n,2.5\r\n";
    redisReaderFeed(r, in, strlen(in));
    redisReply *root = NULL;
    CHECK(redisReaderGetReply(r, (void **)&root) == REDIS_OK && root, "parsed");
    CHECK(nseen == 6, "six builder calls (%d)", nseen);
    /* root array */
    CHECK(seen[0].type == REDIS_REPLY_ARRAY && seen[0].elements == -1 && seen[0].idx == -1 &&
          !seen[0].has_parent && seen[0].privdata == &pd, "root task");
    /* map inside it */
    CHECK(seen[1].type == REDIS_REPLY_MAP && seen[1].idx == 0 && seen[1].has_parent &&
          seen[1].parent_type == REDIS_REPLY_ARRAY && seen[1].parent_elements == 3 &&
          seen[1].parent_obj == root && seen[1].privdata == &pd, "map task");
    /* map key: parent is the map with the doubled count */
    CHECK(seen[2].type == REDIS_REPLY_STATUS && seen[2].idx == 0 && seen[2].parent_type == REDIS_REPLY_MAP &&
          seen[2].parent_elements == 2 && seen[2].parent_obj == seen[1].obj && seen[2].elements == -1, "key task");
    /* $-1: task type STRING while createNil runs */
    CHECK(seen[3].type == REDIS_REPLY_STRING && seen[3].idx == 1 && seen[3].parent_obj == seen[1].obj,
          "nil bulk task");
    /* *-1 */
    CHECK(seen[4].type == REDIS_REPLY_ARRAY && seen[4].idx == 1 && seen[4].parent_obj == root, "nil array task");
    CHECK(seen[5].type == REDIS_REPLY_DOUBLE && seen[5].idx == 2 && seen[5].privdata == &pd, "double task");
    CHECK(!strcmp(last_double_text, "2.5|3"), "double text NUL-terminated: %s", last_double_text);
    CHECK(root->element[1]->type == REDIS_REPLY_NIL && root->element[0]->element[1]->type == REDIS_REPLY_NIL,
          "nils linked");
    freeReplyObject(root);

    SECTION("the same reply fed one byte at a time");
    reset_counts();
    for (size_t i = 0; i < strlen(in); i++) {
        redisReaderFeed(r, in + i, 1);
        int rc = redisReaderGetReply(r, (void **)&root);
        CHECK(rc == REDIS_OK, "byte %zu", i);
        if (i + 1 < strlen(in)) CHECK(root == NULL, "early reply at %zu", i);
    }
    CHECK(root && root->elements == 3 && nseen == 6 && seen[2].parent_elements == 2 &&
          seen[2].parent_obj == seen[1].obj && seen[5].idx == 2 && seen[5].parent_obj == root,
          "split parse has the same tasks");
    freeReplyObject(root);

    SECTION("a builder returning NULL is OOM; partial root freed");
    for (int k = 0; k < 4; k++) {
        reset_counts();
        redisReader *q = redisReaderCreate();
        q->fn = &counting;
        fail_after = k;
        redisReaderFeed(q, "*2\r\n*1\r\n:1\r\n:2\r\n", 16);
        void *reply = (void *)1;
        int rc = redisReaderGetReply(q, &reply);
        CHECK(rc == REDIS_ERR && reply == NULL && q->err == REDIS_ERR_OOM && !strcmp(q->errstr, "Out of memory"),
              "fail at call %d: rc %d err %d", k, rc, q->err);
        CHECK(freed == (k > 0), "root freed once (k=%d freed=%d)", k, freed);
        redisReaderFree(q);
        CHECK(freed == (k > 0), "no double free (k=%d)", k);
    }

    SECTION("redisReaderFree and NULL out free through fn->freeObject");
    reset_counts();
    redisReaderFeed(r, "*2\r\n:1\r\n", 8);
    CHECK(redisReaderGetReply(r, NULL) == REDIS_OK && freed == 0, "partial kept");
    redisReaderFeed(r, ":2\r\n", 4);
    CHECK(redisReaderGetReply(r, NULL) == REDIS_OK && freed == 1, "complete reply freed for NULL out");
    redisReaderFeed(r, "~1\r\n", 4);
    CHECK(redisReaderGetReply(r, NULL) == REDIS_OK && freed == 1, "partial again");
    redisReaderFree(r);
    CHECK(freed == 2, "reader free released the partial reply");
}

/* A table of its own builds top-level scalars and runs of scalar children without the general
 * parser loop (ARCHITECTURE.md); builders still see hiredis's tasks, a NULL from one is still
 * OOM, and a table switched in mid-aggregate still sees the whole task chain. */
static void test_custom_table_paths(void) {
    SECTION("a table of its own: top-level scalars");
    redisReader *r = redisReaderCreate();
    defaults = r->fn;
    r->fn = &counting;
    int pd[3];
    r->privdata = &pd[0];
    reset_counts();
    FEED(r, "+OK\r\n-ERR x\r\n:-42\r\n$3\r\nabc\r\n");
    static const int types[] = {REDIS_REPLY_STATUS, REDIS_REPLY_ERROR, REDIS_REPLY_INTEGER, REDIS_REPLY_STRING};
    for (int i = 0; i < 4; i++) {
        redisReply *rep = NULL;
        CHECK(redisReaderGetReply(r, (void **)&rep) == REDIS_OK && rep && rep->type == types[i], "reply %d", i);
        CHECK(nseen == i + 1 && seen[i].type == types[i] && seen[i].elements == -1 && seen[i].idx == -1 &&
                  !seen[i].has_parent && seen[i].privdata == &pd[0] && seen[i].obj == rep,
              "root task of reply %d (%d calls)", i, nseen);
        freeReplyObject(rep);
    }
    CHECK(r->ridx == -1 && r->pos == r->len, "between replies");
    /* With NULL for the reply, the table's freeObject releases it. */
    FEED(r, ":1\r\n");
    CHECK(redisReaderGetReply(r, NULL) == REDIS_OK && freed == 1 && made == 5, "freed through fn (%d)", freed);
    /* A call that finds everything consumed starts the next reply: its root task keeps the
     * privdata of that moment. */
    void *out = (void *)1;
    CHECK(redisReaderGetReply(r, &out) == REDIS_OK && out == NULL && r->ridx == 0, "next reply started");
    r->privdata = &pd[1];
    FEED(r, "+a\r\n");
    redisReply *rep = NULL;
    CHECK(redisReaderGetReply(r, (void **)&rep) == REDIS_OK && rep && nseen == 6 && seen[5].privdata == &pd[0],
          "privdata of the reply's start");
    freeReplyObject(rep);
    FEED(r, "+b\r\n");
    CHECK(redisReaderGetReply(r, (void **)&rep) == REDIS_OK && rep && nseen == 7 && seen[6].privdata == &pd[1],
          "then the current privdata");
    freeReplyObject(rep);

    SECTION("a table of its own: a NULL from a top-level scalar's builder is OOM");
    reset_counts();
    fail_after = 0;
    FEED(r, "$2\r\nab\r\n");
    out = (void *)1;
    CHECK(redisReaderGetReply(r, &out) == REDIS_ERR && out == NULL && r->err == REDIS_ERR_OOM &&
              !strcmp(r->errstr, "Out of memory") && nseen == 1 && made == 0,
          "OOM after one call (err %d, %d calls)", r->err, nseen);
    CHECK(redisReaderGetReply(r, &out) == REDIS_ERR && nseen == 1, "sticky, no second call");
    redisReaderFree(r);

    SECTION("a table of its own: runs of scalar children");
    r = redisReaderCreateWithFunctions(&counting);
    r->privdata = &pd[2];
    reset_counts();
    const char *in = "*4\r\n:1\r\n$2\r\nab\r\n*2\r\n+x\r\n-e\r\n:5\r\n";
    for (int whole = 1; whole >= 0; whole--) {
        reset_counts();
        redisReply *root = NULL;
        for (size_t i = 0; i < strlen(in); i += whole ? strlen(in) : 1) {
            redisReaderFeed(r, in + i, whole ? strlen(in) : 1);
            CHECK(redisReaderGetReply(r, (void **)&root) == REDIS_OK, "parsed at %zu", i);
        }
        CHECK(root && root->elements == 4 && nseen == 7, "whole %d: %d calls", whole, nseen);
        if (!root || nseen != 7) break;
        redisReply *inner = root->element[2];
        static const struct { int type, idx, ptype; long long pel; } want[] = {
            {REDIS_REPLY_ARRAY, -1, 0, 0},
            {REDIS_REPLY_INTEGER, 0, REDIS_REPLY_ARRAY, 4},
            {REDIS_REPLY_STRING, 1, REDIS_REPLY_ARRAY, 4},
            {REDIS_REPLY_ARRAY, 2, REDIS_REPLY_ARRAY, 4},
            {REDIS_REPLY_STATUS, 0, REDIS_REPLY_ARRAY, 2},
            {REDIS_REPLY_ERROR, 1, REDIS_REPLY_ARRAY, 2},
            {REDIS_REPLY_INTEGER, 3, REDIS_REPLY_ARRAY, 4},
        };
        for (int i = 0; i < 7; i++) {
            void *pobj = i == 0 ? NULL : (i == 4 || i == 5) ? (void *)inner : (void *)root;
            CHECK(seen[i].type == want[i].type && seen[i].idx == want[i].idx && seen[i].elements == -1 &&
                      seen[i].has_parent == (i > 0) && seen[i].privdata == &pd[2] &&
                      (i == 0 || (seen[i].parent_type == want[i].ptype && seen[i].parent_elements == want[i].pel &&
                                  seen[i].parent_obj == pobj)),
                  "whole %d: call %d: type %d idx %d parent %d/%lld", whole, i, seen[i].type, seen[i].idx,
                  seen[i].parent_type, seen[i].parent_elements);
        }
        /* The level's task keeps the last aggregate opened there (hiredis reuses it). */
        CHECK(seen[6].obj == root->element[3] && seen[4].obj == inner->element[0], "objects linked");
        freeReplyObject(root);
    }
    for (int k = 1; k < 7; k++) {
        reset_counts();
        fail_after = k;
        redisReader *q = redisReaderCreateWithFunctions(&counting);
        redisReaderFeed(q, in, strlen(in));
        out = (void *)1;
        CHECK(redisReaderGetReply(q, &out) == REDIS_ERR && out == NULL && q->err == REDIS_ERR_OOM && nseen == k + 1 &&
                  freed == 1,
              "NULL at call %d: err %d, %d calls, %d freed", k, q->err, nseen, freed);
        redisReaderFree(q);
        CHECK(freed == 1, "no double free (k=%d)", k);
    }
    redisReaderFree(r);

    SECTION("a table of its own switched in mid-aggregate sees the whole task chain");
    r = redisReaderCreate();
    reset_counts();
    /* The defaults open two levels... */
    FEED(r, "*3\r\n:1\r\n*2\r\n:2\r\n");
    out = (void *)1;
    CHECK(redisReaderGetReply(r, &out) == REDIS_OK && out == NULL && r->ridx == 2, "two levels open (ridx %d)", r->ridx);
    /* ...the counting table finishes the inner one and opens another... */
    r->fn = &counting;
    FEED(r, ":3\r\n*1\r\n");
    CHECK(redisReaderGetReply(r, &out) == REDIS_OK && out == NULL && nseen == 2, "counting table: %d calls", nseen);
    /* ...the defaults read nothing new, and the counting table finishes the reply. */
    r->fn = defaults;
    CHECK(redisReaderGetReply(r, &out) == REDIS_OK && out == NULL, "defaults, nothing new");
    r->fn = &counting;
    FEED(r, "+z\r\n");
    redisReply *root = NULL;
    CHECK(redisReaderGetReply(r, (void **)&root) == REDIS_OK && root && root->elements == 3 && nseen == 3, "done (%d calls)",
          nseen);
    if (root && nseen == 3) {
        CHECK(seen[0].type == REDIS_REPLY_INTEGER && seen[0].idx == 1 && seen[0].parent_type == REDIS_REPLY_ARRAY &&
                  seen[0].parent_elements == 2 && seen[0].parent_obj == root->element[1],
              "inner item: idx %d parent %d/%lld", seen[0].idx, seen[0].parent_type, seen[0].parent_elements);
        CHECK(seen[1].type == REDIS_REPLY_ARRAY && seen[1].idx == 2 && seen[1].parent_elements == 3 &&
                  seen[1].parent_obj == root,
              "new level: idx %d parent %lld", seen[1].idx, seen[1].parent_elements);
        CHECK(seen[2].type == REDIS_REPLY_STATUS && seen[2].idx == 0 && seen[2].parent_elements == 1 &&
                  seen[2].parent_obj == root->element[2],
              "last item: idx %d parent %lld", seen[2].idx, seen[2].parent_elements);
    }
    freeReplyObject(root);
    redisReaderFree(r);
}

/* A top-level scalar cut off at the end of a read: the reader stands as hiredis's would (type
 * byte consumed, reply started with the privdata of that moment), and the table in force when
 * the rest arrives builds the item, whichever way the table was switched in between. */
static void test_table_switch_mid_scalar(void) {
    SECTION("a table switched while a top-level scalar is cut off");
    redisReader *r = redisReaderCreate();
    defaults = r->fn;
    int pd = 9;
    reset_counts();
    FEED(r, "+hel");
    void *out = (void *)1;
    CHECK(redisReaderGetReply(r, &out) == REDIS_OK && out == NULL, "partial status");
    CHECK(r->pos == 1 && r->len == 4 && r->ridx == 0 && r->reply == NULL, "type byte read, reply started: pos %zu ridx %d",
          r->pos, r->ridx);
    r->fn = &counting;
    r->privdata = &pd;
    FEED(r, "lo\r\n");
    redisReply *rep = NULL;
    CHECK(redisReaderGetReply(r, (void **)&rep) == REDIS_OK && rep && rep->type == REDIS_REPLY_STATUS &&
              !strcmp(rep->str, "hello"), "finished by the new table");
    CHECK(nseen == 1 && seen[0].type == REDIS_REPLY_STATUS && seen[0].idx == -1 && !seen[0].has_parent &&
              seen[0].privdata == NULL, "one root task, with the privdata of the reply's start (%d calls)", nseen);
    CHECK(r->ridx == -1 && r->pos == r->len, "between replies again");
    freeReplyObject(rep);

    /* Back to the defaults while an integer and then a bulk string are cut off. */
    FEED(r, ":12");
    CHECK(redisReaderGetReply(r, &out) == REDIS_OK && out == NULL && r->ridx == 0 && r->pos >= 1 &&
              r->buf[r->pos - 1] == ':', "partial integer, type byte read");
    r->fn = defaults;
    FEED(r, "3\r\n$5\r\nab");
    CHECK(redisReaderGetReply(r, (void **)&rep) == REDIS_OK && rep && rep->type == REDIS_REPLY_INTEGER &&
              rep->integer == 123 && nseen == 1, "integer finished by the defaults");
    freeReplyObject(rep);
    CHECK(redisReaderGetReply(r, &out) == REDIS_OK && out == NULL && r->ridx == 0, "partial bulk");
    r->fn = &counting;
    FEED(r, "cde\r\n");
    CHECK(redisReaderGetReply(r, (void **)&rep) == REDIS_OK && rep && rep->len == 5 && !strcmp(rep->str, "abcde") &&
              nseen == 2 && seen[1].type == REDIS_REPLY_STRING, "bulk finished by the counting table");
    freeReplyObject(rep);

    /* A cut-off aggregate header is left to the parser, not taken for a scalar. */
    r->fn = defaults;
    FEED(r, ">2\r");
    CHECK(redisReaderGetReply(r, &out) == REDIS_OK && out == NULL, "partial push header");
    FEED(r, "\n+a\r\n:1\r\n");
    CHECK(redisReaderGetReply(r, (void **)&rep) == REDIS_OK && rep && rep->type == REDIS_REPLY_PUSH &&
              rep->elements == 2, "push whole");
    freeReplyObject(rep);
    redisReaderFree(r);
}

/* ---- the reader's public state, call by call ------------------------------------------
 * Bindings read redisReader's pos, len, buf and ridx (Python's hiredis package: len() and
 * has_data()), so they follow hiredis 1.4.1's rules: a feed only appends (and swaps an empty
 * buffer with more than maxbuf spare bytes for a fresh one); redisReaderGetReply cuts the
 * consumed bytes at its end once pos >= 1024, whether or not a reply came out; a call that
 * finds bytes to look at starts a reply (ridx 0, root task made with the privdata of that
 * moment) even if it consumes none. Every expected value below was worked out from those
 * rules and checked by running this file against hiredis 1.4.1 built from its tag. */

typedef struct {
    char op;        /* 'F' feed `in`; 'G' get a reply (`reply`: one comes out) */
    const char *in;
    int reply;
    size_t pos, len;
    int ridx;
} vstep;

/* Everything fed so far: the buffer always holds the last `len` bytes of it. */
static char vfed[4096];
static size_t vfed_len;

static void vcheck(redisReader *r, const char *what, size_t pos, size_t len, int ridx) {
    CHECK(r->pos == pos && r->len == len && r->ridx == ridx && r->buf && sdslen(r->buf) == len &&
              r->buf[len] == '\0' && len <= vfed_len && !memcmp(r->buf, vfed + vfed_len - len, len),
          "%s: pos %zu len %zu ridx %d sdslen %zu, want pos %zu len %zu ridx %d", what, r->pos, r->len,
          r->ridx, r->buf ? sdslen(r->buf) : 0, pos, len, ridx);
}

static void vfeed(redisReader *r, const char *in, size_t n) {
    CHECK(redisReaderFeed(r, in, n) == REDIS_OK, "feed");
    if (vfed_len + n > sizeof(vfed)) { /* keep the tail only */
        size_t drop = vfed_len + n - sizeof(vfed);
        memmove(vfed, vfed + drop, vfed_len - drop);
        vfed_len -= drop;
    }
    memcpy(vfed + vfed_len, in, n);
    vfed_len += n;
}

static void run_steps(const char *name, const vstep *steps, size_t nsteps) {
    SECTION(name);
    redisReader *r = redisReaderCreate();
    vfed_len = 0;
    for (size_t i = 0; i < nsteps; i++) {
        const vstep *s = &steps[i];
        char what[96];
        if (s->op == 'F') {
            vfeed(r, s->in, strlen(s->in));
            snprintf(what, sizeof(what), "%s, step %zu: feed", name, i);
        } else {
            void *rep = (void *)1;
            CHECK(redisReaderGetReply(r, &rep) == REDIS_OK && (rep != NULL) == s->reply, "%s, step %zu: get",
                  name, i);
            freeReplyObject(rep);
            snprintf(what, sizeof(what), "%s, step %zu: get", name, i);
        }
        vcheck(r, what, s->pos, s->len, s->ridx);
    }
    redisReaderFree(r);
}

#define STEPS(name, arr) run_steps(name, arr, sizeof(arr) / sizeof(arr[0]))

static void test_visible_state(void) {
    static const vstep single[] = {
        {'F', ":1\r\n", 0, 0, 4, -1},      {'G', NULL, 1, 4, 4, -1},
        {'G', NULL, 0, 4, 4, 0}, /* nothing left, yet the next reply counts as started */
        {'G', NULL, 0, 4, 4, 0},           {'F', "+OK\r\n", 0, 4, 9, 0},
        {'G', NULL, 1, 9, 9, -1},          {'F', "*0\r\n", 0, 9, 13, -1},
        {'G', NULL, 1, 13, 13, -1},        {'G', NULL, 0, 13, 13, 0},
    };
    STEPS("state: single replies", single);

    static const vstep partial[] = {
        {'F', "$5\r\nab", 0, 0, 6, -1},    {'G', NULL, 0, 1, 6, 0}, /* type byte only */
        {'F', "c", 0, 1, 7, 0},            {'G', NULL, 0, 1, 7, 0},
        {'F', "de\r", 0, 1, 10, 0},        {'G', NULL, 0, 1, 10, 0},
        {'F', "\n", 0, 1, 11, 0},          {'G', NULL, 1, 11, 11, -1},
        {'F', ":12", 0, 11, 14, -1},       {'G', NULL, 0, 12, 14, 0},
        {'F', "3\r", 0, 12, 16, 0},        {'G', NULL, 0, 12, 16, 0},
        {'F', "\n*2\r", 0, 12, 20, 0},     {'G', NULL, 1, 17, 20, -1},
        {'G', NULL, 0, 18, 20, 0},         {'F', "\n+a", 0, 18, 23, 0},
        {'G', NULL, 0, 22, 23, 1}, /* array opened, its first item's type byte read */
        {'F', "\r\n$2\r\nxy\r\n", 0, 22, 33, 1},
        {'G', NULL, 1, 33, 33, -1},
    };
    STEPS("state: partial feeds", partial);

    static const vstep multi[] = {
        {'F', "+a\r\n:2\r\n$1\r\nx\r\n*2\r\n:1\r\n", 0, 0, 23, -1},
        {'G', NULL, 1, 4, 23, -1},         {'G', NULL, 1, 8, 23, -1},
        {'G', NULL, 1, 15, 23, -1},        {'G', NULL, 0, 23, 23, 1},
        {'G', NULL, 0, 23, 23, 1},         {'F', ":2\r\n", 0, 23, 27, 1},
        {'G', NULL, 1, 27, 27, -1},
    };
    STEPS("state: several replies per feed", multi);

    SECTION("state: one reply per feed, 1 KiB consumed (Python hiredis's test_len)");
    redisReader *r = redisReaderCreate();
    vfed_len = 0;
    vfeed(r, "+ok\r\n", 5);
    vcheck(r, "first feed", 0, 5, -1);
    for (int i = 1; i <= 205; i++) {
        vfeed(r, "+ok\r\n", 5);
        void *rep = NULL;
        CHECK(redisReaderGetReply(r, &rep) == REDIS_OK && rep != NULL, "reply %d", i);
        freeReplyObject(rep);
        /* 205 replies take pos to 1025: that call ends with the cut. */
        if (i < 205) vcheck(r, "before the cut", 5 * (size_t)i, 5 * (size_t)i + 5, -1);
        else vcheck(r, "cut", 0, 5, -1);
    }
    redisReaderFree(r);

    SECTION("state: 300 replies in one feed");
    r = redisReaderCreate();
    vfed_len = 0;
    for (int i = 0; i < 300; i++) memcpy(vfed + 4 * i, ":1\r\n", 4);
    CHECK(redisReaderFeed(r, vfed, 1200) == REDIS_OK, "feed");
    vfed_len = 1200;
    for (int i = 1; i <= 300; i++) {
        void *rep = NULL;
        CHECK(redisReaderGetReply(r, &rep) == REDIS_OK && rep != NULL, "reply %d", i);
        freeReplyObject(rep);
        if (i < 256) vcheck(r, "before the cut", 4 * (size_t)i, 1200, -1);
        else vcheck(r, "after the cut at 1024", 4 * (size_t)i - 1024, 176, -1);
    }
    void *none = (void *)1;
    CHECK(redisReaderGetReply(r, &none) == REDIS_OK && none == NULL, "no more");
    vcheck(r, "all read", 176, 176, 0);
    redisReaderFree(r);

    SECTION("state: cut inside an aggregate, then the rest");
    r = redisReaderCreate();
    vfed_len = 0;
    vfeed(r, "*300\r\n", 6);
    for (int i = 0; i < 280; i++) vfeed(r, ":1\r\n", 4);
    CHECK(redisReaderGetReply(r, &none) == REDIS_OK && none == NULL, "incomplete");
    vcheck(r, "1126 consumed, all cut", 0, 0, 1);
    CHECK(redisReaderGetObject(r) != NULL, "partial array kept");
    for (int i = 0; i < 20; i++) vfeed(r, ":1\r\n", 4);
    redisReply *rep = NULL;
    CHECK(redisReaderGetReply(r, (void **)&rep) == REDIS_OK && rep && rep->elements == 300, "complete");
    freeReplyObject(rep);
    vcheck(r, "rest", 80, 80, -1);
    redisReaderFree(r);

    SECTION("state: a protocol error releases the buffer");
    r = redisReaderCreate();
    vfed_len = 0;
    vfeed(r, "+ok\r\n!", 6);
    CHECK(redisReaderGetReply(r, (void **)&rep) == REDIS_OK && rep, "reply before the error");
    freeReplyObject(rep);
    vcheck(r, "before", 5, 6, -1);
    CHECK(redisReaderGetReply(r, (void **)&rep) == REDIS_ERR && rep == NULL, "error");
    CHECK(r->buf == NULL && r->pos == 0 && r->len == 0 && r->ridx == -1 && r->err == REDIS_ERR_PROTOCOL &&
              !strcmp(r->errstr, "Protocol error, got \"!\" as reply type byte"),
          "pos %zu len %zu ridx %d err %d", r->pos, r->len, r->ridx, r->err);
    CHECK(redisReaderFeed(r, "+x\r\n", 4) == REDIS_ERR && r->buf == NULL && r->len == 0, "feed refused");
    redisReaderFree(r);

    SECTION("state: the privdata a builder sees is the one of the moment its level started");
    static int pd[6];
    r = redisReaderCreate();
    defaults = r->fn;
    r->fn = &counting;
    reset_counts();
    r->privdata = &pd[1];
    FEED(r, "*2\r\n:1\r\n");
    CHECK(redisReaderGetReply(r, &none) == REDIS_OK && none == NULL, "array open");
    r->privdata = &pd[2];
    FEED(r, "$1\r\nx\r\n");
    CHECK(redisReaderGetReply(r, (void **)&rep) == REDIS_OK && rep && rep->elements == 2, "array");
    freeReplyObject(rep);
    CHECK(nseen == 3 && seen[0].privdata == &pd[1] && seen[1].privdata == &pd[1] && seen[2].privdata == &pd[1],
          "array and items: privdata of the array's start (%d calls)", nseen);
    /* A call with nothing new to read still starts the next reply with the privdata now... */
    CHECK(redisReaderGetReply(r, &none) == REDIS_OK && none == NULL && r->ridx == 0, "reply started");
    r->privdata = &pd[3];
    FEED(r, ":5\r\n");
    CHECK(redisReaderGetReply(r, (void **)&rep) == REDIS_OK && rep && rep->integer == 5, "integer");
    freeReplyObject(rep);
    /* ...so the integer's root task carries pd[2], not pd[3]. */
    CHECK(nseen == 4 && seen[3].privdata == &pd[2] && seen[3].idx == -1, "root privdata %p",
          nseen == 4 ? seen[3].privdata : NULL);
    r->privdata = &pd[4];
    FEED(r, "*1\r\n");
    CHECK(redisReaderGetReply(r, &none) == REDIS_OK && none == NULL, "outer array open");
    r->privdata = &pd[5];
    FEED(r, "*1\r\n:1\r\n");
    CHECK(redisReaderGetReply(r, (void **)&rep) == REDIS_OK && rep && rep->elements == 1, "nested");
    freeReplyObject(rep);
    /* The inner array sits in the level the outer one opened (pd[4]); it opens a level
     * under pd[5]. */
    CHECK(nseen == 7 && seen[4].privdata == &pd[4] && seen[5].privdata == &pd[4] && seen[6].privdata == &pd[5],
          "nested privdata");
    redisReaderFree(r);
}

static void test_splits(void) {
    SECTION("every split size gives the same replies");
    static const char stream[] =
        "*3\r\n$3\r\nfoo\r\n%1\r\n=9\r\nmkd:hello\r\n~1\r\n(12\r\n,-1.5e3\r\n"
        ">2\r\n+message\r\n#f\r\n|1\r\n+a\r\n_\r\n:5\r\n-ERR no\r\n*2\r\n$-1\r\n*-1\r\n"
        "$0\r\n\r\n*1\r\n*1\r\n*0\r\n+\r\n";
    size_t len = sizeof(stream) - 1;
    char want[2048] = "", got[2048];
    for (size_t step = len; step >= 1; step--) {
        redisReader *r = redisReaderCreate();
        got[0] = '\0';
        int replies = 0, rc = REDIS_OK;
        for (size_t off = 0; off < len; off += step) {
            size_t n = len - off < step ? len - off : step;
            redisReaderFeed(r, stream + off, n);
            redisReply *rep;
            while ((rc = redisReaderGetReply(r, (void **)&rep)) == REDIS_OK && rep) {
                render(rep, got, sizeof(got));
                strncat(got, ";", sizeof(got) - strlen(got) - 1);
                replies++;
                freeReplyObject(rep);
            }
        }
        if (step == len) {
            strcpy(want, got);
            CHECK(replies == 9 && rc == REDIS_OK, "whole: %d replies", replies);
        } else if (strcmp(got, want) != 0) {
            CHECK(0, "step %zu differs:\n%s\n%s", step, got, want);
        }
        redisReaderFree(r);
    }
    CHECK(strstr(want, "14:") == NULL && strstr(want, "v:mkd:hello") != NULL, "rendered: %s", want);

    SECTION("errors are found at any split too");
    static const char bad[] = "*2\r\n:1\r\n$-3\r\n";
    for (size_t step = 1; step < sizeof(bad); step++) {
        redisReader *r = redisReaderCreate();
        int rc;
        void *rep = read_in_steps(r, bad, sizeof(bad) - 1, step, &rc);
        CHECK(rc == REDIS_ERR && rep == NULL && !strcmp(r->errstr, "Bulk string length out of range"),
              "step %zu: %s", step, r->errstr);
        redisReaderFree(r);
    }
}

static void test_alloc_failure(void) {
    SECTION("reader creation fails cleanly without memory (#2)");
    hiredisAllocFuncs ha = {no_malloc, no_calloc, no_realloc, no_strdup, free};
    hiredisAllocFuncs old = hiredisSetAllocators(&ha);
    redisReader *r = redisReaderCreate();
    hiredisResetAllocators();
    CHECK(r == NULL, "NULL reader");
    CHECK(old.mallocFn == malloc, "old table returned");

    SECTION("feeding without memory is OOM");
    r = redisReaderCreate();
    redisReaderFeed(r, "*2\r\n:1\r\n", 8);
    CHECK(redisReaderGetReply(r, NULL) == REDIS_OK, "partial");
    hiredisSetAllocators(&ha);
    static char more[4096]; /* beyond the buffer's spare room, so the feed must allocate */
    memcpy(more, "$100000\r\n", 9);
    int rc = redisReaderFeed(r, more, sizeof(more));
    hiredisResetAllocators();
    CHECK(rc == REDIS_ERR && r->err == REDIS_ERR_OOM && !strcmp(r->errstr, "Out of memory") && r->buf == NULL,
          "rc %d err %d", rc, r->err);
    redisReaderFree(r); /* valgrind: the partial array was released on error */

    SECTION("reply allocation failure is OOM");
    r = redisReaderCreate();
    redisReaderFeed(r, "+OK\r\n", 5);
    hiredisSetAllocators(&ha);
    void *reply = (void *)1;
    rc = redisReaderGetReply(r, &reply);
    hiredisResetAllocators();
    CHECK(rc == REDIS_ERR && reply == NULL && r->err == REDIS_ERR_OOM, "rc %d err %d", rc, r->err);
    redisReaderFree(r);
}

int main(void) {
    test_errors();
    test_nesting_and_limits();
    test_null_functions();
    test_buffering();
    test_resp3();
    test_builder_contract();
    test_table_switch_mid_scalar();
    test_custom_table_paths();
    test_visible_state();
    test_splits();
    test_alloc_failure();
    freeReplyObject(NULL); /* #73 */
    return tl_done();
}
