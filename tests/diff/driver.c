/* Differential driver: the same source is built against hiredis-rs and against a reference
 * hiredis (tests/diff/run.sh), run with the same seed, and the outputs are compared byte for
 * byte. Each mode generates random inputs from the seed and prints what the library made of them:
 *
 *   driver reader SEED COUNT [resp2]   random RESP streams (some corrupted), fed in random splits
 *   driver reader-fn SEED COUNT [resp2]   the same streams through a table of builders of its
 *                                      own (redisReaderCreateWithFunctions, as bindings do): every
 *                                      call with the task it was given, and each reply's tree
 *   driver format SEED COUNT           redisFormatCommand templates and redisFormatCommandArgv
 *   driver sds SEED COUNT              random sequences of sds operations
 *
 * Only public API that both sides share is used; against hiredis 0.14 (no RESP3) the reader mode
 * runs with "resp2" and the sds mode is not run. */
#include <hiredis/hiredis.h>
#include <hiredis/sds.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* xorshift64. The input generator draws from `rng` only, the feed splits from `split_rng`
 * (reseeded per stream), so that where the libraries' answers differ, the inputs that follow
 * are still the same. */
static uint64_t rng, split_rng;
static uint64_t step(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}
static uint64_t next(void) { return step(&rng); }
static unsigned below(unsigned n) { return (unsigned)(next() % n); }
static unsigned split_below(unsigned n) { return (unsigned)(step(&split_rng) % n); }

/* Output: bytes other than printable ASCII as \xHH, so every line is plain text. */
static void put_bytes(const char *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') putchar(c);
        else printf("\\x%02x", c);
    }
}

/* ---- reader ---------------------------------------------------------------------------- */

static char *buf;
static size_t blen, bcap;
static void emit(const void *p, size_t n) {
    if (blen + n > bcap) {
        bcap = (blen + n) * 2;
        buf = realloc(buf, bcap);
        if (!buf) abort();
    }
    memcpy(buf + blen, p, n);
    blen += n;
}
static void emits(const char *s) { emit(s, strlen(s)); }
static void emitf(const char *fmt, long long v) {
    char t[64];
    snprintf(t, sizeof t, fmt, v);
    emits(t);
}
static int resp3_mode;
static void text(int bulk) { /* a line's content, or a bulk's bytes when bulk */
    /* RESP3 type bytes only where the reference knows them: a corrupted length can make the
     * parser take text for a type byte. */
    const char *pool = resp3_mode ? "abcXYZ 019-_:.$*+%\t" : "abcXYZ 019-:.$*+\t";
    size_t pool_len = strlen(pool);
    unsigned n = below(8) == 0 ? below(300) : below(12);
    for (unsigned i = 0; i < n; i++) {
        char c = bulk && resp3_mode && below(6) == 0 ? (char)below(256) : pool[below((unsigned)pool_len)];
        emit(&c, 1);
    }
}

static const char *const doubles[] = {"1.5", "-0", "3", "1e10", "inf", "-inf", "0.1", "-2.25",
                                      "1.7976931348623157e308", "123456789.123456789", "1E-5"};
static const long long ints[] = {0, 1, -1, 42, LLONG_MAX, LLONG_MIN, 1000000007, -9999};

static void value(int depth, int resp3) {
    unsigned kinds = resp3 ? 16 : 8;
    unsigned k = below(kinds);
    if (depth >= 5 && (k == 4 || k >= 12)) k = 0; /* no deeper aggregates */
    switch (k) {
    case 0: emits("+"); text(0); emits("\r\n"); break;
    case 1: emits("-"); text(0); emits("\r\n"); break;
    case 2:
        emitf(":%lld\r\n", below(2) ? ints[below(8)] : (long long)(next() >> below(64)));
        break;
    case 3: { /* the bytes first, then moved behind their length line */
        size_t mark = blen;
        text(1);
        size_t n = blen - mark;
        char *copy = malloc(n + 1);
        if (!copy) abort();
        memcpy(copy, buf + mark, n);
        blen = mark;
        emitf("$%lld\r\n", (long long)n);
        emit(copy, n);
        emits("\r\n");
        free(copy);
        break;
    }
    case 4: {
        unsigned n = below(5);
        emitf("*%lld\r\n", n);
        for (unsigned i = 0; i < n; i++) value(depth + 1, resp3);
        break;
    }
    case 5: emits("$-1\r\n"); break;
    case 6: emits("*-1\r\n"); break;
    case 7: emits(":-0\r\n"); break;
    /* RESP3 */
    case 8: emits("_\r\n"); break;
    case 9: emits(","); emits(doubles[below(sizeof doubles / sizeof *doubles)]); emits("\r\n"); break;
    case 10: emits(below(2) ? "#t\r\n" : "#f\r\n"); break;
    case 11: emits("(");
        for (unsigned i = 0, n = 1 + below(40); i < n; i++) { char c = (char)('0' + below(10)); emit(&c, 1); }
        emits("\r\n");
        break;
    case 12: case 13: case 14: { /* map, set, push */
        unsigned n = below(4);
        emitf(k == 12 ? "%%%lld\r\n" : k == 13 ? "~%lld\r\n" : ">%lld\r\n", n);
        for (unsigned i = 0; i < (k == 12 ? 2 * n : n); i++) value(depth + 1, resp3);
        break;
    }
    default: { /* verbatim */
        const char *body = below(2) ? "txt:hello world" : "mkd:# t";
        emitf("=%lld\r\n", (long long)strlen(body));
        emits(body);
        emits("\r\n");
    }
    }
}

static void show(const redisReply *r, int depth) {
    printf("%*s", depth * 2, "");
    switch (r->type) {
    case REDIS_REPLY_STATUS: printf("status "); put_bytes(r->str, r->len); break;
    case REDIS_REPLY_ERROR: printf("error "); put_bytes(r->str, r->len); break;
    case REDIS_REPLY_STRING: printf("string %zu ", r->len); put_bytes(r->str, r->len); break;
    case REDIS_REPLY_INTEGER: printf("integer %lld", r->integer); break;
    case REDIS_REPLY_NIL: printf("nil"); break;
#ifdef REDIS_REPLY_DOUBLE
    case REDIS_REPLY_DOUBLE: printf("double %.17g ", r->dval); put_bytes(r->str, r->len); break;
    case REDIS_REPLY_BOOL: printf("bool %lld", r->integer); break;
    case REDIS_REPLY_BIGNUM: printf("bignum "); put_bytes(r->str, r->len); break;
    case REDIS_REPLY_VERB: printf("verb %s ", r->vtype); put_bytes(r->str, r->len); break;
#endif
    default: break;
    }
    if (r->type == REDIS_REPLY_ARRAY
#ifdef REDIS_REPLY_MAP
        || r->type == REDIS_REPLY_MAP || r->type == REDIS_REPLY_SET || r->type == REDIS_REPLY_PUSH
#endif
    ) {
        printf("aggregate %d of %zu", r->type, r->elements);
        putchar('\n');
        for (size_t i = 0; i < r->elements; i++) show(r->element[i], depth + 1);
        return;
    }
    putchar('\n');
}

/* A binding's builders: each object gets a number, links itself into its parent at task->idx,
 * and every call prints the task it was given (type, elements, idx, its object, the parent's
 * type, elements and object, privdata). r->privdata changes before each redisReaderGetReply. */
typedef struct dobj {
    int id, type;
    size_t n;
    long long v;
    struct dobj **kid;
} dobj;
static int dobj_ids;

static int oid(const void *o) { return o ? ((const dobj *)o)->id : 0; }

static void *dnew(const char *what, const redisReadTask *t, size_t n) {
    dobj *o = calloc(1, sizeof *o);
    if (!o) abort();
    o->id = ++dobj_ids;
    o->type = t->type;
    if (n) {
        o->n = n;
        o->kid = calloc(n, sizeof *o->kid);
        if (!o->kid) abort();
    }
    printf("  %s #%d: type %d elements %lld idx %d obj #%d privdata %ld", what, o->id, t->type,
           (long long)t->elements, t->idx, oid(t->obj), (long)(intptr_t)t->privdata);
    if (t->parent) {
        const redisReadTask *p = t->parent;
        printf(" parent type %d elements %lld idx %d obj #%d%s", p->type, (long long)p->elements, p->idx,
               oid(p->obj), p->parent ? " (nested)" : "");
        dobj *po = p->obj;
        if (po && t->idx >= 0 && (size_t)t->idx < po->n) po->kid[t->idx] = o;
    }
    return o;
}
static void *d_string(const redisReadTask *t, char *s, size_t n) {
    dobj *o = dnew("string", t, 0);
    printf(" len %zu ", n);
    put_bytes(s, n);
    putchar('\n');
    return o;
}
#ifdef REDIS_REPLY_MAP
static void *d_array(const redisReadTask *t, size_t n) {
#else
static void *d_array(const redisReadTask *t, int n) {
#endif
    dobj *o = dnew("array", t, (size_t)n);
    printf(" of %zu\n", (size_t)n);
    return o;
}
static void *d_integer(const redisReadTask *t, long long v) {
    dobj *o = dnew("integer", t, 0);
    o->v = v;
    printf(" value %lld\n", v);
    return o;
}
static void *d_nil(const redisReadTask *t) {
    dobj *o = dnew("nil", t, 0);
    putchar('\n');
    return o;
}
#ifdef REDIS_REPLY_MAP
static void *d_double(const redisReadTask *t, double d, char *s, size_t n) {
    dobj *o = dnew("double", t, 0);
    printf(" value %.17g text ", d);
    put_bytes(s, n);
    printf(" terminated %d\n", s[n] == 0);
    return o;
}
static void *d_bool(const redisReadTask *t, int v) {
    dobj *o = dnew("bool", t, 0);
    printf(" value %d\n", v);
    return o;
}
#endif
static void d_free(void *p) {
    dobj *o = p;
    if (!o) return;
    for (size_t i = 0; i < o->n; i++) d_free(o->kid[i]);
    free(o->kid);
    free(o);
}
static void d_show(const dobj *o, int depth) {
    printf("%*s#%d type %d", depth * 2, "", o->id, o->type);
    if (o->kid) {
        printf(" of %zu\n", o->n);
        for (size_t i = 0; i < o->n; i++) {
            if (o->kid[i]) d_show(o->kid[i], depth + 1);
            else printf("%*s(unlinked)\n", depth * 2 + 2, "");
        }
    } else {
        putchar('\n');
    }
}
static redisReplyObjectFunctions dfns = {
    .createString = d_string,
    .createArray = d_array,
    .createInteger = d_integer,
#ifdef REDIS_REPLY_MAP
    .createDouble = d_double,
    .createBool = d_bool,
#endif
    .createNil = d_nil,
    .freeObject = d_free,
};

static void reader_mode(unsigned count, int resp3, int fn) {
    resp3_mode = resp3;
    for (unsigned s = 0; s < count; s++) {
        blen = 0;
        for (unsigned i = 0, n = 1 + below(4); i < n; i++) value(0, resp3);
        if (below(8) == 0 && blen > 0) { /* corrupt one byte */
            size_t at = below((unsigned)blen);
            char was = buf[at];
            buf[at] = below(2) ? (char)below(256) : "+-:$*\r\n0"[below(8)];
            /* hiredis 0.14 does not check lines for a bare CR or LF (1.x does) and knows no
             * RESP3 type bytes: against it (resp2 mode) line ends stay, and no CR, LF or RESP3
             * type byte is written. */
            if (!resp3 && (was == '\r' || was == '\n' || (buf[at] && strchr("\r\n,_#(=%~>|", buf[at]))))
                buf[at] = was;
        }
        if (below(16) == 0) emits(":99999999999999999999\r\n");
        printf("stream %u (%zu bytes)\n", s, blen);
        redisReader *r = fn ? redisReaderCreateWithFunctions(&dfns) : redisReaderCreate();
        if (!r) abort();
        long calls = 0;
        split_rng = rng ^ 0x9e3779b97f4a7c15u;
        size_t off = 0;
        int failed = 0;
        while (off < blen && !failed) {
            size_t n = split_below(3) == 0 ? blen - off : 1 + split_below(16);
            if (n > blen - off) n = blen - off;
            if (redisReaderFeed(r, buf + off, n) != REDIS_OK) { printf("feed error\n"); break; }
            off += n;
            for (;;) {
                void *reply = NULL;
                r->privdata = (void *)(intptr_t)++calls;
                if (redisReaderGetReply(r, &reply) != REDIS_OK) {
                    printf("error %d %s\n", r->err, r->errstr);
                    failed = 1;
                    break;
                }
                if (!reply) break;
                if (fn) {
                    d_show(reply, 1);
                    d_free(reply);
                } else {
                    show(reply, 1);
                    freeReplyObject(reply);
                }
            }
        }
        redisReaderFree(r);
    }
}

/* ---- formatter ------------------------------------------------------------------------- */

static void word(char *out, size_t cap) { /* a NUL-free string, sometimes with spaces */
    static const char pool[] = "ab Z09%-_\t\r\n\"'";
    size_t n = below(6) == 0 ? below((unsigned)cap - 1) : below(8);
    for (size_t i = 0; i < n; i++) out[i] = pool[below(sizeof pool - 1)];
    out[n] = 0;
}

static void show_cmd(int len, char *cmd) {
    printf("%d ", len);
    if (len > 0) put_bytes(cmd, (size_t)len);
    putchar('\n');
    if (len > 0) redisFreeCommand(cmd);
}

static void format_mode(unsigned count) {
    char a[200], b[200], c[40];
    for (unsigned s = 0; s < count; s++) {
        char *cmd = NULL;
        int len = -1;
        word(a, sizeof a);
        word(b, sizeof b);
        word(c, sizeof c);
        size_t blen2 = below(6);
        long long ll = (long long)next();
        int iv = (int)next();
        unsigned uv = (unsigned)next();
        printf("case %u/%u: ", s, s % 12);
        switch (s % 12) {
        case 0: len = redisFormatCommand(&cmd, "SET %s %s", a, b); break;
        case 1: len = redisFormatCommand(&cmd, "SET %b %b", a, strlen(a), b, blen2 < strlen(b) ? blen2 : strlen(b)); break;
        case 2: len = redisFormatCommand(&cmd, "HSET %s %d %lld", a, iv, ll); break;
        case 3: len = redisFormatCommand(&cmd, "x%sy %b%d z", a, b, strlen(b), iv); break;
        case 4: len = redisFormatCommand(&cmd, "%s", a); break;
        case 5: len = redisFormatCommand(&cmd, "INCRBY %s %u %%", a, uv); break;
        case 6: len = redisFormatCommand(&cmd, "A%%B %s%%%s", a, c); break;
        case 7: len = redisFormatCommand(&cmd, "ZADD k %.3f %s %5d|%-4d|", (double)iv / 7.0, c, iv % 1000, iv % 100); break;
        case 8: len = redisFormatCommand(&cmd, "  GET   %s  ", a); break;
        case 9: len = redisFormatCommand(&cmd, "CMD %hhd %hd %ld %lu %x %llx %zu", (char)iv, (short)iv, (long)ll, (unsigned long)ll, uv, (unsigned long long)ll, (size_t)uv); break;
        case 10: { /* a format of plain words, %% and perhaps a final lone % */
            char f[64];
            size_t n = 0;
            for (unsigned i = 0, m = below(8); i < m; i++) {
                const char *tok = (const char *[]){"ab", " ", "%%", "x", "\t"}[below(5)];
                memcpy(f + n, tok, strlen(tok));
                n += strlen(tok);
            }
            if (below(3) == 0) f[n++] = '%';
            f[n] = 0;
            len = redisFormatCommand(&cmd, f);
            break;
        }
        default: {
            const char *argv[6];
            size_t lens[6];
            char store[6][40];
            int argc = (int)below(7);
            for (int i = 0; i < argc; i++) {
                size_t n = below(40);
                for (size_t j = 0; j < n; j++) store[i][j] = (char)below(256);
                argv[i] = store[i];
                lens[i] = n;
            }
            len = redisFormatCommandArgv(&cmd, argc, argv, below(2) ? lens : NULL);
        }
        }
        show_cmd(len, cmd);
    }
}

/* ---- sds ------------------------------------------------------------------------------- */

static void show_sds(const char *what, sds s) {
    printf("%s %zu ", what, sdslen(s));
    put_bytes(s, sdslen(s));
    putchar('\n');
}

static void sds_mode(unsigned count) {
    char w[120];
    for (unsigned s = 0; s < count; s++) {
        sds x = sdsempty();
        printf("sequence %u\n", s);
        for (unsigned op = 0, n = 1 + below(12); op < n; op++) {
            word(w, sizeof w);
            switch (below(14)) {
            case 0: x = sdscatlen(x, w, strlen(w)); show_sds("catlen", x); break;
            case 1: x = sdscpy(x, w); show_sds("cpy", x); break;
            case 2: {
                ssize_t a = (ssize_t)below(40) - 20, b = (ssize_t)below(40) - 20;
                sdsrange(x, a, b);
                printf("range %zd %zd ", a, b);
                show_sds("", x);
                break;
            }
            case 3: x = sdstrim(x, " a\t"); show_sds("trim", x); break;
            case 4: { sds r = sdscatrepr(sdsempty(), x, sdslen(x)); show_sds("repr", r); sdsfree(r); break; }
            case 5: {
                long long v = below(3) ? (long long)next() : ints[below(8)];
                sds f = sdsfromlonglong(v);
                show_sds("fromll", f);
                sdsfree(f);
                break;
            }
            case 6: {
                sds y = sdsnew(w);
                int c = sdscmp(x, y);
                printf("cmp %d\n", c < 0 ? -1 : c > 0);
                sdsfree(y);
                break;
            }
            case 7: {
                int cnt = 0;
                sds *parts = sdssplitlen(x, (ssize_t)sdslen(x), " ", 1, &cnt);
                printf("split %d\n", cnt);
                for (int i = 0; i < cnt; i++) show_sds("  part", parts[i]);
                sdsfreesplitres(parts, cnt);
                break;
            }
            case 8: {
                int argc = 0;
                sds *args = sdssplitargs(w, &argc);
                printf("splitargs %s %d\n", args ? "ok" : "null", argc);
                for (int i = 0; args && i < argc; i++) show_sds("  arg", args[i]);
                if (args) sdsfreesplitres(args, argc);
                break;
            }
            case 9: sdsmapchars(x, "ab ", "BA_", 3); show_sds("map", x); break;
            case 10: x = sdscatfmt(x, "[%s|%i|%I|%u|%U|%%]", w, (int)next(), (long long)next(), (unsigned)next(), (unsigned long long)next()); show_sds("catfmt", x); break;
            case 11: sdstoupper(x); show_sds("upper", x); sdstolower(x); show_sds("lower", x); break;
            case 12: {
                char x1[] = "x", x2[] = "";
                char *items[3] = {w, x1, x2};
                sds j = sdsjoin(items, 3, ", ");
                show_sds("join", j);
                sdsfree(j);
                break;
            }
            default: {
                size_t to = sdslen(x) + below(8);
                x = sdsgrowzero(x, to);
                show_sds("growzero", x);
            }
            }
        }
        sdsfree(x);
    }
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s reader|reader-fn|format|sds SEED COUNT [resp2]\n", argv[0]);
        return 2;
    }
    rng = strtoull(argv[2], NULL, 10) * 2654435761u + 1;
    unsigned count = (unsigned)strtoul(argv[3], NULL, 10);
    int resp3 = !(argc > 4 && strcmp(argv[4], "resp2") == 0);
    if (strcmp(argv[1], "reader") == 0) reader_mode(count, resp3, 0);
    else if (strcmp(argv[1], "reader-fn") == 0) reader_mode(count, resp3, 1);
    else if (strcmp(argv[1], "format") == 0) format_mode(count);
    else if (strcmp(argv[1], "sds") == 0) sds_mode(count);
    else return 2;
    free(buf);
    return 0;
}
