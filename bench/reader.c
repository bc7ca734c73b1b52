/* Reader benchmark: redisReaderFeed + redisReaderGetReply + freeReplyObject over a stream
 * of identical replies, fed in fixed-size chunks. Reports ns per reply and MB/s of input
 * (and, under callgrind, instructions per reply). Public API only.
 *
 * The "fn-" cases read the same streams through redisReaderCreateWithFunctions with a
 * table of its own, as language bindings do: each create function mallocs one small object
 * (a string's bytes or an aggregate's element slots inline), links it into its parent's
 * slot at task->idx, and freeObject frees a reply tree. */
#include <hiredis/hiredis.h>

#include "benchlib.h"

typedef struct {
    char *p;
    size_t len, cap;
} buf;

static void put(buf *b, const char *s, size_t n) {
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + n) cap *= 2;
        b->p = realloc(b->p, cap);
        if (!b->p) { fprintf(stderr, "out of memory\n"); exit(1); }
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }

static void put_bulk(buf *b, size_t n) {
    char hdr[32];
    snprintf(hdr, sizeof hdr, "$%zu\r\n", n);
    puts_(b, hdr);
    for (size_t i = 0; i < n; i++) put(b, "abcdefghijklmnopqrstuvwxyz" + (i % 26), 1);
    puts_(b, "\r\n");
}

/* One reply of each kind. */
static void one_status(buf *b) { puts_(b, "+OK\r\n"); }
static void one_integer(buf *b) { puts_(b, ":1234567\r\n"); }
static void one_bulk10(buf *b) { put_bulk(b, 10); }
static void one_bulk1k(buf *b) { put_bulk(b, 1024); }
static void one_bulk100k(buf *b) { put_bulk(b, 100 * 1024); }
static void one_array100(buf *b) {
    puts_(b, "*100\r\n");
    for (int i = 0; i < 100; i++) put_bulk(b, 10);
}
#ifdef REDIS_REPLY_MAP
static void one_map16(buf *b) {
    puts_(b, "%16\r\n");
    for (int i = 0; i < 16; i++) {
        char k[32];
        snprintf(k, sizeof k, "$7\r\nfield%02d\r\n:%d\r\n", i, 1000 + i);
        puts_(b, k);
    }
}
#endif

typedef struct {
    const char *name;
    void (*one)(buf *);
    int type;
    size_t elements;
    int fn; /* also read through the custom function table */
} rcase;

/* A binding's reply object. Small ones come from a free list, as a binding's own object
 * allocator would hand them out (CPython's pymalloc, Ruby's heap slots); larger ones, and
 * all of them with BENCH_FN_MALLOC=1, from malloc. */
typedef struct bobj {
    int type;
    int pooled;
    size_t len; /* string length or element count */
    long long integer;
    struct bobj *element[]; /* an aggregate's children; a string's bytes follow the header */
} bobj;

#define BPOOL_SIZE 64
static void *bpool;    /* free small objects, linked through their first word */
static int bmalloc;      /* BENCH_FN_MALLOC=1: every object from malloc */

static void *bnew(const redisReadTask *t, size_t extra) {
    bobj *o;
    int pooled = sizeof(bobj) + extra <= BPOOL_SIZE && !bmalloc;
    if (pooled && bpool) {
        o = bpool;
        bpool = *(void **)o;
    } else {
        o = malloc(pooled ? BPOOL_SIZE : sizeof(bobj) + extra);
        if (!o) return NULL;
    }
    o->type = t->type;
    o->pooled = pooled;
    o->len = 0;
    o->integer = 0;
    if (t->parent) ((bobj *)t->parent->obj)->element[t->idx] = o;
    return o;
}

static void *b_string(const redisReadTask *t, char *s, size_t len) {
    bobj *o = bnew(t, len + 1);
    if (!o) return NULL;
    char *d = (char *)o->element;
    memcpy(d, s, len);
    d[len] = 0;
    o->len = len;
    return o;
}

#ifdef REDIS_REPLY_MAP
typedef size_t bcount;
#else
typedef int bcount; /* hiredis 0.14 */
#endif
static void *b_array(const redisReadTask *t, bcount n) {
    bobj *o = bnew(t, (size_t)n * sizeof(bobj *));
    if (!o) return NULL;
    o->len = (size_t)n;
    return o;
}

static void *b_integer(const redisReadTask *t, long long v) {
    bobj *o = bnew(t, 0);
    if (o) o->integer = v;
    return o;
}

static void *b_nil(const redisReadTask *t) { return bnew(t, 0); }

#ifdef REDIS_REPLY_MAP
static void *b_double(const redisReadTask *t, double v, char *s, size_t len) {
    (void)s;
    (void)len;
    bobj *o = bnew(t, 0);
    if (o) o->integer = (long long)v;
    return o;
}

static void *b_bool(const redisReadTask *t, int v) {
    bobj *o = bnew(t, 0);
    if (o) o->integer = v;
    return o;
}
#endif

static int b_aggregate(int type) {
#ifdef REDIS_REPLY_MAP
    if (type == REDIS_REPLY_MAP || type == REDIS_REPLY_SET || type == REDIS_REPLY_ATTR ||
        type == REDIS_REPLY_PUSH)
        return 1;
#endif
    return type == REDIS_REPLY_ARRAY;
}

static void b_free(void *p) {
    bobj *o = p;
    if (!o) return;
    if (b_aggregate(o->type))
        for (size_t i = 0; i < o->len; i++) b_free(o->element[i]);
    if (o->pooled) {
        *(void **)o = bpool;
        bpool = o;
    } else {
        free(o);
    }
}

static redisReplyObjectFunctions bfns = {
    .createString = b_string,
    .createArray = b_array,
    .createInteger = b_integer,
#ifdef REDIS_REPLY_MAP
    .createDouble = b_double,
    .createBool = b_bool,
#endif
    .createNil = b_nil,
    .freeObject = b_free,
};

static const rcase cases[] = {
    {"status", one_status, REDIS_REPLY_STATUS, 0, 1},
    {"integer", one_integer, REDIS_REPLY_INTEGER, 0, 1},
    {"bulk10", one_bulk10, REDIS_REPLY_STRING, 0, 1},
    {"bulk1k", one_bulk1k, REDIS_REPLY_STRING, 0, 0},
    {"bulk100k", one_bulk100k, REDIS_REPLY_STRING, 0, 0},
    {"array100", one_array100, REDIS_REPLY_ARRAY, 100, 1},
#ifdef REDIS_REPLY_MAP
    {"map16", one_map16, REDIS_REPLY_MAP, 32, 1},
#endif
};

/* Feeds the whole stream once; returns the number of replies read, or -1 on error. With
 * `fn`, replies are the custom table's objects. */
static long pass(redisReader *r, const buf *s, size_t chunk, const rcase *c, int check, int fn) {
    long n = 0;
    for (size_t off = 0; off < s->len; off += chunk) {
        size_t len = s->len - off < chunk ? s->len - off : chunk;
        if (redisReaderFeed(r, s->p + off, len) != REDIS_OK) return -1;
        for (;;) {
            void *reply = NULL;
            if (redisReaderGetReply(r, &reply) != REDIS_OK) return -1;
            if (reply == NULL) break;
            if (fn) {
                bobj *o = reply;
                size_t want = c->type == REDIS_REPLY_STRING ? 10 : c->type == REDIS_REPLY_STATUS ? 2 : c->elements;
                if (check && (o->type != c->type || o->len != want)) {
                    fprintf(stderr, "fn-%s: unexpected object type %d len %zu\n", c->name, o->type, o->len);
                    return -1;
                }
                b_free(reply);
            } else {
                if (check) {
                    redisReply *rr = reply;
                    if (rr->type != c->type || rr->elements != c->elements) {
                        fprintf(stderr, "%s: unexpected reply type %d elements %zu\n", c->name, rr->type,
                                rr->elements);
                        return -1;
                    }
                }
                freeReplyObject(reply);
            }
            n++;
        }
    }
    return n;
}

int main(int argc, char **argv) {
    const char *only = argc > 1 ? argv[1] : NULL;
    int instr = bl_instr_mode();
    double target = bl_target_seconds();
    const size_t chunks[] = {16384, 1024, 128};
    const char *fm = getenv("BENCH_FN_MALLOC");
    bmalloc = fm && *fm == '1';

    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const rcase *c = &cases[ci];
        buf one = {0}, s = {0};
        c->one(&one);
        /* About 256 KiB of input (at least 4 replies), so chunk boundaries fall everywhere. */
        size_t copies = (256 * 1024) / one.len;
        if (copies < 4) copies = 4;
        if (instr && copies > 2000) copies = 2000;
        for (size_t i = 0; i < copies; i++) put(&s, one.p, one.len);

        const size_t nchunks = sizeof chunks / sizeof chunks[0];
        for (size_t k = 0; k < 2 * nchunks; k++) {
            size_t chunk = chunks[k % nchunks];
            int fn = k >= nchunks;
            if (fn && !c->fn) continue;
            char cname[64];
            snprintf(cname, sizeof cname, "%s%s/%s", fn ? "fn-" : "", c->name, chunk == 16384 ? "16k" : chunk == 1024 ? "1k" : "128");
            if (only && !strstr(cname, only)) continue;
            redisReader *r = fn ? redisReaderCreateWithFunctions(&bfns) : redisReaderCreate();
            if (!r) return 1;
            /* Warm-up pass (also checks every reply). */
            long got = pass(r, &s, chunk, c, 1, fn);
            if (got != (long)copies) {
                fprintf(stderr, "%s: read %ld replies, expected %zu\n", cname, got, copies);
                return 1;
            }
            if (instr) {
                bl_instr_start();
                long n = pass(r, &s, chunk, c, 0, fn);
                bl_instr_stop(cname, n);
            } else {
                double t0 = bl_now();
                long passes = 0, n = 0;
                do {
                    n += pass(r, &s, chunk, c, 0, fn);
                    passes++;
                } while (bl_now() - t0 < target);
                double dt = bl_now() - t0;
                bl_result("reader", cname, "ns_per_reply", dt * 1e9 / (double)n);
                bl_result("reader", cname, "MB_per_s", (double)s.len * (double)passes / dt / 1e6);
            }
            redisReaderFree(r);
        }
        free(one.p);
        free(s.p);
    }
    return 0;
}
