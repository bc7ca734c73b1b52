/* ABI prototypes: every public function of hiredis 1.4.1's installed headers (spec §1.2:
 * hiredis.h, read.h, async.h, sds.h, alloc.h; 101 functions) is assigned to a pointer of
 * hiredis's exact prototype, written out here by hand. Built with -Werror, an incompatible
 * pointer assignment (a drifting return type, parameter, constness of a pointee, or a lost
 * `...`) fails the build. No function is called here: taking its address is enough for the
 * compiler, and the link checks that the library defines every function the headers declare.
 * The program also uses the callback typedefs, option macros and reader macros the way
 * hiredis users write them. */
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/read.h>
#include <hiredis/sds.h>
#include <hiredis/alloc.h>

#include <stdarg.h>
#include <sys/time.h>

#include "testlib.h"

static int checked;

static void saw(const char *name, void (*p)(void)) {
    checked++;
    CHECK(p != NULL, "%s resolved", name);
}

/* `T` is the pointer type hiredis's prototype gives; the assignment is the test. */
#define PROTO(fn, T) do { __typeof__(T) p_ = fn; saw(#fn, (void (*)(void))p_); } while (0)

static void check_prototypes(void) {
    PROTO(hiredisSetAllocators, hiredisAllocFuncs (*)(hiredisAllocFuncs *));
    PROTO(hiredisResetAllocators, void (*)(void));
    PROTO(sdsnewlen, sds (*)(const void *, size_t));
    PROTO(sdsnew, sds (*)(const char *));
    PROTO(sdsempty, sds (*)(void));
    PROTO(sdsdup, sds (*)(const sds));
    PROTO(sdsfree, void (*)(sds));
    PROTO(sdsgrowzero, sds (*)(sds, size_t));
    PROTO(sdscatlen, sds (*)(sds, const void *, size_t));
    PROTO(sdscat, sds (*)(sds, const char *));
    PROTO(sdscatsds, sds (*)(sds, const sds));
    PROTO(sdscpylen, sds (*)(sds, const char *, size_t));
    PROTO(sdscpy, sds (*)(sds, const char *));
    PROTO(sdscatvprintf, sds (*)(sds, const char *, va_list));
    PROTO(sdscatprintf, sds (*)(sds, const char *, ...));
    PROTO(sdscatfmt, sds (*)(sds, char const *, ...));
    PROTO(sdstrim, sds (*)(sds, const char *));
    PROTO(sdsrange, int (*)(sds, ssize_t, ssize_t));
    PROTO(sdsupdatelen, void (*)(sds));
    PROTO(sdsclear, void (*)(sds));
    PROTO(sdscmp, int (*)(const sds, const sds));
    PROTO(sdssplitlen, sds *(*)(const char *, int, const char *, int, int *));
    PROTO(sdsfreesplitres, void (*)(sds *, int));
    PROTO(sdstolower, void (*)(sds));
    PROTO(sdstoupper, void (*)(sds));
    PROTO(sdsfromlonglong, sds (*)(long long));
    PROTO(sdscatrepr, sds (*)(sds, const char *, size_t));
    PROTO(sdssplitargs, sds *(*)(const char *, int *));
    PROTO(sdsmapchars, sds (*)(sds, const char *, const char *, size_t));
    PROTO(sdsjoin, sds (*)(char **, int, char *));
    PROTO(sdsjoinsds, sds (*)(sds *, int, const char *, size_t));
    PROTO(sdsMakeRoomFor, sds (*)(sds, size_t));
    PROTO(sdsIncrLen, void (*)(sds, int));
    PROTO(sdsRemoveFreeSpace, sds (*)(sds));
    PROTO(sdsAllocSize, size_t (*)(sds));
    PROTO(sdsAllocPtr, void *(*)(sds));
    PROTO(sds_malloc, void *(*)(size_t));
    PROTO(sds_realloc, void *(*)(void *, size_t));
    PROTO(sds_free, void (*)(void *));
    PROTO(redisvFormatCommand, int (*)(char **, const char *, va_list));
    PROTO(redisFormatCommand, int (*)(char **, const char *, ...));
    PROTO(redisFormatCommandArgv, long long (*)(char **, int, const char **, const size_t *));
    PROTO(redisFormatSdsCommandArgv, long long (*)(sds *, int, const char **, const size_t *));
    PROTO(redisFreeCommand, void (*)(char *));
    PROTO(redisFreeSdsCommand, void (*)(sds));
    PROTO(redisReaderCreate, redisReader *(*)(void));
    PROTO(redisReaderCreateWithFunctions, redisReader *(*)(redisReplyObjectFunctions *));
    PROTO(redisReaderFree, void (*)(redisReader *));
    PROTO(redisReaderFeed, int (*)(redisReader *, const char *, size_t));
    PROTO(redisReaderGetReply, int (*)(redisReader *, void **));
    PROTO(freeReplyObject, void (*)(void *));
    PROTO(redisConnect, redisContext *(*)(const char *, int));
    PROTO(redisConnectWithTimeout, redisContext *(*)(const char *, int, const struct timeval));
    PROTO(redisConnectNonBlock, redisContext *(*)(const char *, int));
    PROTO(redisConnectBindNonBlock, redisContext *(*)(const char *, int, const char *));
    PROTO(redisConnectBindNonBlockWithReuse, redisContext *(*)(const char *, int, const char *));
    PROTO(redisConnectUnix, redisContext *(*)(const char *));
    PROTO(redisConnectUnixWithTimeout, redisContext *(*)(const char *, const struct timeval));
    PROTO(redisConnectUnixNonBlock, redisContext *(*)(const char *));
    PROTO(redisConnectFd, redisContext *(*)(redisFD));
    PROTO(redisConnectWithOptions, redisContext *(*)(const redisOptions *));
    PROTO(redisReconnect, int (*)(redisContext *));
    PROTO(redisSetPushCallback, redisPushFn *(*)(redisContext *, redisPushFn *));
    PROTO(redisSetTimeout, int (*)(redisContext *, const struct timeval));
    PROTO(redisEnableKeepAlive, int (*)(redisContext *));
    PROTO(redisEnableKeepAliveWithInterval, int (*)(redisContext *, int));
    PROTO(redisSetTcpUserTimeout, int (*)(redisContext *, unsigned int));
    PROTO(redisFree, void (*)(redisContext *));
    PROTO(redisFreeKeepFd, redisFD (*)(redisContext *));
    PROTO(redisBufferRead, int (*)(redisContext *));
    PROTO(redisBufferWrite, int (*)(redisContext *, int *));
    PROTO(redisGetReply, int (*)(redisContext *, void **));
    PROTO(redisGetReplyFromReader, int (*)(redisContext *, void **));
    PROTO(redisAppendFormattedCommand, int (*)(redisContext *, const char *, size_t));
    PROTO(redisvAppendCommand, int (*)(redisContext *, const char *, va_list));
    PROTO(redisAppendCommand, int (*)(redisContext *, const char *, ...));
    PROTO(redisAppendCommandArgv, int (*)(redisContext *, int, const char **, const size_t *));
    PROTO(redisvCommand, void *(*)(redisContext *, const char *, va_list));
    PROTO(redisCommand, void *(*)(redisContext *, const char *, ...));
    PROTO(redisCommandArgv, void *(*)(redisContext *, int, const char **, const size_t *));
    PROTO(redisAsyncConnectWithOptions, redisAsyncContext *(*)(const redisOptions *));
    PROTO(redisAsyncConnect, redisAsyncContext *(*)(const char *, int));
    PROTO(redisAsyncConnectBind, redisAsyncContext *(*)(const char *, int, const char *));
    PROTO(redisAsyncConnectBindWithReuse, redisAsyncContext *(*)(const char *, int, const char *));
    PROTO(redisAsyncConnectUnix, redisAsyncContext *(*)(const char *));
    PROTO(redisAsyncSetConnectCallback, int (*)(redisAsyncContext *, redisConnectCallback *));
    PROTO(redisAsyncSetConnectCallbackNC, int (*)(redisAsyncContext *, redisConnectCallbackNC *));
    PROTO(redisAsyncSetDisconnectCallback, int (*)(redisAsyncContext *, redisDisconnectCallback *));
    PROTO(redisAsyncSetPushCallback, redisAsyncPushFn *(*)(redisAsyncContext *, redisAsyncPushFn *));
    PROTO(redisAsyncSetTimeout, int (*)(redisAsyncContext *, struct timeval));
    PROTO(redisAsyncDisconnect, void (*)(redisAsyncContext *));
    PROTO(redisAsyncFree, void (*)(redisAsyncContext *));
    PROTO(redisAsyncHandleRead, void (*)(redisAsyncContext *));
    PROTO(redisAsyncHandleWrite, void (*)(redisAsyncContext *));
    PROTO(redisAsyncHandleTimeout, void (*)(redisAsyncContext *));
    PROTO(redisAsyncRead, void (*)(redisAsyncContext *));
    PROTO(redisAsyncWrite, void (*)(redisAsyncContext *));
    PROTO(redisvAsyncCommand, int (*)(redisAsyncContext *, redisCallbackFn *, void *, const char *, va_list));
    PROTO(redisAsyncCommand, int (*)(redisAsyncContext *, redisCallbackFn *, void *, const char *, ...));
    PROTO(redisAsyncCommandArgv, int (*)(redisAsyncContext *, redisCallbackFn *, void *, int, const char **, const size_t *));
    PROTO(redisAsyncFormattedCommand, int (*)(redisAsyncContext *, redisCallbackFn *, void *, const char *, size_t));
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

int main(void) {
    SECTION("prototypes");
    check_prototypes();
    CHECK(checked == 101, "all 101 public functions checked (%d)", checked);
    SECTION("inline helper prototypes");
    checked = 0;
    check_inline_prototypes();
    CHECK(checked == 11, "inline helpers checked: %d", checked);
    SECTION("typedef and macro usage");
    check_typedef_usage();
    SECTION("reader usage");
    check_reader_usage();
    return tl_done();
}
