/* Async hiredis on libevent: SET, GET and INCR pipelined on one connection, then a clean
 * disconnect from inside the last reply callback.
 *
 *   example-libevent [host [port]]        (default 127.0.0.1 6379)
 *   example-libevent /path/to/redis.sock
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>

static void onConnect(const redisAsyncContext *ac, int status) {
    if (status != REDIS_OK) {
        printf("connect failed: %s\n", ac->errstr);
        return;
    }
    printf("connected\n");
}

static void onDisconnect(const redisAsyncContext *ac, int status) {
    if (status != REDIS_OK) {
        printf("disconnected with error: %s\n", ac->errstr);
        return;
    }
    printf("disconnected\n");
}

/* privdata is the command's label. */
static void printReply(redisAsyncContext *ac, void *r, void *privdata) {
    redisReply *reply = r;

    if (reply == NULL) {
        printf("%s: no reply (%s)\n", (char *)privdata, ac->errstr);
        return;
    }
    switch (reply->type) {
    case REDIS_REPLY_INTEGER: printf("%s -> (integer) %lld\n", (char *)privdata, reply->integer); break;
    case REDIS_REPLY_NIL: printf("%s -> (nil)\n", (char *)privdata); break;
    case REDIS_REPLY_ERROR: printf("%s -> (error) %s\n", (char *)privdata, reply->str); break;
    default: printf("%s -> %s\n", (char *)privdata, reply->str); break;
    }
}

static void lastReply(redisAsyncContext *ac, void *r, void *privdata) {
    printReply(ac, r, privdata);
    redisAsyncDisconnect(ac); /* nothing else is pending: closes right after this returns */
}

int main(int argc, char **argv) {
    const char *where = argc > 1 ? argv[1] : "127.0.0.1";
    struct timeval connect_timeout = {1, 0};
    redisOptions options = {0};
    struct event_base *base;
    redisAsyncContext *ac;
    const char *value = "hello from hiredis-rs";

    signal(SIGPIPE, SIG_IGN);
    if (strchr(where, '/'))
        REDIS_OPTIONS_SET_UNIX(&options, where);
    else
        REDIS_OPTIONS_SET_TCP(&options, where, argc > 2 ? atoi(argv[2]) : 6379);
    options.connect_timeout = &connect_timeout;

    base = event_base_new();
    ac = redisAsyncConnectWithOptions(&options);
    if (ac == NULL || ac->err) {
        printf("error: %s\n", ac ? ac->errstr : "out of memory");
        redisAsyncFree(ac);
        return 1;
    }
    redisLibeventAttach(ac, base);
    redisAsyncSetConnectCallback(ac, onConnect);
    redisAsyncSetDisconnectCallback(ac, onDisconnect);

    /* Queued now, written together once the connection is up. */
    redisAsyncCommand(ac, printReply, (char *)"SET example:key", "SET example:key %b", value, strlen(value));
    redisAsyncCommand(ac, printReply, (char *)"GET example:key", "GET example:key");
    redisAsyncCommand(ac, printReply, (char *)"DEL example:counter", "DEL example:counter");
    redisAsyncCommand(ac, printReply, (char *)"INCRBY example:counter 41", "INCRBY example:counter 41");
    redisAsyncCommand(ac, lastReply, (char *)"INCR example:counter", "INCR example:counter");

    event_base_dispatch(base); /* returns once the context is gone */
    event_base_free(base);
    return 0;
}
