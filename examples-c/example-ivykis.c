/* Async hiredis on ivykis: SET then GET, disconnecting from the GET callback; iv_main
 * returns once the context is gone (nothing registered anymore).
 *
 *   example-ivykis [host [port]]        (default 127.0.0.1 6379)
 *   example-ivykis /path/to/redis.sock
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/ivykis.h>

static int failed;

static void onConnect(const redisAsyncContext *ac, int status) {
    if (status != REDIS_OK) {
        printf("connect failed: %s\n", ac->errstr);
        failed = 1;
    } else {
        printf("connected\n");
    }
}

static void onDisconnect(const redisAsyncContext *ac, int status) {
    if (status != REDIS_OK) {
        printf("disconnected with error: %s\n", ac->errstr);
        failed = 1;
    } else {
        printf("disconnected\n");
    }
}

static void onGet(redisAsyncContext *ac, void *r, void *privdata) {
    redisReply *reply = r;
    (void)privdata;
    if (reply == NULL)
        printf("GET failed: %s\n", ac->errstr);
    else
        printf("GET example:ivykis -> %s\n", reply->type == REDIS_REPLY_STRING ? reply->str : "(not a string)");
    redisAsyncDisconnect(ac);
}

int main(int argc, char **argv) {
    const char *where = argc > 1 ? argv[1] : "127.0.0.1";
    redisAsyncContext *ac;

    signal(SIGPIPE, SIG_IGN);
    iv_init();
    if (strchr(where, '/'))
        ac = redisAsyncConnectUnix(where);
    else
        ac = redisAsyncConnect(where, argc > 2 ? atoi(argv[2]) : 6379);
    if (ac == NULL || ac->err) {
        printf("error: %s\n", ac ? ac->errstr : "out of memory");
        redisAsyncFree(ac);
        iv_deinit();
        return 1;
    }
    redisIvykisAttach(ac);
    redisAsyncSetConnectCallback(ac, onConnect);
    redisAsyncSetDisconnectCallback(ac, onDisconnect);
    redisAsyncCommand(ac, NULL, NULL, "SET example:ivykis %s", "hello from ivykis");
    redisAsyncCommand(ac, onGet, NULL, "GET example:ivykis");
    iv_main();
    iv_deinit();
    return failed;
}
