/* Many async connections on one loop, then a killed server with thousands of commands
 * pending (each callback exactly once with NULL, then onDisconnect(REDIS_ERR)).
 * This program kills its redis-server at the end. */
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>
#include <unistd.h>

#include "testlib.h"
#include "test_async_loop.h"

static const char *host;
static int port;

#define NCONN 1000

static int connected, replies_ok, replies_bad, disconnected_ok, disconnected_bad;

static void many_connect(const redisAsyncContext *ac, int status) {
    (void)ac;
    if (status == REDIS_OK) connected++;
}
static void many_disconnect(const redisAsyncContext *ac, int status) {
    (void)ac;
    if (status == REDIS_OK) disconnected_ok++;
    else disconnected_bad++;
}
static void many_reply(redisAsyncContext *ac, void *r, void *priv) {
    redisReply *reply = r;
    long i = (long)(intptr_t)priv;
    char want[32];
    snprintf(want, sizeof(want), "conn-%ld", i);
    if (reply && reply->type == REDIS_REPLY_STRING && strcmp(reply->str, want) == 0) replies_ok++;
    else replies_bad++;
    redisAsyncDisconnect(ac);
}

static void t_many(void) {
    int i, made = 0;
    SECTION("a thousand concurrent connections on one loop");
    for (i = 0; i < NCONN; i++) {
        redisAsyncContext *ac = redisAsyncConnect(host, port);
        if (ac == NULL || ac->err) {
            if (ac) redisAsyncFree(ac);
            continue;
        }
        made++;
        tl_attach(ac);
        redisAsyncSetConnectCallback(ac, many_connect);
        redisAsyncSetDisconnectCallback(ac, many_disconnect);
        redisAsyncCommand(ac, many_reply, (void *)(intptr_t)i, "ECHO conn-%d", i);
    }
    CHECK(made == NCONN, "all contexts created (%d)", made);
    CHECK(tl_run(NULL, 60.0), "loop drained");
    CHECK(connected == NCONN, "every onConnect(OK) (%d)", connected);
    CHECK(replies_ok == NCONN && replies_bad == 0, "every reply to its own callback (%d ok, %d bad)", replies_ok, replies_bad);
    CHECK(disconnected_ok == NCONN && disconnected_bad == 0, "every clean disconnect (%d)", disconnected_ok);
}

/* ---- commands issued from inside callbacks ------------------------------------------------ */

#define NCHAIN 20000
static long chain_seen, chain_bad;
static void chain_cb(redisAsyncContext *ac, void *r, void *priv) {
    redisReply *reply = r;
    long i = (long)(intptr_t)priv;
    if (reply == NULL || reply->type != REDIS_REPLY_INTEGER || reply->integer != i + 1) chain_bad++;
    chain_seen++;
    if (i + 1 < NCHAIN) {
        /* alternate the printf and argv forms; each is queued while dispatch is running */
        if (i % 2 == 0) redisAsyncCommand(ac, chain_cb, (void *)(intptr_t)(i + 1), "INCR async:chain");
        else redisAsyncCommandArgv(ac, chain_cb, (void *)(intptr_t)(i + 1), 2,
                                   (const char *[]){"INCR", "async:chain"}, NULL);
    } else {
        redisAsyncDisconnect(ac);
    }
}

static void t_chain(void) {
    redisAsyncContext *ac;
    SECTION("20,000 commands, each issued from the previous one's callback");
    ac = redisAsyncConnect(host, port);
    tl_attach(ac);
    redisAsyncCommand(ac, NULL, NULL, "DEL async:chain");
    redisAsyncCommand(ac, chain_cb, (void *)0, "INCR async:chain");
    CHECK(tl_run(NULL, 60.0), "loop drained");
    CHECK(chain_seen == NCHAIN && chain_bad == 0, "all in order (%ld seen, %ld bad)", chain_seen, chain_bad);
}

/* ---- killed server -------------------------------------------------------------------------- */

#define NPEND 10000
static unsigned char seen[NPEND];
static int nulls, nonnull, dups, disc_calls, disc_status, disc_err, sleep_cb_calls;
static int after_disconnect_refused;

static void pend_cb(redisAsyncContext *ac, void *r, void *priv) {
    long i = (long)(intptr_t)priv;
    if (i < 0 || i >= NPEND) return;
    if (seen[i]++) dups++;
    if (r == NULL) nulls++;
    else nonnull++;
    if (redisAsyncCommand(ac, pend_cb, (void *)0, "PING") == REDIS_ERR) after_disconnect_refused++;
}
static void sleep_cb(redisAsyncContext *ac, void *r, void *priv) {
    (void)ac; (void)priv;
    sleep_cb_calls++;
    if (r != NULL) nonnull++;
}
static void kill_disconnect(const redisAsyncContext *ac, int status) {
    disc_calls++;
    disc_status = status;
    disc_err = ac->err;
}

static void t_killed(void) {
    redisAsyncContext *ac;
    FILE *f;
    long i, pid = 0;
    const char *pidfile = tl_env("REDIS_PIDFILE", "");
    SECTION("killed server with 10,000 commands pending");
    f = fopen(pidfile, "r");
    if (f) {
        if (fscanf(f, "%ld", &pid) != 1) pid = 0;
        fclose(f);
    }
    CHECK(pid > 0, "server pid from REDIS_PIDFILE");
    if (pid <= 0) return;
    ac = redisAsyncConnect(host, port);
    tl_attach(ac);
    redisAsyncSetDisconnectCallback(ac, kill_disconnect);
    redisAsyncCommand(ac, sleep_cb, NULL, "DEBUG SLEEP 5");
    for (i = 0; i < NPEND; i++) redisAsyncCommand(ac, pend_cb, (void *)(intptr_t)i, "PING");
    /* Let everything reach the server, which is asleep and answers nothing. */
    for (i = 0; i < 20; i++) tl_tick(20);
    CHECK(ac->replies.head != NULL, "commands pending");
    kill((pid_t)pid, SIGKILL);
    CHECK(tl_run(NULL, 20.0), "loop drained");
    CHECK(sleep_cb_calls == 1, "DEBUG SLEEP callback once");
    CHECK(nulls == NPEND && nonnull == 0 && dups == 0, "each pending callback once with NULL (%d, %d, %d)", nulls, nonnull, dups);
    CHECK(after_disconnect_refused == NPEND, "commands from NULL callbacks refused");
    CHECK(disc_calls == 1 && disc_status == REDIS_ERR, "then onDisconnect(ERR) (%d, %d)", disc_calls, disc_status);
    CHECK(disc_err == REDIS_ERR_EOF || disc_err == REDIS_ERR_IO, "EOF or IO error (%d)", disc_err);
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    host = tl_env("REDIS_HOST", "127.0.0.1");
    port = atoi(tl_env("REDIS_PORT", "6379"));
    t_many();
    t_chain();
    t_killed();
    return tl_done();
}
