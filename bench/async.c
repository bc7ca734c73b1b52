/* Async benchmark: hiredis's async API driven by an event library against a local
 * redis-server: libevent, or with -DBENCH_LOOP_LIBEV / _LIBUV / _GLIB libev, libuv or GLib
 * (each through the adapter header of the library it is built against).
 *
 *   async [mix:inflight:conns:total ...]     timed phases (default: the full matrix)
 *   async --mem N                            queue N SETs on one connection, report memory
 *
 * mix is set, get, incr or lrange (LRANGE of a 100-element list); inflight is the most
 * commands outstanding per connection (0 = unlimited: every command is queued up front);
 * conns connections share total commands. Each phase reports commands/s (wall clock) and
 * client CPU per command (user+sys from getrusage). Connects to REDIS_HOST:REDIS_PORT
 * (default 127.0.0.1:6379), or to REDIS_SOCK when BENCH_UNIX=1. Public API only. */
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#if defined(BENCH_LOOP_LIBEV)
#include <hiredis/adapters/libev.h>
#define LOOP_NAME "libev"
#define BENCH_PROG "async-libev"
typedef struct ev_loop loop_t;
static loop_t *loop_new(void) { return ev_loop_new(EVFLAG_AUTO); }
static void loop_attach(loop_t *l, redisAsyncContext *ac) { redisLibevAttach(l, ac); }
static void loop_run(loop_t *l) { ev_run(l, 0); }
static void loop_break(loop_t *l) { ev_break(l, EVBREAK_ALL); }
static void loop_free(loop_t *l) { ev_loop_destroy(l); }
#elif defined(BENCH_LOOP_LIBUV)
#include <hiredis/adapters/libuv.h>
#define LOOP_NAME "libuv"
#define BENCH_PROG "async-libuv"
typedef uv_loop_t loop_t;
static loop_t *loop_new(void) {
    loop_t *l = malloc(sizeof *l);
    if (l && uv_loop_init(l) != 0) { free(l); l = NULL; }
    return l;
}
static void loop_attach(loop_t *l, redisAsyncContext *ac) { redisLibuvAttach(ac, l); }
static void loop_run(loop_t *l) { uv_run(l, UV_RUN_DEFAULT); }
static void loop_break(loop_t *l) { uv_stop(l); }
static void loop_free(loop_t *l) {
    uv_run(l, UV_RUN_NOWAIT); /* the adapters' close callbacks */
    uv_loop_close(l);
    free(l);
}
#elif defined(BENCH_LOOP_GLIB)
#include <hiredis/adapters/glib.h>
#define LOOP_NAME "glib"
#define BENCH_PROG "async-glib"
typedef struct { GMainLoop *loop; GPtrArray *sources; } loop_t;
static loop_t *loop_new(void) {
    loop_t *l = malloc(sizeof *l);
    if (l) {
        l->loop = g_main_loop_new(NULL, FALSE);
        l->sources = g_ptr_array_new();
    }
    return l;
}
static void loop_attach(loop_t *l, redisAsyncContext *ac) {
    GSource *src = redis_source_new(ac);
    g_source_attach(src, NULL);
    g_ptr_array_add(l->sources, src);
}
static void loop_run(loop_t *l) { g_main_loop_run(l->loop); }
static void loop_break(loop_t *l) { g_main_loop_quit(l->loop); }
/* After the contexts are freed: their sources are inert, ours to destroy. */
static void loop_free(loop_t *l) {
    for (guint i = 0; i < l->sources->len; i++) {
        g_source_destroy(g_ptr_array_index(l->sources, i));
        g_source_unref(g_ptr_array_index(l->sources, i));
    }
    g_ptr_array_free(l->sources, TRUE);
    g_main_loop_unref(l->loop);
    free(l);
}
#else
#include <hiredis/adapters/libevent.h>
#define LOOP_NAME "libevent"
#define BENCH_PROG "async"
typedef struct event_base loop_t;
static loop_t *loop_new(void) { return event_base_new(); }
static void loop_attach(loop_t *l, redisAsyncContext *ac) { redisLibeventAttach(ac, l); }
static void loop_run(loop_t *l) { event_base_dispatch(l); }
static void loop_break(loop_t *l) { event_base_loopbreak(l); }
static void loop_free(loop_t *l) { event_base_free(l); }
#endif

#include <sys/resource.h>
#include <unistd.h>

#include "benchlib.h"

enum { MIX_SET, MIX_GET, MIX_INCR, MIX_LRANGE, MIX_SETUP };
static const char *mix_names[] = {"set", "get", "incr", "lrange", "setup"};

#define NKEYS 1024
#define LIST_LEN 100
static char keys[NKEYS][24];
static const char value[] = "0123456789abcdef0123456789ABCDEF";

typedef struct bench bench;
typedef struct {
    redisAsyncContext *ac;
    long sent, done, quota;
    double sent_at; /* with one in flight: when the command in flight was sent */
    bench *b;
} conn;

struct bench {
    loop_t *base;
    int mix;
    long window;
    long total, done_all;
    int failed;
    conn *conns;
    int nconns;
    double *lat; /* with one in flight per connection: each round trip, in seconds */
    long nlat;
};

static void on_reply(redisAsyncContext *ac, void *r, void *privdata);

static int send_one(conn *c) {
    long i = c->sent++;
    if (c->b->lat) c->sent_at = bl_now();
    redisAsyncContext *ac = c->ac;
    switch (c->b->mix) {
    case MIX_SET:
        return redisAsyncCommand(ac, on_reply, c, "SET %s %b", keys[i % NKEYS], value, sizeof value - 1);
    case MIX_GET:
        return redisAsyncCommand(ac, on_reply, c, "GET %s", keys[i % NKEYS]);
    case MIX_INCR:
        return redisAsyncCommand(ac, on_reply, c, "INCR bench:ctr:%d", (int)(i % 16));
    case MIX_LRANGE:
        return redisAsyncCommand(ac, on_reply, c, "LRANGE bench:list 0 %d", LIST_LEN - 1);
    default: /* setup: the keys GET reads, then the list LRANGE reads */
        if (i < NKEYS)
            return redisAsyncCommand(ac, on_reply, c, "SET %s %b", keys[i], value, sizeof value - 1);
        if (i == NKEYS) return redisAsyncCommand(ac, on_reply, c, "DEL bench:list");
        return redisAsyncCommand(ac, on_reply, c, "RPUSH bench:list %s", "element-10");
    }
}

static void on_reply(redisAsyncContext *ac, void *r, void *privdata) {
    conn *c = privdata;
    bench *b = c->b;
    redisReply *reply = r;
    (void)ac;
    if (reply == NULL) {
        if (!b->failed) fprintf(stderr, "async: NULL reply (%s)\n", ac->errstr);
        b->failed = 1;
        loop_break(b->base);
        return;
    }
    if (reply->type == REDIS_REPLY_ERROR ||
        (b->mix == MIX_LRANGE && (reply->type != REDIS_REPLY_ARRAY || reply->elements != LIST_LEN)) ||
        (b->mix == MIX_GET && reply->type != REDIS_REPLY_STRING)) {
        if (!b->failed) fprintf(stderr, "async: unexpected reply type %d (%s)\n", reply->type,
                                reply->type == REDIS_REPLY_ERROR ? reply->str : "");
        b->failed = 1;
    }
    if (b->lat && b->nlat < b->total) b->lat[b->nlat++] = bl_now() - c->sent_at;
    c->done++;
    if (++b->done_all == b->total) {
        loop_break(b->base);
        return;
    }
    if (c->sent < c->quota && send_one(c) != REDIS_OK) {
        b->failed = 1;
        loop_break(b->base);
    }
}

static void on_connect(const redisAsyncContext *ac, int status) {
    if (status != REDIS_OK) {
        fprintf(stderr, "async: connect failed: %s\n", ac->errstr);
        exit(1);
    }
}

static redisAsyncContext *connect_one(void) {
    const char *sock = getenv("REDIS_SOCK");
    const char *unix_ = getenv("BENCH_UNIX");
    redisAsyncContext *ac;
    if (sock && unix_ && *unix_ == '1') {
        ac = redisAsyncConnectUnix(sock);
    } else {
        const char *host = getenv("REDIS_HOST");
        const char *port = getenv("REDIS_PORT");
        ac = redisAsyncConnect(host ? host : "127.0.0.1", port ? atoi(port) : 6379);
    }
    if (ac == NULL || ac->err) {
        fprintf(stderr, "async: connect: %s\n", ac ? ac->errstr : "out of memory");
        exit(1);
    }
    return ac;
}

static long rss_bytes(void) {
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
        fclose(f);
    }
    return resident * sysconf(_SC_PAGESIZE);
}

/* Round-trip latencies of the last phase run with one command in flight per connection. */
static double *last_lat;
static long last_nlat;

/* Runs one phase; returns 0 on success. With mem != NULL, reports the RSS growth while
 * every command is queued (window must be 0 and conns 1). With window 1 it also records
 * every round trip (last_lat). */
static int run_phase(int mix, long window, int nconns, long total, double *wall, double *cpu, long *mem) {
    bench b = {0};
    b.base = loop_new();
    b.mix = mix;
    b.window = window;
    b.total = total;
    b.nconns = nconns;
    b.conns = calloc((size_t)nconns, sizeof(conn));
    if (!b.base || !b.conns) return -1;
    if (window == 1) {
        b.lat = malloc((size_t)total * sizeof(double));
        if (!b.lat) return -1;
    }

    /* A watchdog so a stuck run ends (and fails) instead of hanging the benchmark. */
    alarm(120);

    double c0 = bl_cpu_seconds(), t0 = bl_now();
    for (int i = 0; i < nconns; i++) {
        conn *c = &b.conns[i];
        c->b = &b;
        c->quota = total / nconns + (i < total % nconns ? 1 : 0);
        c->ac = connect_one();
        loop_attach(b.base, c->ac);
        redisAsyncSetConnectCallback(c->ac, on_connect);
    }
    long rss0 = mem ? rss_bytes() : 0;
    for (int i = 0; i < nconns; i++) {
        conn *c = &b.conns[i];
        long first = window > 0 && window < c->quota ? window : c->quota;
        for (long k = 0; k < first; k++)
            if (send_one(c) != REDIS_OK) return -1;
    }
    if (mem) *mem = rss_bytes() - rss0;
    loop_run(b.base);
    *wall = bl_now() - t0;
    alarm(0);
    *cpu = bl_cpu_seconds() - c0;

    int ok = !b.failed && b.done_all == total;
    if (!ok) fprintf(stderr, "async: %s phase finished %ld of %ld commands\n", mix_names[mix], b.done_all, total);
    for (int i = 0; i < nconns; i++) redisAsyncFree(b.conns[i].ac);
    loop_free(b.base);
    free(b.conns);
    free(last_lat);
    last_lat = b.lat;
    last_nlat = b.nlat;
    return ok ? 0 : -1;
}

static int parse_mix(const char *s) {
    for (int i = 0; i < MIX_SETUP; i++)
        if (strcmp(s, mix_names[i]) == 0) return i;
    return -1;
}

/* The default matrix: with libevent every mix with 1, 16, 1000 and unlimited in flight, 1
 * and 10 connections, and SET over 50 connections; with the other loops SET with 1, 16 and
 * 1000 in flight over 1 and 50 connections. Totals keep each phase to a fraction of a
 * second on a small machine. */
#if !defined(BENCH_LOOP_LIBEV) && !defined(BENCH_LOOP_LIBUV) && !defined(BENCH_LOOP_GLIB)
static const char *default_matrix[] = {
    "set:1:1:10000",    "set:16:1:100000",   "set:1000:1:1000000",   "set:0:1:1000000",
    "set:1:10:20000",   "set:16:10:200000",  "set:1000:10:1000000",  "set:0:10:1000000",
    "set:1:50:20000",   "set:16:50:200000",  "set:1000:50:1000000",
    "get:1:1:10000",    "get:16:1:100000",   "get:1000:1:300000",    "get:0:1:300000",
    "get:1:10:20000",   "get:16:10:200000",  "get:1000:10:300000",   "get:0:10:300000",
    "incr:1:1:10000",   "incr:16:1:100000",  "incr:1000:1:300000",   "incr:0:1:300000",
    "incr:1:10:20000",  "incr:16:10:200000", "incr:1000:10:300000",  "incr:0:10:300000",
    "lrange:1:1:5000",  "lrange:16:1:20000", "lrange:1000:1:50000",  "lrange:0:1:50000",
    "lrange:1:10:10000", "lrange:16:10:40000", "lrange:1000:10:50000", "lrange:0:10:50000",
};
#else
static const char *default_matrix[] = {
    "set:1:1:10000",  "set:16:1:100000",  "set:1000:1:1000000",
    "set:1:50:20000", "set:16:50:200000", "set:1000:50:1000000",
};
#endif

int main(int argc, char **argv) {
    for (int i = 0; i < NKEYS; i++) snprintf(keys[i], sizeof keys[i], "bench:key:%d", i);

    double wall, cpu;
    if (argc == 3 && strcmp(argv[1], "--mem") == 0) {
        long n = atol(argv[2]), mem = 0;
        if (n <= 0 || run_phase(MIX_SET, 0, 1, n, &wall, &cpu, &mem) != 0) return 1;
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        bl_result("async", "mem", "queued_bytes_per_cmd", (double)mem / (double)n);
        bl_result("async", "mem", "peak_rss_MB", (double)ru.ru_maxrss / 1024.0);
        bl_result("async", "mem", "cpu_ns_per_cmd", cpu * 1e9 / (double)n);
        return 0;
    }

    if (run_phase(MIX_SETUP, 0, 1, NKEYS + 1 + LIST_LEN, &wall, &cpu, NULL) != 0) return 1;

    const char **specs = (const char **)argv + 1;
    int nspecs = argc - 1;
    if (nspecs == 0) {
        specs = default_matrix;
        nspecs = (int)(sizeof default_matrix / sizeof default_matrix[0]);
    }
    const char *scale_s = getenv("BENCH_ASYNC_SCALE");
    double scale = scale_s ? atof(scale_s) : 1.0;
    for (int i = 0; i < nspecs; i++) {
        char mixs[16];
        long window, total;
        int conns;
        if (sscanf(specs[i], "%15[a-z]:%ld:%d:%ld", mixs, &window, &conns, &total) != 4 || parse_mix(mixs) < 0 ||
            conns < 1 || window < 0 || total < conns) {
            fprintf(stderr, "async: bad phase '%s' (mix:inflight:conns:total)\n", specs[i]);
            return 2;
        }
        if (scale > 0 && scale != 1.0) total = (long)((double)total * scale) < conns ? conns : (long)((double)total * scale);
        if (run_phase(parse_mix(mixs), window, conns, total, &wall, &cpu, NULL) != 0) return 1;
        char cname[64];
        if (window > 0) snprintf(cname, sizeof cname, "%s/if%ld/c%d", mixs, window, conns);
        else snprintf(cname, sizeof cname, "%s/ifall/c%d", mixs, conns);
        bl_result(BENCH_PROG, cname, "cmds_per_s", (double)total / wall);
        bl_result(BENCH_PROG, cname, "cpu_ns_per_cmd", cpu * 1e9 / (double)total);
        if (window == 1) bl_latency_results(BENCH_PROG, cname, last_lat, last_nlat);
    }
    return 0;
}
