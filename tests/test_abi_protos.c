/* ABI prototypes: every public function of hiredis 1.4.1's installed headers (spec §1.2:
 * hiredis.h, read.h, async.h, sds.h, alloc.h; 101 functions) is assigned to a pointer of
 * hiredis's exact prototype, written out here by hand. Built with -Werror, an incompatible
 * pointer assignment (a drifting return type, parameter, constness of a pointee, or a lost
 * `...`) fails the build.
 *
 * The API is being written group by group, so each check is guarded by HAVE(name), which
 * comes from the generated abi_declared.h (tests/check-symbols.sh --declared-header): a
 * function the headers do not declare yet is skipped and counted, while a group marked DONE in
 * check-symbols.sh must be declared in full (the generator fails otherwise). No function is
 * called here: taking its address is enough for the compiler, and the link checks that the
 * library defines every function the headers declare. The program also uses the callback
 * typedefs, option macros and reader macros the way hiredis users write them. */
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/read.h>
#include <hiredis/sds.h>
#include <hiredis/alloc.h>

#include <stdarg.h>
#include <sys/time.h>

#include "testlib.h"
#include "abi_declared.h"

#define HAVE(name) HIRS_DECL_##name

static int checked;

static void saw(const char *name, void (*p)(void)) {
    checked++;
    CHECK(p != NULL, "%s resolved", name);
}

/* `T` is the pointer type hiredis's prototype gives; the assignment is the test. */
#define PROTO(fn, T) do { __typeof__(T) p_ = fn; saw(#fn, (void (*)(void))p_); } while (0)

static void check_prototypes(void) {
#if HAVE(hiredisSetAllocators)
    PROTO(hiredisSetAllocators, hiredisAllocFuncs (*)(hiredisAllocFuncs *));
#endif
#if HAVE(hiredisResetAllocators)
    PROTO(hiredisResetAllocators, void (*)(void));
#endif
#if HAVE(sdsnewlen)
    PROTO(sdsnewlen, sds (*)(const void *, size_t));
#endif
#if HAVE(sdsnew)
    PROTO(sdsnew, sds (*)(const char *));
#endif
#if HAVE(sdsempty)
    PROTO(sdsempty, sds (*)(void));
#endif
#if HAVE(sdsdup)
    PROTO(sdsdup, sds (*)(const sds));
#endif
#if HAVE(sdsfree)
    PROTO(sdsfree, void (*)(sds));
#endif
#if HAVE(sdsgrowzero)
    PROTO(sdsgrowzero, sds (*)(sds, size_t));
#endif
#if HAVE(sdscatlen)
    PROTO(sdscatlen, sds (*)(sds, const void *, size_t));
#endif
#if HAVE(sdscat)
    PROTO(sdscat, sds (*)(sds, const char *));
#endif
#if HAVE(sdscatsds)
    PROTO(sdscatsds, sds (*)(sds, const sds));
#endif
#if HAVE(sdscpylen)
    PROTO(sdscpylen, sds (*)(sds, const char *, size_t));
#endif
#if HAVE(sdscpy)
    PROTO(sdscpy, sds (*)(sds, const char *));
#endif
#if HAVE(sdscatvprintf)
    PROTO(sdscatvprintf, sds (*)(sds, const char *, va_list));
#endif
#if HAVE(sdscatprintf)
    PROTO(sdscatprintf, sds (*)(sds, const char *, ...));
#endif
#if HAVE(sdscatfmt)
    PROTO(sdscatfmt, sds (*)(sds, char const *, ...));
#endif
#if HAVE(sdstrim)
    PROTO(sdstrim, sds (*)(sds, const char *));
#endif
#if HAVE(sdsrange)
    PROTO(sdsrange, int (*)(sds, ssize_t, ssize_t));
#endif
#if HAVE(sdsupdatelen)
    PROTO(sdsupdatelen, void (*)(sds));
#endif
#if HAVE(sdsclear)
    PROTO(sdsclear, void (*)(sds));
#endif
#if HAVE(sdscmp)
    PROTO(sdscmp, int (*)(const sds, const sds));
#endif
#if HAVE(sdssplitlen)
    PROTO(sdssplitlen, sds *(*)(const char *, int, const char *, int, int *));
#endif
#if HAVE(sdsfreesplitres)
    PROTO(sdsfreesplitres, void (*)(sds *, int));
#endif
#if HAVE(sdstolower)
    PROTO(sdstolower, void (*)(sds));
#endif
#if HAVE(sdstoupper)
    PROTO(sdstoupper, void (*)(sds));
#endif
#if HAVE(sdsfromlonglong)
    PROTO(sdsfromlonglong, sds (*)(long long));
#endif
#if HAVE(sdscatrepr)
    PROTO(sdscatrepr, sds (*)(sds, const char *, size_t));
#endif
#if HAVE(sdssplitargs)
    PROTO(sdssplitargs, sds *(*)(const char *, int *));
#endif
#if HAVE(sdsmapchars)
    PROTO(sdsmapchars, sds (*)(sds, const char *, const char *, size_t));
#endif
#if HAVE(sdsjoin)
    PROTO(sdsjoin, sds (*)(char **, int, char *));
#endif
#if HAVE(sdsjoinsds)
    PROTO(sdsjoinsds, sds (*)(sds *, int, const char *, size_t));
#endif
#if HAVE(sdsMakeRoomFor)
    PROTO(sdsMakeRoomFor, sds (*)(sds, size_t));
#endif
#if HAVE(sdsIncrLen)
    PROTO(sdsIncrLen, void (*)(sds, int));
#endif
#if HAVE(sdsRemoveFreeSpace)
    PROTO(sdsRemoveFreeSpace, sds (*)(sds));
#endif
#if HAVE(sdsAllocSize)
    PROTO(sdsAllocSize, size_t (*)(sds));
#endif
#if HAVE(sdsAllocPtr)
    PROTO(sdsAllocPtr, void *(*)(sds));
#endif
#if HAVE(sds_malloc)
    PROTO(sds_malloc, void *(*)(size_t));
#endif
#if HAVE(sds_realloc)
    PROTO(sds_realloc, void *(*)(void *, size_t));
#endif
#if HAVE(sds_free)
    PROTO(sds_free, void (*)(void *));
#endif
#if HAVE(redisvFormatCommand)
    PROTO(redisvFormatCommand, int (*)(char **, const char *, va_list));
#endif
#if HAVE(redisFormatCommand)
    PROTO(redisFormatCommand, int (*)(char **, const char *, ...));
#endif
#if HAVE(redisFormatCommandArgv)
    PROTO(redisFormatCommandArgv, long long (*)(char **, int, const char **, const size_t *));
#endif
#if HAVE(redisFormatSdsCommandArgv)
    PROTO(redisFormatSdsCommandArgv, long long (*)(sds *, int, const char **, const size_t *));
#endif
#if HAVE(redisFreeCommand)
    PROTO(redisFreeCommand, void (*)(char *));
#endif
#if HAVE(redisFreeSdsCommand)
    PROTO(redisFreeSdsCommand, void (*)(sds));
#endif
#if HAVE(redisReaderCreate)
    PROTO(redisReaderCreate, redisReader *(*)(void));
#endif
#if HAVE(redisReaderCreateWithFunctions)
    PROTO(redisReaderCreateWithFunctions, redisReader *(*)(redisReplyObjectFunctions *));
#endif
#if HAVE(redisReaderFree)
    PROTO(redisReaderFree, void (*)(redisReader *));
#endif
#if HAVE(redisReaderFeed)
    PROTO(redisReaderFeed, int (*)(redisReader *, const char *, size_t));
#endif
#if HAVE(redisReaderGetReply)
    PROTO(redisReaderGetReply, int (*)(redisReader *, void **));
#endif
#if HAVE(freeReplyObject)
    PROTO(freeReplyObject, void (*)(void *));
#endif
#if HAVE(redisConnect)
    PROTO(redisConnect, redisContext *(*)(const char *, int));
#endif
#if HAVE(redisConnectWithTimeout)
    PROTO(redisConnectWithTimeout, redisContext *(*)(const char *, int, const struct timeval));
#endif
#if HAVE(redisConnectNonBlock)
    PROTO(redisConnectNonBlock, redisContext *(*)(const char *, int));
#endif
#if HAVE(redisConnectBindNonBlock)
    PROTO(redisConnectBindNonBlock, redisContext *(*)(const char *, int, const char *));
#endif
#if HAVE(redisConnectBindNonBlockWithReuse)
    PROTO(redisConnectBindNonBlockWithReuse, redisContext *(*)(const char *, int, const char *));
#endif
#if HAVE(redisConnectUnix)
    PROTO(redisConnectUnix, redisContext *(*)(const char *));
#endif
#if HAVE(redisConnectUnixWithTimeout)
    PROTO(redisConnectUnixWithTimeout, redisContext *(*)(const char *, const struct timeval));
#endif
#if HAVE(redisConnectUnixNonBlock)
    PROTO(redisConnectUnixNonBlock, redisContext *(*)(const char *));
#endif
#if HAVE(redisConnectFd)
    PROTO(redisConnectFd, redisContext *(*)(redisFD));
#endif
#if HAVE(redisConnectWithOptions)
    PROTO(redisConnectWithOptions, redisContext *(*)(const redisOptions *));
#endif
#if HAVE(redisReconnect)
    PROTO(redisReconnect, int (*)(redisContext *));
#endif
#if HAVE(redisSetPushCallback)
    PROTO(redisSetPushCallback, redisPushFn *(*)(redisContext *, redisPushFn *));
#endif
#if HAVE(redisSetTimeout)
    PROTO(redisSetTimeout, int (*)(redisContext *, const struct timeval));
#endif
#if HAVE(redisEnableKeepAlive)
    PROTO(redisEnableKeepAlive, int (*)(redisContext *));
#endif
#if HAVE(redisEnableKeepAliveWithInterval)
    PROTO(redisEnableKeepAliveWithInterval, int (*)(redisContext *, int));
#endif
#if HAVE(redisSetTcpUserTimeout)
    PROTO(redisSetTcpUserTimeout, int (*)(redisContext *, unsigned int));
#endif
#if HAVE(redisFree)
    PROTO(redisFree, void (*)(redisContext *));
#endif
#if HAVE(redisFreeKeepFd)
    PROTO(redisFreeKeepFd, redisFD (*)(redisContext *));
#endif
#if HAVE(redisBufferRead)
    PROTO(redisBufferRead, int (*)(redisContext *));
#endif
#if HAVE(redisBufferWrite)
    PROTO(redisBufferWrite, int (*)(redisContext *, int *));
#endif
#if HAVE(redisGetReply)
    PROTO(redisGetReply, int (*)(redisContext *, void **));
#endif
#if HAVE(redisGetReplyFromReader)
    PROTO(redisGetReplyFromReader, int (*)(redisContext *, void **));
#endif
#if HAVE(redisAppendFormattedCommand)
    PROTO(redisAppendFormattedCommand, int (*)(redisContext *, const char *, size_t));
#endif
#if HAVE(redisvAppendCommand)
    PROTO(redisvAppendCommand, int (*)(redisContext *, const char *, va_list));
#endif
#if HAVE(redisAppendCommand)
    PROTO(redisAppendCommand, int (*)(redisContext *, const char *, ...));
#endif
#if HAVE(redisAppendCommandArgv)
    PROTO(redisAppendCommandArgv, int (*)(redisContext *, int, const char **, const size_t *));
#endif
#if HAVE(redisvCommand)
    PROTO(redisvCommand, void *(*)(redisContext *, const char *, va_list));
#endif
#if HAVE(redisCommand)
    PROTO(redisCommand, void *(*)(redisContext *, const char *, ...));
#endif
#if HAVE(redisCommandArgv)
    PROTO(redisCommandArgv, void *(*)(redisContext *, int, const char **, const size_t *));
#endif
#if HAVE(redisAsyncConnectWithOptions)
    PROTO(redisAsyncConnectWithOptions, redisAsyncContext *(*)(const redisOptions *));
#endif
#if HAVE(redisAsyncConnect)
    PROTO(redisAsyncConnect, redisAsyncContext *(*)(const char *, int));
#endif
#if HAVE(redisAsyncConnectBind)
    PROTO(redisAsyncConnectBind, redisAsyncContext *(*)(const char *, int, const char *));
#endif
#if HAVE(redisAsyncConnectBindWithReuse)
    PROTO(redisAsyncConnectBindWithReuse, redisAsyncContext *(*)(const char *, int, const char *));
#endif
#if HAVE(redisAsyncConnectUnix)
    PROTO(redisAsyncConnectUnix, redisAsyncContext *(*)(const char *));
#endif
#if HAVE(redisAsyncSetConnectCallback)
    PROTO(redisAsyncSetConnectCallback, int (*)(redisAsyncContext *, redisConnectCallback *));
#endif
#if HAVE(redisAsyncSetConnectCallbackNC)
    PROTO(redisAsyncSetConnectCallbackNC, int (*)(redisAsyncContext *, redisConnectCallbackNC *));
#endif
#if HAVE(redisAsyncSetDisconnectCallback)
    PROTO(redisAsyncSetDisconnectCallback, int (*)(redisAsyncContext *, redisDisconnectCallback *));
#endif
#if HAVE(redisAsyncSetPushCallback)
    PROTO(redisAsyncSetPushCallback, redisAsyncPushFn *(*)(redisAsyncContext *, redisAsyncPushFn *));
#endif
#if HAVE(redisAsyncSetTimeout)
    PROTO(redisAsyncSetTimeout, int (*)(redisAsyncContext *, struct timeval));
#endif
#if HAVE(redisAsyncDisconnect)
    PROTO(redisAsyncDisconnect, void (*)(redisAsyncContext *));
#endif
#if HAVE(redisAsyncFree)
    PROTO(redisAsyncFree, void (*)(redisAsyncContext *));
#endif
#if HAVE(redisAsyncHandleRead)
    PROTO(redisAsyncHandleRead, void (*)(redisAsyncContext *));
#endif
#if HAVE(redisAsyncHandleWrite)
    PROTO(redisAsyncHandleWrite, void (*)(redisAsyncContext *));
#endif
#if HAVE(redisAsyncHandleTimeout)
    PROTO(redisAsyncHandleTimeout, void (*)(redisAsyncContext *));
#endif
#if HAVE(redisAsyncRead)
    PROTO(redisAsyncRead, void (*)(redisAsyncContext *));
#endif
#if HAVE(redisAsyncWrite)
    PROTO(redisAsyncWrite, void (*)(redisAsyncContext *));
#endif
#if HAVE(redisvAsyncCommand)
    PROTO(redisvAsyncCommand, int (*)(redisAsyncContext *, redisCallbackFn *, void *, const char *, va_list));
#endif
#if HAVE(redisAsyncCommand)
    PROTO(redisAsyncCommand, int (*)(redisAsyncContext *, redisCallbackFn *, void *, const char *, ...));
#endif
#if HAVE(redisAsyncCommandArgv)
    PROTO(redisAsyncCommandArgv, int (*)(redisAsyncContext *, redisCallbackFn *, void *, int, const char **, const size_t *));
#endif
#if HAVE(redisAsyncFormattedCommand)
    PROTO(redisAsyncFormattedCommand, int (*)(redisAsyncContext *, redisCallbackFn *, void *, const char *, size_t));
#endif
}

/* The static inline helpers users' code compiles in (always present, not gated). */
static void check_inline_prototypes(void) {
    PROTO(sdslen, size_t (*)(const sds));
    PROTO(sdsavail, size_t (*)(const sds));
    PROTO(sdssetlen, void (*)(sds, size_t));
    PROTO(sdsinclen, void (*)(sds, size_t));
    PROTO(sdsalloc, size_t (*)(const sds));
    PROTO(sdssetalloc, void (*)(sds, size_t));
    PROTO(hi_malloc, void *(*)(size_t));
    PROTO(hi_calloc, void *(*)(size_t, size_t));
    PROTO(hi_realloc, void *(*)(void *, size_t));
    PROTO(hi_strdup, char *(*)(const char *));
    PROTO(hi_free, void (*)(void *));
}

/* ---- hiredis usage patterns, compiled against our headers -------------------------------- */

static int push_calls, cb_calls, connect_calls;
static void my_push(void *privdata, void *reply) { (void)privdata; (void)reply; push_calls++; }
static void my_async_push(redisAsyncContext *ac, void *reply) { (void)ac; (void)reply; push_calls++; }
static void my_cb(redisAsyncContext *ac, void *reply, void *privdata) { (void)ac; (void)reply; (void)privdata; cb_calls++; }
static void my_connect(const redisAsyncContext *ac, int status) { (void)ac; (void)status; connect_calls++; }
static void my_connect_nc(redisAsyncContext *ac, int status) { (void)ac; (void)status; connect_calls++; }
static void my_disconnect(const redisAsyncContext *ac, int status) { (void)ac; (void)status; connect_calls++; }
static void my_timer(void *timer, void *privdata) { (void)timer; (void)privdata; }
static void my_free(void *p) { (void)p; }

static void check_typedef_usage(void) {
    /* Callback typedefs are function types: users declare pointers to them. */
    redisCallbackFn *fn = my_cb;
    redisConnectCallback *on_connect = my_connect;
    redisConnectCallbackNC *on_connect_nc = my_connect_nc;
    redisDisconnectCallback *on_disconnect = my_disconnect;
    redisTimerCallback *timer = my_timer;
    redisPushFn *push = my_push;
    redisAsyncPushFn *apush = &my_async_push;
    fn(NULL, NULL, NULL);
    on_connect(NULL, REDIS_OK);
    on_connect_nc(NULL, REDIS_OK);
    on_disconnect(NULL, REDIS_ERR);
    timer(NULL, NULL);
    push(NULL, NULL);
    apush(NULL, NULL);
    CHECK(cb_calls == 1 && connect_calls == 3 && push_calls == 2, "callbacks called through typedef'd pointers");

    /* Options the way redisConnectWithOptions users fill them. */
    struct timeval tv = {1, 500000};
    redisOptions opt = {0};
    REDIS_OPTIONS_SET_TCP(&opt, "127.0.0.1", 6379);
    REDIS_OPTIONS_SET_PRIVDATA(&opt, &tv, my_free);
    opt.connect_timeout = &tv;
    opt.options |= REDIS_OPT_NONBLOCK | REDIS_OPT_PREFER_IP_UNSPEC;
    opt.push_cb = my_push;
    opt.async_push_cb = my_async_push;
    CHECK(opt.type == REDIS_CONN_TCP && opt.endpoint.tcp.port == 6379 && opt.privdata == &tv &&
          opt.free_privdata == my_free && opt.connect_timeout->tv_usec == 500000, "redisOptions filled");
    REDIS_OPTIONS_SET_UNIX(&opt, "/tmp/redis.sock");
    CHECK(opt.type == REDIS_CONN_UNIX, "REDIS_OPTIONS_SET_UNIX");
    opt.type = REDIS_CONN_USERFD;
    opt.endpoint.fd = REDIS_INVALID_FD;

    /* Async context fields written by adapters and users. */
    redisAsyncContext ac = {0};
    ac.onConnect = on_connect;
    ac.onConnectNC = on_connect_nc;
    ac.onDisconnect = on_disconnect;
    ac.push_cb = apush;
    ac.ev.data = &ac;
    ac.ev.addRead = my_free;
    ac.ev.scheduleTimer = NULL;
    ac.c.push_cb = push;
    CHECK(ac.c.fd == 0 && ac.ev.data == &ac, "adapter-style field writes");
}

#if HAVE(redisSetPushCallback) && HAVE(redisAsyncSetPushCallback) && HAVE(redisAsyncCommand)
/* Never called (no server needed): the calls only have to compile against our headers. */
void usage_sync_async(redisContext *c, redisAsyncContext *ac);
void usage_sync_async(redisContext *c, redisAsyncContext *ac) {
    redisPushFn *old = redisSetPushCallback(c, NULL);
    redisSetPushCallback(c, old);
    redisAsyncPushFn *aold = redisAsyncSetPushCallback(ac, my_async_push);
    (void)aold;
    redisAsyncCommand(ac, my_cb, NULL, "SET %s %b", "key", "v", (size_t)1);
    redisAsyncCommand(ac, NULL, NULL, "PING");
    redisReply *r = redisCommand(c, "GET %s", "key");
    if (r && r->type == REDIS_REPLY_STRING && r->len > 0) r->str[0] = 'x';
    freeReplyObject(r);
}
#endif

#if HAVE(redisReaderCreate) && HAVE(redisReaderFeed) && HAVE(redisReaderGetReply) && HAVE(redisReaderFree)
static void check_reader_usage(void) {
    redisReader *reader = redisReaderCreate();
    CHECK(reader != NULL, "redisReaderCreate");
    if (!reader) return;
    reader->maxbuf = 0;           /* redis-benchmark does this */
    reader->maxelements = 1024;   /* tests do this */
    void *reply = NULL;
    CHECK(redisReaderFeed(reader, "+OK\r\n", 5) == REDIS_OK, "feed");
    CHECK(redisReaderGetReply(reader, &reply) == REDIS_OK && reply != NULL, "get reply");
    if (reply) {
        redisReply *r = reply;
        CHECK(r->type == REDIS_REPLY_STATUS && r->len == 2 && strcmp(r->str, "OK") == 0, "status reply");
        freeReplyObject(reply);
    }
    CHECK(redisReaderGetObject(reader) == NULL, "redisReaderGetObject after a complete reply");
    CHECK(redisReaderFeed(reader, "@bad\r\n", 6) == REDIS_OK, "feed garbage");
    CHECK(redisReaderGetReply(reader, &reply) == REDIS_ERR, "protocol error");
    CHECK(reader->err == REDIS_ERR_PROTOCOL && strlen(redisReaderGetError(reader)) > 0,
          "error kind %d, text \"%s\"", reader->err, redisReaderGetError(reader));
    redisReaderFree(reader);
}
#endif

int main(void) {
    SECTION("prototypes");
    check_prototypes();
    printf("prototypes: %d of %d public functions declared and checked (%d not declared yet)\n",
           checked, HIRS_PUBLIC_COUNT, HIRS_PUBLIC_COUNT - checked);
    CHECK(checked == HIRS_DECLARED_COUNT, "every declared function was checked (%d vs %d)", checked,
          HIRS_DECLARED_COUNT);
    SECTION("inline helper prototypes");
    checked = 0;
    check_inline_prototypes();
    CHECK(checked == 11, "inline helpers checked: %d", checked);
    SECTION("typedef and macro usage");
    check_typedef_usage();
#if HAVE(redisReaderCreate) && HAVE(redisReaderFeed) && HAVE(redisReaderGetReply) && HAVE(redisReaderFree)
    SECTION("reader usage");
    check_reader_usage();
#endif
    return tl_done();
}
