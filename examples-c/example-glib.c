/* Async hiredis on the GLib main loop: SET then GET, quitting the loop on disconnect.
 *
 *   example-glib [host [port]]        (default 127.0.0.1 6379)
 *   example-glib /path/to/redis.sock
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/glib.h>

static GMainLoop *mainloop;

static void onConnect(const redisAsyncContext *ac, int status) {
    if (status != REDIS_OK) {
        printf("connect failed: %s\n", ac->errstr);
        g_main_loop_quit(mainloop); /* the context is gone: no disconnect callback follows */
    } else {
        printf("connected\n");
    }
}

static void onDisconnect(const redisAsyncContext *ac, int status) {
    if (status != REDIS_OK)
        printf("disconnected with error: %s\n", ac->errstr);
    else
        printf("disconnected\n");
    g_main_loop_quit(mainloop);
}

static void onGet(redisAsyncContext *ac, void *r, void *privdata) {
    redisReply *reply = r;
    (void)privdata;
    if (reply == NULL)
        printf("GET failed: %s\n", ac->errstr);
    else
        printf("GET example:glib -> %s\n", reply->str);
    redisAsyncDisconnect(ac);
}

int main(int argc, char **argv) {
    const char *where = argc > 1 ? argv[1] : "127.0.0.1";
    redisAsyncContext *ac;
    GSource *source;

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
    mainloop = g_main_loop_new(NULL, FALSE);
    source = redis_source_new(ac);
    g_source_attach(source, NULL);
    redisAsyncSetConnectCallback(ac, onConnect);
    redisAsyncSetDisconnectCallback(ac, onDisconnect);
    redisAsyncCommand(ac, NULL, NULL, "SET example:glib %s", "hello from glib");
    redisAsyncCommand(ac, onGet, NULL, "GET example:glib");
    g_main_loop_run(mainloop);

    g_source_destroy(source);
    g_source_unref(source);
    g_main_loop_unref(mainloop);
    return 0;
}
