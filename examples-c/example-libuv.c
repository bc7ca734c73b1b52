/* Async hiredis on libuv, with a command timeout: a 1 s timeout makes DEBUG SLEEP 1.5 fail
 * with "Timeout" (the server needs `enable-debug-command yes`; otherwise DEBUG is refused).
 *
 *   example-libuv [host [port]]        (default 127.0.0.1 6379)
 *   example-libuv /path/to/redis.sock
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libuv.h>

static void onConnect(const redisAsyncContext *ac, int status) {
    if (status != REDIS_OK)
        printf("connect failed: %s\n", ac->errstr);
    else
        printf("connected\n");
}

static void onDisconnect(const redisAsyncContext *ac, int status) {
    if (status != REDIS_OK)
        printf("disconnected with error: %s\n", ac->errstr);
    else
        printf("disconnected\n");
}

static void onSleep(redisAsyncContext *ac, void *r, void *privdata) {
    redisReply *reply = r;
    (void)privdata;
    if (reply == NULL)
        printf("DEBUG SLEEP 1.5 failed: %s\n", ac->errstr); /* expected: Timeout */
    else if (reply->type == REDIS_REPLY_ERROR)
        printf("DEBUG SLEEP 1.5 refused: %s\n", reply->str);
    else
        printf("DEBUG SLEEP 1.5 -> %s (no timeout?)\n", reply->str);
    redisAsyncDisconnect(ac); /* no-op if the timeout already tore the context down */
}

static void onGet(redisAsyncContext *ac, void *r, void *privdata) {
    redisReply *reply = r;
    (void)privdata;
    if (reply == NULL) {
        printf("GET failed: %s\n", ac->errstr);
        return;
    }
    printf("GET example:libuv -> %s\n", reply->str);
    /* Now something slower than the timeout. */
    redisAsyncCommand(ac, onSleep, NULL, "DEBUG SLEEP %f", 1.5);
}

int main(int argc, char **argv) {
    const char *where = argc > 1 ? argv[1] : "127.0.0.1";
    struct timeval timeout = {1, 0};
    uv_loop_t *loop = uv_default_loop();
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
    if (redisLibuvAttach(ac, loop) != REDIS_OK) {
        printf("could not attach to the loop\n");
        redisAsyncFree(ac);
        return 1;
    }
    redisAsyncSetTimeout(ac, timeout);
    redisAsyncSetConnectCallback(ac, onConnect);
    redisAsyncSetDisconnectCallback(ac, onDisconnect);
    redisAsyncCommand(ac, NULL, NULL, "SET example:libuv %s", "hello from libuv");
    redisAsyncCommand(ac, onGet, NULL, "GET example:libuv");
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
    return 0;
}
