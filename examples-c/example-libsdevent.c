/* Async hiredis on systemd's sd-event: SET then GET with a command timeout armed, then
 * disconnect; the disconnect callback ends the loop (sd_event_loop would otherwise wait
 * for sources forever).
 *
 *   example-libsdevent [host [port]]        (default 127.0.0.1 6379)
 *   example-libsdevent /path/to/redis.sock
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libsdevent.h>

static sd_event *loop;

static void onConnect(const redisAsyncContext *ac, int status) {
    if (status != REDIS_OK) {
        printf("connect failed: %s\n", ac->errstr);
        sd_event_exit(loop, 1);
    } else {
        printf("connected\n");
    }
}

static void onDisconnect(const redisAsyncContext *ac, int status) {
    if (status != REDIS_OK)
        printf("disconnected with error: %s\n", ac->errstr);
    else
        printf("disconnected\n");
    sd_event_exit(loop, status == REDIS_OK ? 0 : 1);
}

static void onGet(redisAsyncContext *ac, void *r, void *privdata) {
    redisReply *reply = r;
    (void)privdata;
    if (reply == NULL)
        printf("GET failed: %s\n", ac->errstr);
    else
        printf("GET example:sdevent -> %s\n", reply->type == REDIS_REPLY_STRING ? reply->str : "(not a string)");
    redisAsyncDisconnect(ac);
}

int main(int argc, char **argv) {
    const char *where = argc > 1 ? argv[1] : "127.0.0.1";
    struct timeval timeout = {2, 0};
    redisAsyncContext *ac;
    int rc;

    signal(SIGPIPE, SIG_IGN);
    if (sd_event_new(&loop) < 0) {
        printf("sd_event_new failed\n");
        return 1;
    }
    if (strchr(where, '/'))
        ac = redisAsyncConnectUnix(where);
    else
        ac = redisAsyncConnect(where, argc > 2 ? atoi(argv[2]) : 6379);
    if (ac == NULL || ac->err) {
        printf("error: %s\n", ac ? ac->errstr : "out of memory");
        redisAsyncFree(ac);
        sd_event_unref(loop);
        return 1;
    }
    redisLibsdeventAttach(ac, loop);
    redisAsyncSetTimeout(ac, timeout);
    redisAsyncSetConnectCallback(ac, onConnect);
    redisAsyncSetDisconnectCallback(ac, onDisconnect);
    redisAsyncCommand(ac, NULL, NULL, "SET example:sdevent %s", "hello from sd-event");
    redisAsyncCommand(ac, onGet, NULL, "GET example:sdevent");
    rc = sd_event_loop(loop);
    sd_event_unref(loop);
    return rc;
}
