/* RESP3 push messages on a synchronous connection: with client-side caching on
 * (CLIENT TRACKING), Redis sends an `invalidate` push whenever a key this client has
 * read changes. A custom push handler counts them; the context's privdata destructor
 * reports the total when the context is freed.
 *
 *   example-push [host [port]]        (default 127.0.0.1 6379; needs Redis >= 6)
 *   example-push /path/to/redis.sock
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#define KEYS 5

/* Prints and exits when a command did not get the reply type it needs. */
static void expect(redisContext *c, redisReply *reply, int type, const char *what) {
    if (reply == NULL) {
        fprintf(stderr, "%s: no reply (%s)\n", what, c->errstr);
        exit(1);
    }
    if (reply->type != type) {
        fprintf(stderr, "%s: unexpected reply type %d%s%s\n", what, reply->type,
                reply->type == REDIS_REPLY_ERROR ? ": " : "",
                reply->type == REDIS_REPLY_ERROR ? reply->str : "");
        exit(1);
    }
    freeReplyObject(reply);
}

/* Called for every push frame, before the reply of the command being read; the handler
 * owns the reply. An invalidation is ["invalidate", [key, ...]]. */
static void onPush(void *privdata, void *r) {
    redisReply *reply = r;
    int *count = privdata;

    if (reply->elements == 2 && reply->element[0]->type == REDIS_REPLY_STRING &&
        strcmp(reply->element[0]->str, "invalidate") == 0 &&
        reply->element[1]->type == REDIS_REPLY_ARRAY) {
        for (size_t i = 0; i < reply->element[1]->elements; i++) {
            (*count)++;
            printf("  push: invalidate %s\n", reply->element[1]->element[i]->str);
        }
    } else {
        printf("  push: some other push (%zu elements)\n", reply->elements);
    }
    freeReplyObject(reply);
}

static void onFree(void *privdata) {
    printf("context freed after %d invalidations\n", *(int *)privdata);
}

int main(int argc, char **argv) {
    const char *where = argc > 1 ? argv[1] : "127.0.0.1";
    redisOptions options = {0};
    redisContext *c;
    int invalidations = 0;

    if (strchr(where, '/'))
        REDIS_OPTIONS_SET_UNIX(&options, where);
    else
        REDIS_OPTIONS_SET_TCP(&options, where, argc > 2 ? atoi(argv[2]) : 6379);
    REDIS_OPTIONS_SET_PRIVDATA(&options, &invalidations, onFree);
    options.push_cb = onPush;

    c = redisConnectWithOptions(&options);
    if (c == NULL || c->err) {
        fprintf(stderr, "connect: %s\n", c ? c->errstr : "out of memory");
        redisFree(c);
        return 1;
    }

    /* Push frames exist only in RESP3. */
    expect(c, redisCommand(c, "HELLO 3"), REDIS_REPLY_MAP, "HELLO 3");
    expect(c, redisCommand(c, "CLIENT TRACKING ON"), REDIS_REPLY_STATUS, "CLIENT TRACKING ON");

    /* Reading a key makes the server track it for this client. */
    for (int i = 0; i < KEYS; i++) {
        expect(c, redisCommand(c, "SET example:push:%d old", i), REDIS_REPLY_STATUS, "SET");
        expect(c, redisCommand(c, "GET example:push:%d", i), REDIS_REPLY_STRING, "GET");
    }
    /* Changing it sends us an invalidation. */
    for (int i = 0; i < KEYS; i++) {
        printf("SET example:push:%d new\n", i);
        expect(c, redisCommand(c, "SET example:push:%d new", i), REDIS_REPLY_STATUS, "SET");
    }
    /* The server may send the last invalidation after the last SET's reply: one more
     * round trip collects it. */
    expect(c, redisCommand(c, "PING"), REDIS_REPLY_STATUS, "PING");

    printf("invalidations: %d of %d\n", invalidations, KEYS);
    redisFree(c);
    return invalidations == KEYS ? 0 : 1;
}
