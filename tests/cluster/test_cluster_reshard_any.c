/* A node added to the running main cluster and given slots, then removed, with a sync context and
 * an async one (on each cluster adapter, cluster_adapter.h) in use throughout: a spare node the
 * harness starts for this program (CLUSTER_SPARE) joins by CLUSTER MEET, three slots with their
 * keys move to it (SETSLOT IMPORTING / MIGRATING, MIGRATE, SETSLOT NODE); both contexts follow
 * MOVED to it, their slot maps name it, every async callback once with its own reply. Then the
 * slots move back, every other node FORGETs it and its process is stopped: both contexts keep
 * serving every key, their maps no longer name it. */
#include "cluster_adapter.h"

#include <signal.h>

#define NSLOTS 3
#define KEYS_PER_SLOT 10

static int ready;
static void on_event(const redisClusterContext *cc, int event, void *privdata) {
    (void)cc; (void)privdata;
    if (event == HIRCLUSTER_EVENT_READY) ready++;
}
#define run_until cl_run_until

static char tags[NSLOTS][16];
static int slots[NSLOTS];
static int calls[NSLOTS * KEYS_PER_SLOT], good[NSLOTS * KEYS_PER_SLOT], done;
static void on_get(redisClusterAsyncContext *acc, void *r, void *privdata) {
    (void)acc;
    long i = (long)privdata;
    char want[32];
    snprintf(want, sizeof want, "rv%ld", i);
    calls[i]++;
    good[i] += cl_is_str(r, want);
    done++;
}

/* Every key through the sync context: how many had the right value. */
static int sync_all(redisClusterContext *cc) {
    int ok = 0;
    for (int i = 0; i < NSLOTS * KEYS_PER_SLOT; i++) {
        char want[32];
        snprintf(want, sizeof want, "rv%d", i);
        redisReply *r = redisClusterCommand(cc, "GET {%s}%d", tags[i / KEYS_PER_SLOT], i);
        ok += cl_is_str(r, want);
        freeReplyObject(r);
    }
    return ok;
}

/* Every key through the async context: how many were called back once with the right value. */
static int async_all(redisClusterAsyncContext *acc) {
    int n = NSLOTS * KEYS_PER_SLOT, sent = 0, ok = 0;
    memset(calls, 0, sizeof calls);
    memset(good, 0, sizeof good);
    done = 0;
    for (long i = 0; i < n; i++)
        sent += redisClusterAsyncCommand(acc, on_get, (void *)i, "GET {%s}%ld", tags[i / KEYS_PER_SLOT], i) == REDIS_OK;
    run_until(&done, sent, 10);
    for (int i = 0; i < n; i++) ok += calls[i] == 1 && good[i] == 1;
    return ok;
}

/* How many of the moved slots the table gives to the node at `port` (0: to none). */
static int slots_on(redisClusterNode **table, int port) {
    int n = 0;
    for (int i = 0; i < NSLOTS; i++) n += table && table[slots[i]] && table[slots[i]]->port == port;
    return n;
}
static int masters_of(redisClusterContext *cc, int port, int *has_port) {
    redisClusterNodeIterator it;
    redisClusterNode *node;
    int n = 0;
    *has_port = 0;
    redisClusterInitNodeIterator(&it, cc);
    while ((node = redisClusterNodeNext(&it)) != NULL) {
        n++;
        *has_port |= node->port == port;
    }
    return n;
}

/* Until CLUSTER NODES of every address lists `id` as connected (or 15 s). */
static int wait_known(char addrs[][64], int n, const char *id) {
    for (int tries = 0; tries < 150; tries++) {
        int known = 0;
        for (int i = 0; i < n; i++) {
            redisContext *c = cl_raw(addrs[i]);
            redisReply *r = c && c->err == 0 ? redisCommand(c, "CLUSTER NODES") : NULL;
            const char *line = r && r->type == REDIS_REPLY_STRING ? strstr(r->str, id) : NULL;
            const char *eol = line ? strchr(line, '\n') : NULL;
            if (line && eol) {
                char buf[512];
                snprintf(buf, sizeof buf, "%.*s", (int)(eol - line), line);
                known += strstr(buf, " connected") != NULL;
            }
            freeReplyObject(r);
            if (c) redisFree(c);
        }
        if (known == n) return 1;
        usleep(100000);
    }
    return 0;
}

/* Until CLUSTER NODES of addr lists `n` connected nodes and its CLUSTER INFO says
 * cluster_state:ok (it has heard of every slot's owner), or 15 s. */
static int wait_count(const char *addr, int n) {
    for (int tries = 0; tries < 150; tries++) {
        redisContext *c = cl_raw(addr);
        redisReply *r = c && c->err == 0 ? redisCommand(c, "CLUSTER NODES") : NULL;
        int count = 0;
        for (const char *p = r && r->type == REDIS_REPLY_STRING ? r->str : ""; (p = strstr(p, " connected")) != NULL; p++)
            count++;
        freeReplyObject(r);
        r = c && c->err == 0 ? redisCommand(c, "CLUSTER INFO") : NULL;
        int ok = r && r->type == REDIS_REPLY_STRING && strstr(r->str, "cluster_state:ok") != NULL;
        freeReplyObject(r);
        if (c) redisFree(c);
        if (count == n && ok) return 1;
        usleep(100000);
    }
    return 0;
}

int main(void) {
    const char *seed = tl_env("CLUSTER_SEED", "127.0.0.1:7000");
    const char *spare = tl_env("CLUSTER_SPARE", "127.0.0.1:7006");
    int spare_port = atoi(strrchr(spare, ':') + 1);
    cl_loop_init();

    redisClusterContext *cc = cl_connect(seed, 0);
    CHECK(cc->err == 0, "sync context: %s", cc->errstr);
    redisClusterAsyncContext *acc = redisClusterAsyncContextInit();
    redisClusterSetOptionAddNodes(acc->cc, seed);
    redisClusterSetEventCallback(acc->cc, on_event, NULL);
    cl_adapter_attach(acc);
    CHECK(redisClusterAsyncConnect2(acc) == REDIS_OK && run_until(&ready, 1, 10), "async READY");

    /* Three slots (of tags {rs0}, {rs1}, ...) with keys; the masters; every node of the cluster. */
    char masters[4][64], all[8][64];
    int nmasters = 0, nall = 0, was;
    redisClusterNodeIterator it;
    redisClusterNode *node;
    redisClusterInitNodeIterator(&it, cc);
    while ((node = redisClusterNodeNext(&it)) != NULL && nmasters < 3) snprintf(masters[nmasters++], 64, "%s", node->addr);
    const char *ports = tl_env("CLUSTER_PORTS", "");
    for (const char *p = ports; *p && nall < 6;) {
        snprintf(all[nall++], 64, "127.0.0.1:%d", atoi(p));
        p += strcspn(p, " ");
        p += strspn(p, " ");
    }
    CHECK(nmasters == 3 && nall == 6, "3 masters, 6 nodes (%d, %d)", nmasters, nall);
    char owners[NSLOTS][64];
    for (int s = 0; s < NSLOTS; s++) {
        snprintf(tags[s], sizeof tags[s], "rs%d", s);
        slots[s] = redisClusterGetSlotByKey(tags[s]);
        snprintf(owners[s], 64, "%s", cc->table[slots[s]]->addr);
    }
    int set_ok = 0;
    for (int i = 0; i < NSLOTS * KEYS_PER_SLOT; i++) {
        redisReply *r = redisClusterCommand(cc, "SET {%s}%d rv%d", tags[i / KEYS_PER_SLOT], i, i);
        set_ok += cl_is_status(r, "OK");
        freeReplyObject(r);
    }
    CHECK(set_ok == NSLOTS * KEYS_PER_SLOT, "keys written (%d)", set_ok);

    SECTION(ADAPTER_NAME ": a node added (CLUSTER MEET) and given three slots");
    redisContext *rspare = cl_raw(spare), *rseed = cl_raw(seed);
    char *spare_id = cl_node_id(rspare);
    redisReply *r = redisCommand(rspare, "CONFIG GET cluster-port"); /* its bus port: not port + 10000 here */
    int bus = r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 ? atoi(r->element[1]->str) : 0;
    freeReplyObject(r);
    CHECK(cl_ok(redisCommand(rseed, "CLUSTER MEET 127.0.0.1 %d %d", spare_port, bus)), "MEET (bus port %d)", bus);
    CHECK(wait_known(all, nall, spare_id) && wait_count(spare, nall + 1), "every node knows it, it knows every node");
    snprintf(masters[nmasters], 64, "%s", spare);
    int moved = 0;
    for (int s = 0; s < NSLOTS; s++) moved += cl_move_slot(slots[s], owners[s], spare, masters, nmasters + 1);
    CHECK(moved == NSLOTS, "slots %d, %d, %d moved to it (%d)", slots[0], slots[1], slots[2], moved);
    uint64_t version = cc->route_version;
    CHECK(sync_all(cc) == NSLOTS * KEYS_PER_SLOT, "sync: every key served");
    CHECK(cc->route_version > version && slots_on(cc->table, spare_port) == NSLOTS, "sync: slot map updated (%d of %d)",
          slots_on(cc->table, spare_port), NSLOTS);
    CHECK(masters_of(cc, spare_port, &was) == 4 && was, "sync: 4 masters, the new one among them");
    CHECK(async_all(acc) == NSLOTS * KEYS_PER_SLOT, "async: every key served, each callback once");
    CHECK(slots_on(acc->cc->table, spare_port) == NSLOTS, "async: the table names the new node");
    usleep(1100000); /* the async update after MOVED may have been throttled: now one runs */
    CHECK(async_all(acc) == NSLOTS * KEYS_PER_SLOT && slots_on(acc->cc->table, spare_port) == NSLOTS,
          "async: served again, map still right");

    SECTION(ADAPTER_NAME ": the node's slots moved back");
    moved = 0;
    /* Without the spare among the nodes told: once its last slot is gone, Redis 7 makes it a
     * replica of the new owner (cluster-allow-replica-migration), and replicas refuse SETSLOT
     * (cl_move_slot allows that refusal from the source). */
    for (int s = 0; s < NSLOTS; s++) moved += cl_move_slot(slots[s], spare, owners[s], masters, nmasters);
    CHECK(moved == NSLOTS, "slots moved back (%d)", moved);
    CHECK(sync_all(cc) == NSLOTS * KEYS_PER_SLOT && slots_on(cc->table, spare_port) == 0, "sync: every key served");
    CHECK(masters_of(cc, spare_port, &was) == 3 && !was, "sync: 3 masters in the map again");
    usleep(1100000);
    CHECK(async_all(acc) == NSLOTS * KEYS_PER_SLOT && slots_on(acc->cc->table, spare_port) == 0,
          "async: every key served, each callback once");

    SECTION(ADAPTER_NAME ": the node forgotten and stopped");
    int forgot = 0;
    for (int i = 0; i < nall; i++) {
        redisContext *c = cl_raw(all[i]);
        forgot += c && c->err == 0 && cl_ok(redisCommand(c, "CLUSTER FORGET %s", spare_id));
        if (c) redisFree(c);
    }
    CHECK(forgot == nall, "FORGET on every other node (%d)", forgot);
    char pidpath[600];
    snprintf(pidpath, sizeof pidpath, "%s/node-%d.pid", tl_env("CLUSTER_SPARE_DIR", "."), spare_port);
    FILE *pf = fopen(pidpath, "r");
    int pid = 0;
    if (pf && fscanf(pf, "%d", &pid) != 1) pid = 0;
    if (pf) fclose(pf);
    redisFree(rspare);
    CHECK(pid > 0 && kill(pid, SIGTERM) == 0, "stopped (pid %d)", pid);
    for (int i = 0; i < 100 && pid > 0 && kill(pid, 0) == 0; i++) usleep(50000);
    CHECK(pid > 0 && kill(pid, 0) != 0, "gone");
    CHECK(sync_all(cc) == NSLOTS * KEYS_PER_SLOT, "sync: every key served");
    CHECK(redisClusterUpdateSlotmap(cc) == REDIS_OK && masters_of(cc, spare_port, &was) == 3 && !was,
          "sync: a fresh slot map without it");
    CHECK(async_all(acc) == NSLOTS * KEYS_PER_SLOT, "async: every key served, each callback once");
    int sent = 0;
    done = 0;
    memset(calls, 0, sizeof calls);
    memset(good, 0, sizeof good);
    for (long i = 0; i < 200; i++) /* every master, many slots */
        sent += redisClusterAsyncCommand(acc, on_get, (void *)0L, "GET {%s}0", tags[0]) == REDIS_OK &&
                redisClusterAsyncCommand(acc, NULL, NULL, "SET after-rm%ld x", i) == REDIS_OK;
    CHECK(sent == 200 && run_until(&done, 200, 10) && calls[0] == 200 && good[0] == 200,
          "async: 200 more GETs each answered (%d)", good[0]);
    masters_of(acc->cc, spare_port, &was);
    CHECK(!was, "async: the map no longer names it");

    free(spare_id);
    redisFree(rseed);
    cl_async_free(acc);
    redisClusterFree(cc);
    cl_loop_free();
    return tl_done();
}
