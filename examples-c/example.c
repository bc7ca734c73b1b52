/* The synchronous API in one page: connect with a timeout, send commands with printf-like
 * formats (%s for C strings, %b for binary data with a length) and with argv vectors, read
 * every reply type that comes back, and pipeline several commands in one round trip.
 *
 *   example [host [port]]      (default 127.0.0.1 6379)
 *   example /path/to/redis.sock u
 *
 * Build: cc example.c $(pkg-config --cflags --libs hiredis)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

/* Exits with the context's error when a command got no reply at all (I/O or protocol). */
static redisReply *must(redisContext *c, void *reply) {
    if (reply == NULL) {
        fprintf(stderr, "error: %s\n", c->errstr);
        redisFree(c);
        exit(1);
    }
    return reply;
}

int main(int argc, char **argv) {
    const char *target = argc > 1 ? argv[1] : "127.0.0.1";
    int is_unix = argc > 2 && strcmp(argv[2], "u") == 0;
    int port = argc > 2 && !is_unix ? atoi(argv[2]) : 6379;
    struct timeval timeout = { 1, 500000 }; /* 1.5 seconds */
    redisContext *c;
    redisReply *reply;
    const char *list_argv[5] = { "RPUSH", "mylist", "element-1", "element-2", "element-3" };
    static const char blob[] = { 'b', 'i', 'n', 0, 'a', 'r', 'y' }; /* has a NUL inside */
    size_t i;
    int j;

    c = is_unix ? redisConnectUnixWithTimeout(target, timeout)
                : redisConnectWithTimeout(target, port, timeout);
    if (c == NULL || c->err) {
        /* A context is returned even on failure, so the error text can be read. */
        fprintf(stderr, "connection error: %s\n", c ? c->errstr : "can't allocate a context");
        redisFree(c);
        return 1;
    }

    reply = must(c, redisCommand(c, "PING"));
    printf("PING: %s\n", reply->str);
    freeReplyObject(reply);

    /* %s: a C string argument (spaces inside it stay one argument). */
    reply = must(c, redisCommand(c, "SET %s %s", "greeting", "hello world"));
    printf("SET: %s\n", reply->str);
    freeReplyObject(reply);

    /* %b: binary-safe, takes a pointer and a size_t length. */
    reply = must(c, redisCommand(c, "SET %b %b", "bin", (size_t)3, blob, sizeof blob));
    printf("SET (binary): %s\n", reply->str);
    freeReplyObject(reply);

    reply = must(c, redisCommand(c, "GET %b", "bin", (size_t)3));
    printf("GET (binary): %zu bytes, %s\n", reply->len,
           reply->len == sizeof blob && memcmp(reply->str, blob, sizeof blob) == 0 ? "intact" : "CHANGED");
    freeReplyObject(reply);

    reply = must(c, redisCommand(c, "GET greeting"));
    printf("GET greeting: %s\n", reply->str);
    freeReplyObject(reply);

    /* Integers come back as REDIS_REPLY_INTEGER. */
    for (j = 0; j < 2; j++) {
        reply = must(c, redisCommand(c, "INCR counter"));
        printf("INCR counter: %lld\n", reply->integer);
        freeReplyObject(reply);
    }

    /* A list built with an argv vector, read back as an array. */
    freeReplyObject(must(c, redisCommand(c, "DEL mylist")));
    reply = must(c, redisCommandArgv(c, 5, list_argv, NULL));
    printf("RPUSH: list has %lld elements\n", reply->integer);
    freeReplyObject(reply);

    reply = must(c, redisCommand(c, "LRANGE mylist 0 -1"));
    if (reply->type == REDIS_REPLY_ARRAY) {
        for (i = 0; i < reply->elements; i++)
            printf("  %zu) %s\n", i, reply->element[i]->str);
    }
    freeReplyObject(reply);

    /* A missing key is a NIL reply; a failing command is an ERROR reply, not a dead context. */
    reply = must(c, redisCommand(c, "GET no-such-key"));
    printf("GET no-such-key: %s\n", reply->type == REDIS_REPLY_NIL ? "(nil)" : "?");
    freeReplyObject(reply);
    reply = must(c, redisCommand(c, "INCR mylist"));
    printf("INCR mylist: %s\n", reply->type == REDIS_REPLY_ERROR ? reply->str : "?");
    freeReplyObject(reply);

    /* Pipelining: append several commands, then read the replies in order. */
    redisAppendCommand(c, "SET pipelined %d", 42);
    redisAppendCommand(c, "INCRBY pipelined %lld", 8LL);
    redisAppendCommand(c, "GET pipelined");
    for (j = 0; j < 3; j++) {
        if (redisGetReply(c, (void **)&reply) != REDIS_OK) must(c, NULL);
        if (reply->type == REDIS_REPLY_INTEGER)
            printf("pipeline reply %d: %lld\n", j + 1, reply->integer);
        else
            printf("pipeline reply %d: %s\n", j + 1, reply->str);
        freeReplyObject(reply);
    }

    redisFree(c);
    return 0;
}
