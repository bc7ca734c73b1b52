/* Sync benchmark: blocking round trips (redisCommand) and pipelines (redisAppendCommand
 * N times, then redisGetReply N times) against a local redis-server. Reports commands/s
 * and client CPU per command. Connects like async.c (REDIS_HOST/REDIS_PORT, or REDIS_SOCK
 * with BENCH_UNIX=1). Public API only. */
#include <hiredis/hiredis.h>

#include "benchlib.h"

static const char value[] = "0123456789abcdef0123456789ABCDEF";

static int ok_reply(redisReply *r, int want) {
    int ok = r != NULL && r->type == want;
    if (!ok) fprintf(stderr, "sync: unexpected reply %d\n", r ? r->type : -1);
    freeReplyObject(r);
    return ok;
}

/* depth 0: round trips; otherwise pipelines of depth commands. */
static int run(redisContext *c, int get, long depth, long total, double *wall, double *cpu) {
    char key[32];
    double c0 = bl_cpu_seconds(), t0 = bl_now();
    int want = get ? REDIS_REPLY_STRING : REDIS_REPLY_STATUS;
    for (long done = 0; done < total;) {
        if (depth == 0) {
            snprintf(key, sizeof key, "bench:key:%ld", done % 1024);
            redisReply *r = get ? redisCommand(c, "GET %s", key) : redisCommand(c, "SET %s %b", key, value, sizeof value - 1);
            if (!ok_reply(r, want)) return -1;
            done++;
            continue;
        }
        long n = total - done < depth ? total - done : depth;
        for (long i = 0; i < n; i++) {
            snprintf(key, sizeof key, "bench:key:%ld", (done + i) % 1024);
            int rc = get ? redisAppendCommand(c, "GET %s", key) : redisAppendCommand(c, "SET %s %b", key, value, sizeof value - 1);
            if (rc != REDIS_OK) return -1;
        }
        for (long i = 0; i < n; i++) {
            void *r = NULL;
            if (redisGetReply(c, &r) != REDIS_OK || !ok_reply(r, want)) return -1;
        }
        done += n;
    }
    *wall = bl_now() - t0;
    *cpu = bl_cpu_seconds() - c0;
    return 0;
}

int main(void) {
    const char *sock = getenv("REDIS_SOCK"), *unix_ = getenv("BENCH_UNIX");
    const char *host = getenv("REDIS_HOST"), *port = getenv("REDIS_PORT");
    redisContext *c = sock && unix_ && *unix_ == '1' ? redisConnectUnix(sock)
                                                    : redisConnect(host ? host : "127.0.0.1", port ? atoi(port) : 6379);
    if (c == NULL || c->err) {
        fprintf(stderr, "sync: connect: %s\n", c ? c->errstr : "out of memory");
        return 1;
    }
    static const struct {
        const char *name;
        int get;
        long depth, total;
    } phases[] = {
        {"set/roundtrip", 0, 0, 10000},   {"get/roundtrip", 1, 0, 10000},
        {"set/pipe100", 0, 100, 300000},  {"get/pipe100", 1, 100, 300000},
        {"set/pipe1000", 0, 1000, 300000}, {"get/pipe1000", 1, 1000, 300000},
    };
    for (size_t i = 0; i < sizeof phases / sizeof phases[0]; i++) {
        double wall, cpu;
        if (run(c, phases[i].get, phases[i].depth, phases[i].total, &wall, &cpu) != 0) {
            fprintf(stderr, "sync: %s failed: %s\n", phases[i].name, c->errstr);
            return 1;
        }
        bl_result("sync", phases[i].name, "cmds_per_s", (double)phases[i].total / wall);
        bl_result("sync", phases[i].name, "cpu_ns_per_cmd", cpu * 1e9 / (double)phases[i].total);
    }
    redisFree(c);
    return 0;
}
