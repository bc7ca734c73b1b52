/* A master killed (kill -9) while async commands are in flight, on each cluster adapter
 * (cluster_adapter.h): every callback is called exactly once, no reply reaches the wrong callback
 * (each GET's privdata names the key it asked for), commands for the dead master's slots fail
 * with NULL and an error text, and service comes back through the promoted replica. Run alone,
 * the program kills the master itself (by the pid in its pidfile); under the cluster harness the
 * builds for every adapter run at once with CLUSTER_FAILOVER_DIR set: each writes
 * ready-<adapter> there (the port to kill) once it has commands in flight, and the harness kills
 * that master and writes "killed" when all are ready. */
#include "cluster_adapter.h"

#include <signal.h>

#define MAXCMD 20000
static redisClusterAsyncContext *acc;
static int calls[MAXCMD], refused[MAXCMD], submitted, nulls, wrong, ok_after_kill, killed, stop;
static long dead_pid;
static int dead_port;
static const char *sync_dir; /* CLUSTER_FAILOVER_DIR, or NULL: kill it ourselves */
static double t_kill, t_recovered;
static char keys[2][16] = {"foo", ""}; /* foo on the master to kill, keys[1] elsewhere */

static void on_reply(redisClusterAsyncContext *a, void *r, void *privdata) {
    long id = (long)privdata;
    redisReply *reply = r;
    calls[id]++;
    if (reply == NULL) {
        nulls++;
        if (a->err == 0 || a->errstr[0] == 0) wrong++;
    } else if (reply->type == REDIS_REPLY_STRING) {
        /* The value of each key is the key's own name: a crossed reply would show. */
        if (strcmp(reply->str, keys[id % 2]) != 0) wrong++;
        else if (killed && id % 2 == 0 && ++ok_after_kill == 1) t_recovered = cl_now();
    } else if (!(reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "CLUSTERDOWN", 11) == 0)) {
        wrong++;
    }
}

/* Under the harness's group: says ready (once), then whether the master is dead yet. */
static int harness_killed(void) {
    static int announced;
    char path[512];
    if (!announced) {
        snprintf(path, sizeof path, "%s/ready-" ADAPTER_NAME, sync_dir);
        FILE *f = fopen(path, "w");
        if (f) {
            fprintf(f, "%d\n", dead_port);
            fclose(f);
        }
        announced = 1;
    }
    snprintf(path, sizeof path, "%s/killed", sync_dir);
    return access(path, F_OK) == 0;
}

/* Every 20 ms of the loop: two more GETs, the kill after 40. */
static void submit(void) {
    if (!stop && submitted + 2 < MAXCMD) {
        for (int k = 0; k < 2; k++) {
            long id = submitted++;
            /* Refused at once (e.g. the slot's node cannot be connected): no callback may come. */
            if (redisClusterAsyncCommand(acc, on_reply, (void *)id, "GET %s", keys[id % 2]) != REDIS_OK) refused[id] = 1;
        }
        if (!killed && submitted >= 40) {
            if (sync_dir == NULL) {
                kill((pid_t)dead_pid, SIGKILL);
                killed = 1;
            } else {
                killed = harness_killed();
            }
            if (killed) t_kill = cl_now();
        }
        if (killed && (ok_after_kill >= 5 || cl_now() - t_kill > 40)) stop = 1;
    }
}

int main(void) {
    const char *seed = tl_env("CLUSTER_SEED", "127.0.0.1:7000");
    const char *dir = tl_env("CLUSTER_DIR", ".");
    sync_dir = getenv("CLUSTER_FAILOVER_DIR");
    cl_loop_init();
    acc = redisClusterAsyncConnect(seed, 0);
    CHECK(acc && acc->err == 0, "connect: %s", acc ? acc->errstr : "OOM");
    struct timeval tv = {1, 0};
    redisClusterSetOptionTimeout(acc->cc, tv);
    redisClusterSetOptionConnectTimeout(acc->cc, tv);
    cl_adapter_attach(acc);

    /* Each key holds its own name; foo's value is replicated before the kill. */
    redisClusterContext *cc = cl_connect(seed, 0);
    redisClusterNode *owner = redisClusterGetNodeByKey(cc, (char *)"foo");
    dead_port = owner->port;
    for (int i = 0; keys[1][0] == 0; i++) {
        char k[16];
        snprintf(k, sizeof k, "o%d", i);
        if (redisClusterGetNodeByKey(cc, k) != owner) memcpy(keys[1], k, sizeof k);
    }
    for (int k = 0; k < 2; k++) freeReplyObject(redisClusterCommand(cc, "SET %s %s", keys[k], keys[k]));
    redisReply *r = redisClusterCommandToNode(cc, owner, "WAIT 1 2000");
    CHECK(cl_is_int(r, 1), "foo replicated");
    freeReplyObject(r);
    redisClusterFree(cc);
    char pidfile[512];
    snprintf(pidfile, sizeof pidfile, "%s/node-%d.pid", dir, dead_port);
    FILE *f = fopen(pidfile, "r");
    CHECK(f && fscanf(f, "%ld", &dead_pid) == 1 && dead_pid > 0, "pidfile");
    if (f) fclose(f);

    /* 60 s for the harness to see every program ready, 40 for service to come back. */
    for (double end = cl_now() + 100; !stop && cl_now() < end;) {
        submit();
        cl_run_for(0.02);
    }
    cl_run_for(2); /* let the last replies arrive */

    int once = 0, nrefused = 0;
    for (int i = 0; i < submitted; i++) {
        once += refused[i] ? calls[i] == 0 : calls[i] == 1;
        nrefused += refused[i];
    }
    printf(ADAPTER_NAME ": %d commands (%d refused at submission), %d NULL replies, recovered %.1f s after the kill\n", submitted, nrefused, nulls,
           t_recovered > 0 ? t_recovered - t_kill : -1.0);
    CHECK(killed && ok_after_kill >= 5, "service back after the failover (%d GET foo ok)", ok_after_kill);
    CHECK(once == submitted, "every callback exactly once (%d of %d)", once, submitted);
    CHECK(wrong == 0, "no reply for another command, no NULL without an error (%d)", wrong);
    CHECK(nulls > 0, "commands in flight to the dead master failed (%d)", nulls);
    cl_async_free(acc);
    cl_loop_free();
    return tl_done();
}
