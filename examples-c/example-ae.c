/* Async hiredis on Redis's `ae` event loop. Built here with the ae-compatible loop in
 * tests/ae (Redis's own ae.c needs the Redis source tree); the code is the same for both.
 *
 *   example-ae [host [port]]        (default 127.0.0.1 6379)
 *   example-ae /path/to/redis.sock
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/ae.h>

static aeEventLoop *loop;

static void onConnect(const redisAsyncContext *ac, int status) {
    if (status != REDIS_OK) {
        printf("connect failed: %s\n", ac->errstr);
        aeStop(loop);
    } else {
        printf("connected\n");
    }
}

static void onDisconnect(const redisAsyncContext *ac, int status) {
    if (status != REDIS_OK)
        printf("disconnected with error: %s\n", ac->errstr);
    else
        printf("disconnected\n");
    aeStop(loop);
}

static void onGet(redisAsyncContext *ac, void *r, void *privdata) {
    redisReply *reply = r;
    (void)privdata;
    if (reply == NULL)
        printf("GET failed: %s\n", ac->errstr);
    else
        printf("GET example:ae -> %s\n", reply->str);
    redisAsyncDisconnect(ac);
}

int main(int argc, char **argv) {
    const char *where = argc > 1 ? argv[1] : "127.0.0.1";
    redisAsyncContext *ac;

    signal(SIGPIPE, SIG_IGN);
    if (strchr(where, '/'))
        ac = redisAsyncConnectUnix(where);
    else
        ac = redisAsyncConnect(where, argc > 2 ? atoi(argv[2]) : 6379);
    if (ac == NULL || ac->err) {
        printf("error: %s\n", ac ? ac->errstr : "out of memory");
        redisAsyncFree(ac);
        return 1;
    }
    loop = aeCreateEventLoop(64);
    redisAeAttach(loop, ac);
    redisAsyncSetConnectCallback(ac, onConnect);
    redisAsyncSetDisconnectCallback(ac, onDisconnect);
    redisAsyncCommand(ac, NULL, NULL, "SET example:ae %s", "hello from ae");
    redisAsyncCommand(ac, onGet, NULL, "GET example:ae");
    aeMain(loop);
    aeDeleteEventLoop(loop);
    return 0;
}
