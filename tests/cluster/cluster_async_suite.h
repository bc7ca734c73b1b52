/* The scenario every cluster adapter runs, on the loop of cluster_adapter.h (which a program
 * built per adapter includes first, with -DCL_ADAPTER_<NAME>): attach, Connect2 in the loop until
 * READY, SET and GET over all masters with each callback once and its own reply, then a
 * disconnect that delivers the pending reply first. A program calls run_cluster_async_suite()
 * from main() between cl_loop_init() and cl_loop_free() and ends with `return tl_done();`.
 * SUITE_PREPARE(acc), if defined, runs on the new context before it is attached (the TLS
 * program enables TLS there) and SUITE_NAME names the keys and sections (default: ADAPTER_NAME).
 *
 * Unless SUITE_NO_MIGRATION is defined (a cluster whose ports plain hiredis cannot reach), the
 * suite also migrates a slot of its own (of the hash tag {SUITE_NAME:mig}) to another master
 * while commands run: GETs and a SET followed through ASK mid-migration (slot map unchanged), a
 * same-slot MGET over keys on both sides getting TRYAGAIN until its retries run out (NULL with
 * "too many cluster retries"), then GETs followed through MOVED once the slot is reassigned (slot
 * map fixed); every callback once with its own reply. The slot is moved back at the end. It also
 * routes over all 16384 slots first (every 16th under valgrind): a SET and a GET of a key per slot,
 * each GET's callback once with its own value, no slot-map update (the throttle open), the table
 * agreeing with the servers' CLUSTER SLOTS. */
#ifndef HIREDIS_RS_CLUSTER_ASYNC_SUITE_H
#define HIREDIS_RS_CLUSTER_ASYNC_SUITE_H

#include "cluster_adapter.h"

#ifndef SUITE_NAME
#define SUITE_NAME ADAPTER_NAME
#endif

static int suite_ready, suite_updates, suite_pending, suite_disc_ok, suite_calls[512], suite_good[512];

static void suite_event(const redisClusterContext *cc, int event, void *privdata) {
    (void)cc; (void)privdata;
    if (event == HIRCLUSTER_EVENT_READY) suite_ready++;
    if (event == HIRCLUSTER_EVENT_SLOTMAP_UPDATED) suite_updates++;
}
static void suite_disconnected(const redisAsyncContext *ac, int status) {
    (void)ac;
    suite_disc_ok += status == REDIS_OK;
}
static void suite_reply(redisClusterAsyncContext *acc, void *r, void *privdata) {
    (void)acc;
    long i = (long)privdata;
    char want[32];
    snprintf(want, sizeof want, "%s%ld", SUITE_NAME, i % 256);
    suite_calls[i]++;
    suite_good[i] += i < 256 ? cl_is_status(r, "OK") : cl_is_str(r, want);
    suite_pending--;
}

#ifndef SUITE_NO_MIGRATION
#define MIG_KEYS 20
/* mig_calls[i], mig_good[i]: GET of key i (0..MIG_KEYS-1), then the SET of a new key, then the
 * MGET over both sides. */
static int mig_calls[MIG_KEYS + 2], mig_good[MIG_KEYS + 2], mig_pending;
static char mig_err[128];
static void mig_reply(redisClusterAsyncContext *acc, void *r, void *privdata) {
    long i = (long)privdata;
    char want[64];
    snprintf(want, sizeof want, "%s-mv%ld", SUITE_NAME, i);
    mig_calls[i]++;
    if (i < MIG_KEYS) mig_good[i] += cl_is_str(r, want);
    else if (i == MIG_KEYS) mig_good[i] += cl_is_status(r, "OK");
    else {
        mig_good[i] += r == NULL;
        snprintf(mig_err, sizeof mig_err, "%s", acc->errstr);
    }
    mig_pending--;
}
static int mig_all_once(int n) {
    int ok = 0;
    for (int i = 0; i < n; i++) ok += mig_calls[i] == 1 && mig_good[i] == 1;
    memset(mig_calls, 0, sizeof mig_calls);
    memset(mig_good, 0, sizeof mig_good);
    return ok;
}
static void mig_gets(redisClusterAsyncContext *acc) {
    for (long i = 0; i < MIG_KEYS; i++) {
        mig_pending++;
        if (redisClusterAsyncCommand(acc, mig_reply, (void *)i, "GET {%s:mig}%ld", SUITE_NAME, i) != REDIS_OK)
            mig_pending--;
    }
}

static int suite_slot_once[16384], suite_slot_right[16384], suite_slot_pending;
static void suite_slot_reply(redisClusterAsyncContext *acc, void *r, void *privdata) {
    (void)acc;
    long s = (long)privdata;
    char want[32];
    snprintf(want, sizeof want, "%s%ld", SUITE_NAME, s);
    suite_slot_once[s]++;
    suite_slot_right[s] += cl_is_str(r, want);
    suite_slot_pending--;
}

static void suite_all_slots(redisClusterAsyncContext *acc) {
    static int owners[16384];
    SECTION(SUITE_NAME ": routing over all 16384 slots");
    char (*keys)[16] = cl_keys_per_slot();
    usleep(1100000); /* past the throttle of slot-map updates: a MOVED would cause one */
    int step = tl_under_valgrind() ? 16 : 1, sent = 0, submitted = 0, before = suite_updates;
    for (long s = 0; s < 16384; s += step) {
        sent += redisClusterAsyncCommand(acc, NULL, NULL, "SET %s %s%ld", keys[s], SUITE_NAME, s) == REDIS_OK;
        suite_slot_pending++;
        if (redisClusterAsyncCommand(acc, suite_slot_reply, (void *)s, "GET %s", keys[s]) == REDIS_OK) submitted++;
        else suite_slot_pending--;
    }
    CHECK(sent == 16384 / step && submitted == 16384 / step, "submitted (%d, %d)", sent, submitted);
    double end = cl_now() + 30;
    while (suite_slot_pending > 0 && cl_now() < end) cl_step();
    int once = 0;
    for (int s = 0; s < 16384; s += step) once += suite_slot_once[s] == 1 && suite_slot_right[s] == 1;
    CHECK(suite_slot_pending == 0 && once == 16384 / step, "%d of %d called once with their value", once, 16384 / step);
    CHECK(suite_updates == before, "no slot-map update (%d)", suite_updates - before);
    cl_slot_ports(tl_env("CLUSTER_SEED", "127.0.0.1:7000"), owners);
    int agree = 0;
    for (int s = 0; s < 16384; s++) agree += acc->cc->table[s] && acc->cc->table[s]->port == owners[s];
    CHECK(agree == 16384, "the table agrees with CLUSTER SLOTS on %d slots", agree);
}

static void suite_migration(redisClusterAsyncContext *acc) {
    char tag[64], masters[3][64], src[64] = "", dst[64] = "";
    snprintf(tag, sizeof tag, "%s:mig", SUITE_NAME);
    int slot = redisClusterGetSlotByKey(tag), nmasters = 0;
    redisClusterNodeIterator it;
    redisClusterNode *n;
    redisClusterInitNodeIterator(&it, acc->cc);
    while ((n = redisClusterNodeNext(&it)) != NULL && nmasters < 3) snprintf(masters[nmasters++], 64, "%s", n->addr);
    snprintf(src, sizeof src, "%s", acc->cc->table[slot]->addr);
    for (int i = 0; i < nmasters; i++) if (strcmp(masters[i], src) != 0) snprintf(dst, sizeof dst, "%s", masters[i]);
    int src_port = atoi(strrchr(src, ':') + 1), dst_port = atoi(strrchr(dst, ':') + 1);

    SECTION(SUITE_NAME ": a slot migrated while commands run (ASK, TRYAGAIN, MOVED)");
    redisContext *rs = cl_raw(src), *rd = cl_raw(dst);
    for (long i = 0; i < MIG_KEYS; i++) {
        redisReply *r = redisCommand(rs, "SET {%s}%ld %s-mv%ld", tag, i, SUITE_NAME, i);
        freeReplyObject(r);
    }
    char *src_id = cl_node_id(rs), *dst_id = cl_node_id(rd);
    CHECK(cl_ok(redisCommand(rd, "CLUSTER SETSLOT %d IMPORTING %s", slot, src_id)) &&
          cl_ok(redisCommand(rs, "CLUSTER SETSLOT %d MIGRATING %s", slot, dst_id)), "slot %d: %s -> %s", slot, src, dst);
    /* GETs in flight while half the keys move: each is served by the source or, once its key
     * has moved, through ASK by the destination. */
    mig_gets(acc);
    cl_step();
    CHECK(cl_migrate_keys(rs, slot, dst_port, MIG_KEYS / 2) == MIG_KEYS / 2, "MIGRATE half the keys");
    cl_run_until_eq(&mig_pending, 0, 10);
    CHECK(mig_all_once(MIG_KEYS) == MIG_KEYS, "GETs mid-migration: each called once, right value");
    mig_gets(acc);
    mig_pending++;
    if (redisClusterAsyncCommand(acc, mig_reply, (void *)(long)MIG_KEYS, "SET {%s}new %s-new", tag, SUITE_NAME) != REDIS_OK)
        mig_pending--;
    cl_run_until_eq(&mig_pending, 0, 10);
    CHECK(mig_all_once(MIG_KEYS + 1) == MIG_KEYS + 1, "GETs through ASK and a new key's SET: each once, right reply");
    CHECK(acc->cc->table[slot] && acc->cc->table[slot]->port == src_port, "ASK leaves the slot map alone");
    freeReplyObject(redisCommand(rd, "ASKING"));
    redisReply *r = redisCommand(rd, "GET {%s}new", tag);
    char want[64];
    snprintf(want, sizeof want, "%s-new", SUITE_NAME);
    CHECK(cl_is_str(r, want), "the new key is on the destination");
    freeReplyObject(r);

    /* Keys on both sides: TRYAGAIN from the source until the retries run out. */
    long k_src = -1, k_dst = -1;
    for (long i = 0; i < MIG_KEYS; i++) {
        r = redisCommand(rs, "EXISTS {%s}%ld", tag, i);
        if (cl_is_int(r, 1)) k_src = i; else k_dst = i;
        freeReplyObject(r);
    }
    mig_pending = 1;
    CHECK(redisClusterAsyncCommand(acc, mig_reply, (void *)(long)(MIG_KEYS + 1), "MGET {%s}%ld {%s}%ld", tag, k_src,
                                   tag, k_dst) == REDIS_OK, "MGET over both sides submitted");
    cl_run_until_eq(&mig_pending, 0, 10);
    CHECK(mig_calls[MIG_KEYS + 1] == 1 && mig_good[MIG_KEYS + 1] == 1 && strcmp(mig_err, "too many cluster retries") == 0,
          "MGET: NULL once after TRYAGAIN (%d calls, %s)", mig_calls[MIG_KEYS + 1], mig_err);
    memset(mig_calls, 0, sizeof mig_calls);
    memset(mig_good, 0, sizeof mig_good);

    /* The rest moves and the slot is reassigned: MOVED. */
    mig_gets(acc);
    cl_step();
    CHECK(cl_migrate_keys(rs, slot, dst_port, -1) >= 1, "MIGRATE the rest");
    CHECK(cl_ok(redisCommand(rd, "CLUSTER SETSLOT %d NODE %s", slot, dst_id)) &&
          cl_assign_slot(slot, dst_id, masters, nmasters) == nmasters, "slot given to the destination");
    cl_run_until_eq(&mig_pending, 0, 10);
    CHECK(mig_all_once(MIG_KEYS) == MIG_KEYS, "GETs in flight meanwhile: each once, right value");
    mig_gets(acc);
    cl_run_until_eq(&mig_pending, 0, 10);
    CHECK(mig_all_once(MIG_KEYS) == MIG_KEYS, "GETs through MOVED: each once, right value");
    CHECK(acc->cc->table[slot] && acc->cc->table[slot]->port == dst_port, "slot map now names the destination");
    mig_gets(acc);
    cl_run_until_eq(&mig_pending, 0, 10);
    CHECK(mig_all_once(MIG_KEYS) == MIG_KEYS, "GETs after: each once, right value");

    CHECK(cl_move_slot(slot, dst, src, masters, nmasters), "slot moved back");
    free(src_id);
    free(dst_id);
    redisFree(rs);
    redisFree(rd);
}
#endif

static void run_cluster_async_suite(void) {
    const char *seed = tl_env("CLUSTER_SEED", "127.0.0.1:7000");
    SECTION(SUITE_NAME ": attach and Connect2");
    CHECK(cl_adapter_attach(NULL) == REDIS_ERR, "attach(NULL) fails");
    redisClusterAsyncContext *acc = redisClusterAsyncContextInit();
    redisClusterSetOptionAddNodes(acc->cc, seed);
    redisClusterSetEventCallback(acc->cc, suite_event, NULL);
    redisClusterAsyncSetDisconnectCallback(acc, suite_disconnected);
#ifdef SUITE_PREPARE
    SUITE_PREPARE(acc);
#endif
    CHECK(cl_adapter_attach(acc) == REDIS_OK && acc->adapter != NULL && acc->attach_fn != NULL, "attach");
    CHECK(redisClusterAsyncConnect2(acc) == REDIS_OK, "Connect2: %s", acc->errstr);
    CHECK(cl_run_until_eq(&suite_ready, 1, 10), "READY");

    SECTION(SUITE_NAME ": SET and GET over all masters");
    for (long i = 0; i < 256; i++) {
        suite_pending++;
        if (redisClusterAsyncCommand(acc, suite_reply, (void *)i, "SET %sk%ld %s%ld", SUITE_NAME, i, SUITE_NAME, i) != REDIS_OK)
            suite_pending--;
    }
    for (long i = 0; i < 256; i++) {
        suite_pending++;
        if (redisClusterAsyncCommand(acc, suite_reply, (void *)(256 + i), "GET %sk%ld", SUITE_NAME, i) != REDIS_OK)
            suite_pending--;
    }
    CHECK(suite_pending == 512, "submitted");
    cl_run_until_eq(&suite_pending, 0, 20);
    int once = 0, good = 0;
    for (int i = 0; i < 512; i++) {
        once += suite_calls[i] == 1;
        good += suite_good[i] == 1;
    }
    CHECK(once == 512 && good == 512, "%d called once, %d right", once, good);

#ifndef SUITE_NO_MIGRATION
    suite_all_slots(acc);
    suite_migration(acc);
#endif

    SECTION(SUITE_NAME ": disconnect");
    suite_pending = 1;
    CHECK(redisClusterAsyncCommand(acc, suite_reply, (void *)256L, "GET %sk0", SUITE_NAME) == REDIS_OK, "GET");
    redisClusterAsyncDisconnect(acc);
    CHECK(cl_run_until_eq(&suite_pending, 0, 5) && suite_calls[256] == 2 && suite_good[256] == 2, "pending reply delivered");
    CHECK(cl_run_until_eq(&suite_disc_ok, 3, 5), "3 disconnect callbacks (%d)", suite_disc_ok);
    cl_async_free(acc);
}

#endif
