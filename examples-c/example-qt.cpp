// Async hiredis on Qt 5: SET then GET, disconnecting from the GET callback; the
// disconnect callback ends the event loop. Build: run moc on <hiredis/adapters/qt.h>
// and compile its output with this file (see the Makefile's examples target).
//
//   example-qt [host [port]]        (default 127.0.0.1 6379)
//   example-qt /path/to/redis.sock
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <QCoreApplication>
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/qt.h>

static void onConnect(const redisAsyncContext *ac, int status) {
    if (status != REDIS_OK) {
        printf("connect failed: %s\n", ac->errstr);
        QCoreApplication::exit(1);
    } else {
        printf("connected\n");
    }
}

static void onDisconnect(const redisAsyncContext *ac, int status) {
    if (status != REDIS_OK)
        printf("disconnected with error: %s\n", ac->errstr);
    else
        printf("disconnected\n");
    QCoreApplication::exit(status == REDIS_OK ? 0 : 1);
}

static void onGet(redisAsyncContext *ac, void *r, void *privdata) {
    redisReply *reply = static_cast<redisReply *>(r);
    (void)privdata;
    if (reply == NULL)
        printf("GET failed: %s\n", ac->errstr);
    else
        printf("GET example:qt -> %s\n", reply->type == REDIS_REPLY_STRING ? reply->str : "(not a string)");
    redisAsyncDisconnect(ac);
}

int main(int argc, char **argv) {
    QCoreApplication app(argc, argv);
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
    RedisQtAdapter adapter;
    adapter.setContext(ac);
    redisAsyncSetConnectCallback(ac, onConnect);
    redisAsyncSetDisconnectCallback(ac, onDisconnect);
    redisAsyncCommand(ac, NULL, NULL, "SET example:qt %s", "hello from qt");
    redisAsyncCommand(ac, onGet, NULL, "GET example:qt");
    return app.exec();
}
