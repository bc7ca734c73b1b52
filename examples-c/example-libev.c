/* Async hiredis on libev: SET then GET, disconnecting from the GET callback.
 *
 *   example-libev [host [port]]        (default 127.0.0.1 6379)
 *   example-libev /path/to/redis.sock
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libev.h>

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

static void onGet(redisAsyncContext *ac, void *r, void *privdata) {
    redisReply *reply = r;
    (void)privdata;
    if (reply == NULL)
        printf("GET failed: %s\n", ac->errstr);
    else
        printf("GET example:libev -> %s\n", reply->type == REDIS_REPLY_STRING ? reply->str : "(not a string)");
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
    redisLibevAttach(EV_DEFAULT_ ac);
    redisAsyncSetConnectCallback(ac, onConnect);
    redisAsyncSetDisconnectCallback(ac, onDisconnect);
    redisAsyncCommand(ac, NULL, NULL, "SET example:libev %s", "hello from libev");
    redisAsyncCommand(ac, onGet, NULL, "GET example:libev");
    ev_run(EV_DEFAULT_ 0);
    return 0;
}
