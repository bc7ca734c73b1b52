/* ABI layout: every public struct of hiredis 1.4.1 must have the size, field offsets and
 * field types measured on x86_64 Linux (spec §3), and every public constant its value (spec §1.1,
 * §2). Compile-time checks use _Static_assert, so drifting headers fail the build of this file;
 * the runtime part checks what only runs: the field-reading macros, the sds inline helpers
 * on hand-built headers, and that the allocator hooks in the inline hi_* helpers are live. */
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/read.h>
#include <hiredis/sds.h>
#include <hiredis/alloc.h>
#include <hiredis/sockcompat.h>

#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include "testlib.h"

#if !defined(__x86_64__) || !defined(__linux__)
#error "the measured layouts are for x86_64 Linux"
#endif

#define SAME_TYPE(a, b) __builtin_types_compatible_p(a, b)
#define FIELD_TYPE(T, f) __typeof__(((T *)0)->f)

/* Offset and exact type of a field. */
#define FIELD(T, f, off, type)                                                        \
    _Static_assert(offsetof(T, f) == (off), #T "." #f " must be at offset " #off);   \
    _Static_assert(SAME_TYPE(FIELD_TYPE(T, f), type), #T "." #f " must be " #type)
#define SIZE(T, n) _Static_assert(sizeof(T) == (n), "sizeof(" #T ") must be " #n)
/* For members whose type hiredis leaves anonymous: offset and size only. */
#define FIELD_SIZE(T, f, off, n)                                                      \
    _Static_assert(offsetof(T, f) == (off), #T "." #f " must be at offset " #off);   \
    _Static_assert(sizeof(((T *)0)->f) == (n), #T "." #f " must be " #n " bytes")

/* ---- read.h ---------------------------------------------------------------------------- */
SIZE(redisReadTask, 48);
FIELD(redisReadTask, type, 0, int);
FIELD(redisReadTask, elements, 8, long long);
FIELD(redisReadTask, idx, 16, int);
FIELD(redisReadTask, obj, 24, void *);
FIELD(redisReadTask, parent, 32, struct redisReadTask *);
FIELD(redisReadTask, privdata, 40, void *);

SIZE(redisReplyObjectFunctions, 56);
FIELD(redisReplyObjectFunctions, createString, 0, void *(*)(const redisReadTask *, char *, size_t));
FIELD(redisReplyObjectFunctions, createArray, 8, void *(*)(const redisReadTask *, size_t));
FIELD(redisReplyObjectFunctions, createInteger, 16, void *(*)(const redisReadTask *, long long));
FIELD(redisReplyObjectFunctions, createDouble, 24, void *(*)(const redisReadTask *, double, char *, size_t));
FIELD(redisReplyObjectFunctions, createNil, 32, void *(*)(const redisReadTask *));
FIELD(redisReplyObjectFunctions, createBool, 40, void *(*)(const redisReadTask *, int));
FIELD(redisReplyObjectFunctions, freeObject, 48, void (*)(void *));

SIZE(redisReader, 216);
FIELD(redisReader, err, 0, int);
FIELD(redisReader, errstr, 4, char[128]);
FIELD(redisReader, buf, 136, char *);
FIELD(redisReader, pos, 144, size_t);
FIELD(redisReader, len, 152, size_t);
FIELD(redisReader, maxbuf, 160, size_t);
FIELD(redisReader, maxelements, 168, long long);
FIELD(redisReader, task, 176, redisReadTask **);
FIELD(redisReader, tasks, 184, int);
FIELD(redisReader, ridx, 188, int);
FIELD(redisReader, reply, 192, void *);
FIELD(redisReader, fn, 200, redisReplyObjectFunctions *);
FIELD(redisReader, privdata, 208, void *);

/* ---- hiredis.h ------------------------------------------------------------------------- */
SIZE(redisReply, 64);
FIELD(redisReply, type, 0, int);
FIELD(redisReply, integer, 8, long long);
FIELD(redisReply, dval, 16, double);
FIELD(redisReply, len, 24, size_t);
FIELD(redisReply, str, 32, char *);
FIELD(redisReply, vtype, 40, char[4]);
FIELD(redisReply, elements, 48, size_t);
FIELD(redisReply, element, 56, struct redisReply **);

SIZE(redisOptions, 80);
FIELD(redisOptions, type, 0, int);
FIELD(redisOptions, options, 4, int);
FIELD(redisOptions, connect_timeout, 8, const struct timeval *);
FIELD(redisOptions, command_timeout, 16, const struct timeval *);
FIELD_SIZE(redisOptions, endpoint, 24, 24);
FIELD(redisOptions, endpoint.tcp.source_addr, 24, const char *);
FIELD(redisOptions, endpoint.tcp.ip, 32, const char *);
FIELD(redisOptions, endpoint.tcp.port, 40, int);
FIELD(redisOptions, endpoint.unix_socket, 24, const char *);
FIELD(redisOptions, endpoint.fd, 24, redisFD);
FIELD(redisOptions, privdata, 48, void *);
FIELD(redisOptions, free_privdata, 56, void (*)(void *));
FIELD(redisOptions, push_cb, 64, redisPushFn *);
FIELD(redisOptions, async_push_cb, 72, redisAsyncPushFn *);

SIZE(redisContextFuncs, 48);
FIELD(redisContextFuncs, close, 0, void (*)(struct redisContext *));
FIELD(redisContextFuncs, free_privctx, 8, void (*)(void *));
FIELD(redisContextFuncs, async_read, 16, void (*)(struct redisAsyncContext *));
FIELD(redisContextFuncs, async_write, 24, void (*)(struct redisAsyncContext *));
FIELD(redisContextFuncs, read, 32, ssize_t (*)(struct redisContext *, char *, size_t));
FIELD(redisContextFuncs, write, 40, ssize_t (*)(struct redisContext *));

SIZE(redisContext, 272);
FIELD(redisContext, funcs, 0, const struct redisContextFuncs *);
FIELD(redisContext, err, 8, int);
FIELD(redisContext, errstr, 12, char[128]);
FIELD(redisContext, fd, 140, redisFD);
FIELD(redisContext, flags, 144, int);
FIELD(redisContext, obuf, 152, sds);
FIELD(redisContext, reader, 160, redisReader *);
FIELD(redisContext, connection_type, 168, enum redisConnectionType);
FIELD(redisContext, connect_timeout, 176, struct timeval *);
FIELD(redisContext, command_timeout, 184, struct timeval *);
FIELD_SIZE(redisContext, tcp, 192, 24);
FIELD(redisContext, tcp.host, 192, char *);
FIELD(redisContext, tcp.source_addr, 200, char *);
FIELD(redisContext, tcp.port, 208, int);
FIELD_SIZE(redisContext, unix_sock, 216, 8);
FIELD(redisContext, unix_sock.path, 216, char *);
FIELD(redisContext, saddr, 224, struct sockaddr *);
FIELD(redisContext, addrlen, 232, size_t);
FIELD(redisContext, privdata, 240, void *);
FIELD(redisContext, free_privdata, 248, void (*)(void *));
FIELD(redisContext, privctx, 256, void *);
FIELD(redisContext, push_cb, 264, redisPushFn *);

/* Plain C enums of 4 bytes, with hiredis's values. */
_Static_assert(sizeof(enum redisConnectionType) == 4, "enum redisConnectionType is 4 bytes");
_Static_assert(REDIS_CONN_TCP == 0 && REDIS_CONN_UNIX == 1 && REDIS_CONN_USERFD == 2, "redisConnectionType values");
_Static_assert(SAME_TYPE(redisFD, int), "redisFD is int");
_Static_assert(SAME_TYPE(sds, char *), "sds is char *");

/* The callback typedefs are function types (users write `redisPushFn *p`). */
_Static_assert(SAME_TYPE(redisPushFn *, void (*)(void *, void *)), "redisPushFn");
_Static_assert(SAME_TYPE(redisAsyncPushFn *, void (*)(struct redisAsyncContext *, void *)), "redisAsyncPushFn");

/* ---- async.h --------------------------------------------------------------------------- */
_Static_assert(SAME_TYPE(redisCallbackFn *, void (*)(struct redisAsyncContext *, void *, void *)), "redisCallbackFn");
_Static_assert(SAME_TYPE(redisDisconnectCallback *, void (*)(const struct redisAsyncContext *, int)), "redisDisconnectCallback");
_Static_assert(SAME_TYPE(redisConnectCallback *, void (*)(const struct redisAsyncContext *, int)), "redisConnectCallback");
_Static_assert(SAME_TYPE(redisConnectCallbackNC *, void (*)(struct redisAsyncContext *, int)), "redisConnectCallbackNC");
_Static_assert(SAME_TYPE(redisTimerCallback *, void (*)(void *, void *)), "redisTimerCallback");

SIZE(redisCallback, 32);
FIELD(redisCallback, next, 0, struct redisCallback *);
FIELD(redisCallback, fn, 8, redisCallbackFn *);
FIELD(redisCallback, pending_subs, 16, int);
FIELD(redisCallback, unsubscribe_sent, 20, int);
FIELD(redisCallback, privdata, 24, void *);

SIZE(redisCallbackList, 16);
FIELD(redisCallbackList, head, 0, redisCallback *);
FIELD(redisCallbackList, tail, 8, redisCallback *);

SIZE(redisAsyncContext, 464);
FIELD(redisAsyncContext, c, 0, redisContext);
FIELD(redisAsyncContext, err, 272, int);
FIELD(redisAsyncContext, errstr, 280, char *);
FIELD(redisAsyncContext, data, 288, void *);
FIELD(redisAsyncContext, dataCleanup, 296, void (*)(void *));
FIELD_SIZE(redisAsyncContext, ev, 304, 56);
FIELD(redisAsyncContext, ev.data, 304, void *);
FIELD(redisAsyncContext, ev.addRead, 312, void (*)(void *));
FIELD(redisAsyncContext, ev.delRead, 320, void (*)(void *));
FIELD(redisAsyncContext, ev.addWrite, 328, void (*)(void *));
FIELD(redisAsyncContext, ev.delWrite, 336, void (*)(void *));
FIELD(redisAsyncContext, ev.cleanup, 344, void (*)(void *));
FIELD(redisAsyncContext, ev.scheduleTimer, 352, void (*)(void *, struct timeval));
FIELD(redisAsyncContext, onDisconnect, 360, redisDisconnectCallback *);
FIELD(redisAsyncContext, onConnect, 368, redisConnectCallback *);
FIELD(redisAsyncContext, onConnectNC, 376, redisConnectCallbackNC *);
FIELD(redisAsyncContext, replies, 384, redisCallbackList);
FIELD(redisAsyncContext, replies.head, 384, redisCallback *);
FIELD(redisAsyncContext, replies.tail, 392, redisCallback *);
FIELD(redisAsyncContext, saddr, 400, struct sockaddr *);
FIELD(redisAsyncContext, addrlen, 408, size_t);
FIELD_SIZE(redisAsyncContext, sub, 416, 40);
FIELD(redisAsyncContext, sub.replies, 416, redisCallbackList);
FIELD(redisAsyncContext, sub.replies.head, 416, redisCallback *);
FIELD(redisAsyncContext, sub.replies.tail, 424, redisCallback *);
FIELD(redisAsyncContext, sub.channels, 432, struct dict *);
FIELD(redisAsyncContext, sub.patterns, 440, struct dict *);
FIELD(redisAsyncContext, sub.pending_unsubs, 448, int);
FIELD(redisAsyncContext, push_cb, 456, redisAsyncPushFn *);
/* The embedded context keeps its own offsets. */
FIELD(redisAsyncContext, c.err, 8, int);
FIELD(redisAsyncContext, c.fd, 140, redisFD);
FIELD(redisAsyncContext, c.flags, 144, int);
FIELD(redisAsyncContext, c.reader, 160, redisReader *);
FIELD(redisAsyncContext, c.command_timeout, 184, struct timeval *);
FIELD(redisAsyncContext, c.privctx, 256, void *);

/* ---- alloc.h --------------------------------------------------------------------------- */
SIZE(hiredisAllocFuncs, 40);
FIELD(hiredisAllocFuncs, mallocFn, 0, void *(*)(size_t));
FIELD(hiredisAllocFuncs, callocFn, 8, void *(*)(size_t, size_t));
FIELD(hiredisAllocFuncs, reallocFn, 16, void *(*)(void *, size_t));
FIELD(hiredisAllocFuncs, strdupFn, 24, char *(*)(const char *));
FIELD(hiredisAllocFuncs, freeFn, 32, void (*)(void *));
_Static_assert(SAME_TYPE(__typeof__(hiredisAllocFns), hiredisAllocFuncs), "hiredisAllocFns is a hiredisAllocFuncs");

/* ---- sds.h (packed, align 1) ----------------------------------------------------------- */
SIZE(struct sdshdr5, 1);
FIELD(struct sdshdr5, flags, 0, unsigned char);
_Static_assert(offsetof(struct sdshdr5, buf) == 1, "sdshdr5.buf");
SIZE(struct sdshdr8, 3);
FIELD(struct sdshdr8, len, 0, uint8_t);
FIELD(struct sdshdr8, alloc, 1, uint8_t);
FIELD(struct sdshdr8, flags, 2, unsigned char);
_Static_assert(offsetof(struct sdshdr8, buf) == 3, "sdshdr8.buf");
SIZE(struct sdshdr16, 5);
FIELD(struct sdshdr16, len, 0, uint16_t);
FIELD(struct sdshdr16, alloc, 2, uint16_t);
FIELD(struct sdshdr16, flags, 4, unsigned char);
_Static_assert(offsetof(struct sdshdr16, buf) == 5, "sdshdr16.buf");
SIZE(struct sdshdr32, 9);
FIELD(struct sdshdr32, len, 0, uint32_t);
FIELD(struct sdshdr32, alloc, 4, uint32_t);
FIELD(struct sdshdr32, flags, 8, unsigned char);
_Static_assert(offsetof(struct sdshdr32, buf) == 9, "sdshdr32.buf");
SIZE(struct sdshdr64, 17);
FIELD(struct sdshdr64, len, 0, uint64_t);
FIELD(struct sdshdr64, alloc, 8, uint64_t);
FIELD(struct sdshdr64, flags, 16, unsigned char);
_Static_assert(offsetof(struct sdshdr64, buf) == 17, "sdshdr64.buf");
_Static_assert(_Alignof(struct sdshdr64) == 1, "sds headers are packed");

/* ---- constants ------------------------------------------------------------------------- */
#define CONST(name, value) _Static_assert((name) == (value), #name " must be " #value)
CONST(HIREDIS_MAJOR, 1);
CONST(HIREDIS_MINOR, 4);
CONST(HIREDIS_PATCH, 0);
CONST(REDIS_ERR, -1);
CONST(REDIS_OK, 0);
CONST(REDIS_ERR_IO, 1);
CONST(REDIS_ERR_OTHER, 2);
CONST(REDIS_ERR_EOF, 3);
CONST(REDIS_ERR_PROTOCOL, 4);
CONST(REDIS_ERR_OOM, 5);
CONST(REDIS_ERR_TIMEOUT, 6);
CONST(REDIS_REPLY_STRING, 1);
CONST(REDIS_REPLY_ARRAY, 2);
CONST(REDIS_REPLY_INTEGER, 3);
CONST(REDIS_REPLY_NIL, 4);
CONST(REDIS_REPLY_STATUS, 5);
CONST(REDIS_REPLY_ERROR, 6);
CONST(REDIS_REPLY_DOUBLE, 7);
CONST(REDIS_REPLY_BOOL, 8);
CONST(REDIS_REPLY_MAP, 9);
CONST(REDIS_REPLY_SET, 10);
CONST(REDIS_REPLY_ATTR, 11);
CONST(REDIS_REPLY_PUSH, 12);
CONST(REDIS_REPLY_BIGNUM, 13);
CONST(REDIS_REPLY_VERB, 14);
CONST(REDIS_READER_MAX_BUF, 16384);
CONST(REDIS_READER_MAX_ARRAY_ELEMENTS, 4294967295LL);
CONST(REDIS_BLOCK, 0x1);
CONST(REDIS_CONNECTED, 0x2);
CONST(REDIS_DISCONNECTING, 0x4);
CONST(REDIS_FREEING, 0x8);
CONST(REDIS_IN_CALLBACK, 0x10);
CONST(REDIS_SUBSCRIBED, 0x20);
CONST(REDIS_MONITORING, 0x40);
CONST(REDIS_REUSEADDR, 0x80);
CONST(REDIS_SUPPORTS_PUSH, 0x100);
CONST(REDIS_NO_AUTO_FREE, 0x200);
CONST(REDIS_NO_AUTO_FREE_REPLIES, 0x400);
CONST(REDIS_PREFER_IPV4, 0x800);
CONST(REDIS_PREFER_IPV6, 0x1000);
CONST(REDIS_KEEPALIVE_INTERVAL, 15);
CONST(REDIS_CONNECT_RETRIES, 10);
CONST(REDIS_OPT_NONBLOCK, 0x01);
CONST(REDIS_OPT_REUSEADDR, 0x02);
CONST(REDIS_OPT_NOAUTOFREE, 0x04);
CONST(REDIS_OPT_NO_PUSH_AUTOFREE, 0x08);
CONST(REDIS_OPT_NOAUTOFREEREPLIES, 0x10);
CONST(REDIS_OPT_PREFER_IPV4, 0x20);
CONST(REDIS_OPT_PREFER_IPV6, 0x40);
CONST(REDIS_OPT_PREFER_IP_UNSPEC, 0x60);
CONST(REDIS_OPT_SET_SOCK_CLOEXEC, 0x80);
CONST(REDIS_INVALID_FD, -1);
CONST(SDS_MAX_PREALLOC, 1024 * 1024);
CONST(SDS_TYPE_5, 0);
CONST(SDS_TYPE_8, 1);
CONST(SDS_TYPE_16, 2);
CONST(SDS_TYPE_32, 3);
CONST(SDS_TYPE_64, 4);
CONST(SDS_TYPE_MASK, 7);
CONST(SDS_TYPE_BITS, 3);
/* hiredis's value has type long long; a plain int expression would overflow. */
_Static_assert(sizeof(REDIS_READER_MAX_ARRAY_ELEMENTS) == 8, "REDIS_READER_MAX_ARRAY_ELEMENTS is 64-bit");

#define STR_(x) #x
#define STR(x) STR_(x)

static int allocs_seen;
static void *counting_malloc(size_t n) { allocs_seen++; return malloc(n); }

int main(void) {
    SECTION("version tokens");
    /* HIREDIS_SONAME is an unquoted token that build scripts grep out of the header. */
    CHECK(strcmp(STR(HIREDIS_SONAME), "1.4.0") == 0, "HIREDIS_SONAME is %s", STR(HIREDIS_SONAME));

    SECTION("field-reading macros");
    redisReader r;
    memset(&r, 0, sizeof r);
    int tag = 7;
    r.reply = &tag;
    strcpy(r.errstr, "boom");
    CHECK(redisReaderGetObject(&r) == &tag, "redisReaderGetObject reads reply");
    CHECK(strcmp(redisReaderGetError(&r), "boom") == 0, "redisReaderGetError reads errstr");
    /* hiredis's own macro casts the pointer to int; callers of hiredis see the same warning. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpointer-to-int-cast"
    (void)redisReaderSetPrivdata(&r, &tag);
#pragma GCC diagnostic pop
    CHECK(r.privdata == &tag, "redisReaderSetPrivdata writes privdata");

    redisReply push;
    memset(&push, 0, sizeof push);
    push.type = REDIS_REPLY_PUSH;
    CHECK(redisIsPushReply(&push), "redisIsPushReply on a push");
    push.type = REDIS_REPLY_ARRAY;
    CHECK(!redisIsPushReply(&push), "redisIsPushReply on an array");

    redisOptions o;
    memset(&o, 0, sizeof o);
    REDIS_OPTIONS_SET_TCP(&o, "127.0.0.1", 6379);
    CHECK(o.type == REDIS_CONN_TCP && strcmp(o.endpoint.tcp.ip, "127.0.0.1") == 0 && o.endpoint.tcp.port == 6379,
          "REDIS_OPTIONS_SET_TCP");
    REDIS_OPTIONS_SET_UNIX(&o, "/tmp/x.sock");
    CHECK(o.type == REDIS_CONN_UNIX && strcmp(o.endpoint.unix_socket, "/tmp/x.sock") == 0, "REDIS_OPTIONS_SET_UNIX");
    REDIS_OPTIONS_SET_PRIVDATA(&o, &tag, free);
    CHECK(o.privdata == &tag && o.free_privdata == free, "REDIS_OPTIONS_SET_PRIVDATA");

    SECTION("sds inline helpers on hand-built headers");
    {
        /* type 8: len 3, alloc 10 */
        unsigned char mem8[3 + 11] = {3, 10, SDS_TYPE_8, 'a', 'b', 'c', 0};
        sds s = (sds)(mem8 + 3);
        CHECK(sdslen(s) == 3 && sdsavail(s) == 7 && sdsalloc(s) == 10, "sdshdr8 read: len %zu avail %zu",
              sdslen(s), sdsavail(s));
        sdssetlen(s, 2);
        sdsinclen(s, 1);
        sdssetalloc(s, 9);
        CHECK(mem8[0] == 3 && mem8[1] == 9, "sdshdr8 write");
        /* type 5: length in the top 5 bits of flags */
        unsigned char mem5[1 + 5] = {(4 << SDS_TYPE_BITS) | SDS_TYPE_5, 'a', 'b', 'c', 'd', 0};
        CHECK(sdslen((sds)(mem5 + 1)) == 4 && sdsavail((sds)(mem5 + 1)) == 0, "sdshdr5 read");
        /* type 64 */
        unsigned char mem64[17 + 8];
        struct sdshdr64 *h = (struct sdshdr64 *)mem64;
        h->len = 5;
        h->alloc = 7;
        h->flags = SDS_TYPE_64;
        CHECK(sdslen((sds)h->buf) == 5 && sdsavail((sds)h->buf) == 2, "sdshdr64 read");
    }

    SECTION("hiredisAllocFns is the live table the inline hi_* helpers call");
    {
        void *(*saved)(size_t) = hiredisAllocFns.mallocFn;
        CHECK(saved != NULL && hiredisAllocFns.freeFn != NULL, "default hooks are set");
        hiredisAllocFns.mallocFn = counting_malloc;
        void *p = hi_malloc(8);
        hiredisAllocFns.mallocFn = saved;
        CHECK(p != NULL && allocs_seen == 1, "hi_malloc went through the exported table");
        hi_free(p);
        /* The overflow guard of hi_calloc (CVE-2021-32765) is inline code too. */
        CHECK(hi_calloc(SIZE_MAX / 2, 4) == NULL, "hi_calloc refuses an overflowing request");

        /* Both directions through the one global, which matters when the program is not PIE
         * and the table is copy-relocated into it (the Makefile also builds this file -no-pie):
         * the library's writes must reach the program's inline code... */
        hiredisAllocFuncs mine = hiredisAllocFns;
        mine.mallocFn = counting_malloc;
        hiredisAllocFuncs prev = hiredisSetAllocators(&mine);
        allocs_seen = 0;
        p = hi_malloc(8);
        CHECK(allocs_seen == 1, "hiredisSetAllocators is seen by inline hi_malloc (%d)", allocs_seen);
        hi_free(p);
        hiredisResetAllocators();
        CHECK(hiredisAllocFns.mallocFn == prev.mallocFn, "hiredisResetAllocators restores the default");
        /* ...and the program's writes must reach the library. */
        allocs_seen = 0;
        hiredisAllocFns.mallocFn = counting_malloc;
        sds s = sdsnew("through the program's table");
        hiredisAllocFns.mallocFn = saved;
        CHECK(s != NULL && allocs_seen >= 1, "the library allocates through a table the program wrote (%d)",
              allocs_seen);
        sdsfree(s);
    }

    printf("sizeof: redisReply %zu, redisReader %zu, redisContext %zu, redisAsyncContext %zu, redisOptions %zu\n",
           sizeof(redisReply), sizeof(redisReader), sizeof(redisContext), sizeof(redisAsyncContext),
           sizeof(redisOptions));
    return tl_done();
}
