/* Async pub/sub on libevent: one connection subscribes, a second one publishes three
 * messages once the subscription is confirmed; after the third message the subscriber
 * unsubscribes and both connections close.
 *
 *   example-pubsub [host [port]]        (default 127.0.0.1 6379)
 *   example-pubsub /path/to/redis.sock
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>

#define CHANNEL "example:news"
#define MESSAGES 3

static redisAsyncContext *publisher;
static int received;

static void onDisconnect(const redisAsyncContext *ac, int status) {
    printf("%s disconnected%s%s\n", ac == publisher ? "publisher" : "subscriber",
           status == REDIS_OK ? "" : ": ", status == REDIS_OK ? "" : ac->errstr);
}

static void onPublished(redisAsyncContext *ac, void *r, void *privdata) {
    redisReply *reply = r;
    (void)ac;
    if (reply != NULL && reply->type == REDIS_REPLY_INTEGER)
        printf("published \"%s\" to %lld subscriber(s)\n", (char *)privdata, reply->integer);
}

/* Every frame for the channel arrives here: ["subscribe", channel, count],
 * ["message", channel, payload], ["unsubscribe", channel, count]. NULL at teardown. */
static void onChannel(redisAsyncContext *ac, void *r, void *privdata) {
    static const char *texts[MESSAGES] = {"first", "second", "third"};
    redisReply *reply = r;
    const char *kind;
    (void)privdata;

    if (reply == NULL || reply->elements < 3 || reply->element[0]->type != REDIS_REPLY_STRING)
        return;
    kind = reply->element[0]->str;
    if (strcmp(kind, "subscribe") == 0) {
        printf("subscribed to %s\n", reply->element[1]->str);
        for (int i = 0; i < MESSAGES; i++)
            redisAsyncCommand(publisher, onPublished, (char *)texts[i], "PUBLISH %s %s", CHANNEL, texts[i]);
    } else if (strcmp(kind, "message") == 0) {
        printf("received on %s: %s\n", reply->element[1]->str, reply->element[2]->str);
        if (++received == MESSAGES)
            redisAsyncCommand(ac, NULL, NULL, "UNSUBSCRIBE %s", CHANNEL);
    } else if (strcmp(kind, "unsubscribe") == 0) {
        printf("unsubscribed from %s\n", reply->element[1]->str);
        redisAsyncDisconnect(ac);
        redisAsyncDisconnect(publisher);
    }
}

static redisAsyncContext *connectTo(const char *where, int port, struct event_base *base) {
    redisAsyncContext *ac = strchr(where, '/') ? redisAsyncConnectUnix(where)
                                               : redisAsyncConnect(where, port);
    if (ac == NULL || ac->err) {
        printf("error: %s\n", ac ? ac->errstr : "out of memory");
        redisAsyncFree(ac);
        return NULL;
    }
    redisLibeventAttach(ac, base);
    redisAsyncSetDisconnectCallback(ac, onDisconnect);
    return ac;
}

int main(int argc, char **argv) {
    const char *where = argc > 1 ? argv[1] : "127.0.0.1";
    int port = argc > 2 ? atoi(argv[2]) : 6379;
    struct event_base *base = event_base_new();
    redisAsyncContext *subscriber;

    signal(SIGPIPE, SIG_IGN);
    subscriber = connectTo(where, port, base);
    publisher = connectTo(where, port, base);
    if (subscriber == NULL || publisher == NULL)
        return 1;
    redisAsyncCommand(subscriber, onChannel, NULL, "SUBSCRIBE %s", CHANNEL);
    event_base_dispatch(base);
    event_base_free(base);
    printf("%d of %d messages received\n", received, MESSAGES);
    return received == MESSAGES ? 0 : 1;
}
