/* Cluster benchmark: hiredis-cluster's API (0.14.0) against a running Redis Cluster.
 *
 *   cluster [phase ...]      timed phases (default: the matrix below)
 *
 * Phases:
 *   set:INFLIGHT:TOTAL       async SET (libevent adapter), at most INFLIGHT commands
 *                            outstanding over the whole cluster, TOTAL commands
 *   get:INFLIGHT:TOTAL       the same with GET
 *   mget:DEPTH:TOTAL         sync pipeline: DEPTH x redisClusterAppendCommand("MGET" of 12
 *                            keys in 4 slots, so each is split in 4 and merged), then DEPTH x
 *                            redisClusterGetReply, TOTAL MGETs in all
 *
 * Each phase reports commands/s (wall clock), client CPU per command (user+sys from
 * getrusage; an MGET counts as one command) and heap allocations per command: every
 * malloc, calloc and realloc of the process during the phase (libraries, libevent and this
 * program alike), counted by the wrappers below around glibc's own functions. Seeds from CLUSTER_SEED ("host:port,..."). The
 * keys are written first (untimed) on the same contexts, so connections are made before any
 * phase. Public API only: builds against hiredis-rs's libhiredis_rs_cluster and against
 * hiredis-cluster 0.14.0 on hiredis 1.4.1. */
#include <hiredis_cluster/hircluster.h>
#include <hiredis_cluster/adapters/libevent.h>

#include <unistd.h>

#include "benchlib.h"

/* Allocation counting: these definitions take the place of glibc's for the whole process
 * (shared libraries included), and forward to glibc's implementations. */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
static unsigned long allocs;
void *malloc(size_t n) {
    allocs++;
    return __libc_malloc(n);
}
void *calloc(size_t n, size_t m) {
    allocs++;
    return __libc_calloc(n, m);
}
void *realloc(void *p, size_t n) {
    allocs++;
    return __libc_realloc(p, n);
}

#define NKEYS 1024
#define NTAGS 256
#define PER_TAG 3
static char keys[NKEYS][24];
static char tagged[NTAGS][PER_TAG][32];
static const char value[] = "0123456789abcdef0123456789ABCDEF";

typedef struct {
    redisClusterAsyncContext *acc;
    struct event_base *base;
    int get;
    long sent, done, total;
    int failed;
} abench;

static void on_reply(redisClusterAsyncContext *acc, void *r, void *privdata);

static int send_one(abench *b) {
    long i = b->sent++;
    if (b->get) return redisClusterAsyncCommand(b->acc, on_reply, b, "GET %s", keys[i % NKEYS]);
    return redisClusterAsyncCommand(b->acc, on_reply, b, "SET %s %b", keys[i % NKEYS], value, sizeof value - 1);
}

static void on_reply(redisClusterAsyncContext *acc, void *r, void *privdata) {
    abench *b = privdata;
    redisReply *reply = r;
    if (reply == NULL || reply->type == REDIS_REPLY_ERROR ||
        (b->get && reply->type != REDIS_REPLY_STRING)) {
        if (!b->failed)
            fprintf(stderr, "cluster: bad reply (%s)\n",
                    reply == NULL ? acc->errstr : reply->type == REDIS_REPLY_ERROR ? reply->str : "type");
        b->failed = 1;
    }
    if (++b->done == b->total) {
        event_base_loopbreak(b->base);
        return;
    }
    if (b->sent < b->total && send_one(b) != REDIS_OK) {
        fprintf(stderr, "cluster: send failed: %s\n", acc->errstr);
        b->failed = 1;
        event_base_loopbreak(b->base);
    }
}

/* One async phase on the shared context; returns 0 when every reply came back well. */
static int run_async(redisClusterAsyncContext *acc, struct event_base *base, int get, long window, long total,
                     double *wall, double *cpu) {
    abench b = {acc, base, get, 0, 0, total, 0};
    alarm(120);
    double c0 = bl_cpu_seconds(), t0 = bl_now();
    long first = window < total ? window : total;
    for (long k = 0; k < first; k++)
        if (send_one(&b) != REDIS_OK) {
            fprintf(stderr, "cluster: send failed: %s\n", acc->errstr);
            return -1;
        }
    event_base_dispatch(base);
    *wall = bl_now() - t0;
    *cpu = bl_cpu_seconds() - c0;
    alarm(0);
    if (b.failed || b.done != total) {
        fprintf(stderr, "cluster: async phase finished %ld of %ld commands\n", b.done, total);
        return -1;
    }
    return 0;
}

/* MGET number i: 12 keys, 3 under each of 4 hash tags (4 slots, usually on several nodes). */
static int append_mget(redisClusterContext *cc, long i) {
    const char *k[4][PER_TAG];
    for (int t = 0; t < 4; t++)
        for (int j = 0; j < PER_TAG; j++) k[t][j] = tagged[(i * 4 + t) % NTAGS][j];
    return redisClusterAppendCommand(cc, "MGET %s %s %s %s %s %s %s %s %s %s %s %s", k[0][0], k[0][1], k[0][2],
                                     k[1][0], k[1][1], k[1][2], k[2][0], k[2][1], k[2][2], k[3][0], k[3][1],
                                     k[3][2]);
}

static int run_mget(redisClusterContext *cc, long depth, long total, double *wall, double *cpu) {
    alarm(120);
    double c0 = bl_cpu_seconds(), t0 = bl_now();
    long done = 0;
    int failed = 0;
    while (done < total) {
        long n = depth < total - done ? depth : total - done;
        for (long i = 0; i < n; i++)
            if (append_mget(cc, done + i) != REDIS_OK) {
                fprintf(stderr, "cluster: append failed: %s\n", cc->errstr);
                return -1;
            }
        for (long i = 0; i < n; i++) {
            redisReply *r = NULL;
            if (redisClusterGetReply(cc, (void **)&r) != REDIS_OK || r == NULL || r->type != REDIS_REPLY_ARRAY ||
                r->elements != 4 * PER_TAG || r->element[0]->type != REDIS_REPLY_STRING) {
                if (!failed) fprintf(stderr, "cluster: bad MGET reply (%s)\n", cc->errstr);
                failed = 1;
            }
            if (r) freeReplyObject(r);
        }
        redisClusterReset(cc);
        done += n;
    }
    *wall = bl_now() - t0;
    *cpu = bl_cpu_seconds() - c0;
    alarm(0);
    return failed ? -1 : 0;
}

static const char *default_matrix[] = {"set:1000:300000", "get:1000:300000", "mget:100:50000"};

int main(int argc, char **argv) {
    const char *seed = getenv("CLUSTER_SEED");
    if (seed == NULL) {
        fprintf(stderr, "cluster: set CLUSTER_SEED=host:port[,host:port...]\n");
        return 2;
    }
    for (int i = 0; i < NKEYS; i++) snprintf(keys[i], sizeof keys[i], "bench:key:%d", i);
    for (int t = 0; t < NTAGS; t++)
        for (int j = 0; j < PER_TAG; j++) snprintf(tagged[t][j], sizeof tagged[t][j], "bench:{t%d}:%d", t, j);

    /* The sync context: writes every key, then serves the MGET phases. */
    redisClusterContext *cc = redisClusterContextInit();
    if (cc == NULL || redisClusterSetOptionAddNodes(cc, seed) != REDIS_OK ||
        redisClusterSetOptionRouteUseSlots(cc) != REDIS_OK || redisClusterConnect2(cc) != REDIS_OK) {
        fprintf(stderr, "cluster: connect: %s\n", cc ? cc->errstr : "out of memory");
        return 1;
    }
    for (int t = 0; t < NTAGS; t++)
        for (int j = 0; j < PER_TAG; j++) {
            redisReply *r = redisClusterCommand(cc, "SET %s %b", tagged[t][j], value, sizeof value - 1);
            if (r == NULL || r->type == REDIS_REPLY_ERROR) {
                fprintf(stderr, "cluster: setup SET: %s\n", r ? r->str : cc->errstr);
                return 1;
            }
            freeReplyObject(r);
        }

    /* The async context: connected (slot map fetched) before the loop, as 0.14.0 allows. */
    struct event_base *base = event_base_new();
    redisClusterAsyncContext *acc = redisClusterAsyncContextInit();
    if (base == NULL || acc == NULL || redisClusterSetOptionAddNodes(acc->cc, seed) != REDIS_OK ||
        redisClusterSetOptionRouteUseSlots(acc->cc) != REDIS_OK || redisClusterConnect2(acc->cc) != REDIS_OK ||
        redisClusterLibeventAttach(acc, base) != REDIS_OK) {
        fprintf(stderr, "cluster: async connect: %s\n", acc ? acc->errstr : "out of memory");
        return 1;
    }
    double wall, cpu;
    /* Setup: every key once (GET reads them), which also connects to every master. */
    if (run_async(acc, base, 0, 1000, NKEYS, &wall, &cpu) != 0) return 1;

    const char **specs = (const char **)argv + 1;
    int nspecs = argc - 1;
    if (nspecs == 0) {
        specs = default_matrix;
        nspecs = (int)(sizeof default_matrix / sizeof default_matrix[0]);
    }
    const char *scale_s = getenv("BENCH_CLUSTER_SCALE");
    double scale = scale_s ? atof(scale_s) : 1.0;
    for (int i = 0; i < nspecs; i++) {
        char mix[16];
        long a, total;
        if (sscanf(specs[i], "%15[a-z]:%ld:%ld", mix, &a, &total) != 3 || a < 1 || total < 1 ||
            (strcmp(mix, "set") && strcmp(mix, "get") && strcmp(mix, "mget"))) {
            fprintf(stderr, "cluster: bad phase '%s' (set|get:inflight:total or mget:depth:total)\n", specs[i]);
            return 2;
        }
        if (scale > 0 && scale != 1.0) total = (long)((double)total * scale) < 1 ? 1 : (long)((double)total * scale);
        unsigned long allocs0 = allocs;
        int rc = strcmp(mix, "mget") == 0 ? run_mget(cc, a, total, &wall, &cpu)
                                          : run_async(acc, base, strcmp(mix, "get") == 0, a, total, &wall, &cpu);
        if (rc != 0) return 1;
        unsigned long nallocs = allocs - allocs0;
        char cname[64];
        snprintf(cname, sizeof cname, "%s/%s%ld", mix, strcmp(mix, "mget") == 0 ? "pipe" : "if", a);
        bl_result("cluster", cname, "cmds_per_s", (double)total / wall);
        bl_result("cluster", cname, "cpu_ns_per_cmd", cpu * 1e9 / (double)total);
        bl_result("cluster", cname, "allocs_per_cmd", (double)nallocs / (double)total);
    }
    redisClusterAsyncFree(acc);
    event_base_free(base);
    redisClusterFree(cc);
    return 0;
}
