/* A master killed (kill -9, by its pidfile from the harness) while commands run: commands for
 * its slots fail with a connection error (never a wrong reply), and service comes back through
 * the promoted replica, with the value written before the kill. Runs on its own fresh cluster. */
#include "cluster_test.h"

#include <signal.h>

int main(void) {
    const char *seed = tl_env("CLUSTER_SEED", "127.0.0.1:7000");
    const char *dir = tl_env("CLUSTER_DIR", ".");
    redisClusterContext *cc = cl_connect(seed, 0);
    CHECK(cc->err == 0, "connect: %s", cc->errstr);
    struct timeval tv = {1, 0};
    redisClusterSetOptionTimeout(cc, tv);
    redisClusterSetOptionConnectTimeout(cc, tv);

    redisReply *r = redisClusterCommand(cc, "SET foo before");
    CHECK(cl_is_status(r, "OK"), "SET foo");
    freeReplyObject(r);
    redisClusterNode *owner = redisClusterGetNodeByKey(cc, (char *)"foo");
    int dead_port = owner->port;
    r = redisClusterCommandToNode(cc, owner, "WAIT 1 2000");
    CHECK(cl_is_int(r, 1), "replicated to one replica");
    freeReplyObject(r);
    /* The other master's key, to show the rest of the cluster keeps working. */
    char other_key[16] = "";
    for (int i = 0; other_key[0] == 0; i++) {
        char k[16];
        snprintf(k, sizeof k, "o%d", i);
        if (redisClusterGetNodeByKey(cc, k) != owner) memcpy(other_key, k, sizeof k);
    }

    char pidfile[512];
    snprintf(pidfile, sizeof pidfile, "%s/node-%d.pid", dir, dead_port);
    FILE *f = fopen(pidfile, "r");
    long pid = 0;
    CHECK(f && fscanf(f, "%ld", &pid) == 1 && pid > 0, "pidfile %s", pidfile);
    if (f) fclose(f);
    CHECK(pid > 0 && kill((pid_t)pid, SIGKILL) == 0, "kill -9 the master on port %d", dead_port);

    SECTION("until the replica takes over");
    int errors = 0, wrong = 0, recovered = 0, other_ok = 0;
    double t0 = cl_now();
    while (cl_now() - t0 < 40) {
        r = redisClusterCommand(cc, "GET foo");
        if (r == NULL) {
            errors++;
            if (cc->err == 0 || cc->errstr[0] == 0) wrong++;
        } else if (cl_is_str(r, "before")) {
            recovered = 1;
        } else if (!(r->type == REDIS_REPLY_ERROR && strncmp(r->str, "CLUSTERDOWN", 11) == 0)) {
            wrong++;
        }
        freeReplyObject(r);
        if (recovered) break;
        redisReply *o = redisClusterCommand(cc, "SET %s x", other_key);
        other_ok += o && o->type == REDIS_REPLY_STATUS;
        freeReplyObject(o);
        usleep(100000);
    }
    printf("recovered after %.1f s, %d failed calls\n", cl_now() - t0, errors);
    CHECK(recovered, "GET foo served again");
    CHECK(errors > 0 && wrong == 0, "%d calls failed with an error, %d wrong results", errors, wrong);
    CHECK(cc->table[redisClusterGetSlotByKey((char *)"foo")]->port != dead_port, "slot moved off the dead node");
    r = redisClusterCommand(cc, "SET foo after");
    CHECK(cl_is_status(r, "OK") && cc->err == 0, "writes work");
    freeReplyObject(r);
    CHECK(other_ok > 0, "the other masters kept serving (%d)", other_ok);
    redisClusterFree(cc);
    return tl_done();
}
