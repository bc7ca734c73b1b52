/* The caller side of tests/redismodule/run.sh, on the hiredis-rs sync API: it calls the
 * test module's commands on the redis-server that loaded it (HIRS_HOST, HIRS_PORT) and
 * checks each scenario's facts. The module talks to the second server, HIRS_TARGET_PORT;
 * nothing listens on HIRS_REFUSED_PORT. */
#include <hiredis/hiredis.h>

#include <stdlib.h>
#include <string.h>

#include "../testlib.h"

static redisContext *c;
static const char *target_host;
static int target_port;

/* HIRS.RUN scenario target n: the reply line, or "" (and a failed check) on anything else. */
static const char *run(const char *scenario, int port, long n) {
    static char out[2048];
    redisReply *r = (redisReply *)redisCommand(c, "HIRS.RUN %s %s %d %ld", scenario, target_host, port, n);

    out[0] = '\0';
    CHECK(r != NULL && r->type == REDIS_REPLY_STRING, "%s: no string reply (%s)", scenario,
          r == NULL ? c->errstr : r->type == REDIS_REPLY_ERROR ? r->str : "other type");
    if (r != NULL && r->type == REDIS_REPLY_STRING)
        snprintf(out, sizeof(out), "%s", r->str);
    freeReplyObject(r);
    printf("%-10s %s\n", scenario, out);
    return out;
}

#define EXPECT(scenario, got, want) \
    CHECK(strcmp((got), (want)) == 0, "%s:\n  got  '%s'\n  want '%s'\n", scenario, (got), (want))

int main(void) {
    const char *host = tl_env("HIRS_HOST", "127.0.0.1");
    int port = atoi(tl_env("HIRS_PORT", "0"));
    int refused = atoi(tl_env("HIRS_REFUSED_PORT", "0"));
    long pipeline_n = atol(tl_env("HIRS_PIPELINE_N", "200000"));
    char want[512];
    const char *got, *p;
    long ms;
    redisReply *r;

    target_host = tl_env("HIRS_TARGET_HOST", "127.0.0.1");
    target_port = atoi(tl_env("HIRS_TARGET_PORT", "0"));
    c = redisConnect(host, port);
    if (c == NULL || c->err) {
        printf("cannot connect to the module's server %s:%d\n", host, port);
        return 1;
    }

    SECTION("the module sees the adapter and its own hiredis-rs");
    r = (redisReply *)redisCommand(c, "HIRS.CHECK");
    snprintf(want, sizeof(want), "compat:0 hiredis_in_module:1 version:%d.%d.%d", HIREDIS_MAJOR,
             HIREDIS_MINOR, HIREDIS_PATCH);
    CHECK(r != NULL && r->type == REDIS_REPLY_STRING && strcmp(r->str, want) == 0, "HIRS.CHECK: '%s'",
          r && r->str ? r->str : "no reply");
    freeReplyObject(r);

    SECTION("SET/GET/DEL, a command timer pending at the disconnect");
    got = run("setget", target_port, 0);
    EXPECT("setget", got, "attach2:-1 connect:0 set:OK get:hello world del:1 timer_pending:1 "
                          "disconnect:0 timer_stopped:1");

    SECTION("a pipeline larger than the socket buffers");
    got = run("pipeline", target_port, pipeline_n);
    snprintf(want, sizeof(want), "attach2:-1 connect:0 incr:%ld/%ld/%ld get:%ld disconnect:0",
             pipeline_n, pipeline_n, pipeline_n, pipeline_n);
    EXPECT("pipeline", got, want);

    SECTION("command timeout (300 ms) against a server in DEBUG SLEEP 2");
    got = run("timeout", target_port, 0);
    p = strstr(got, "elapsed_ms:");
    ms = p ? atol(p + strlen("elapsed_ms:")) : -1;
    /* well before the sleep ends: the timer, not the reply, ended it */
    CHECK(ms >= 280 && ms < 1800, "timeout fired after %ld ms", ms);
    snprintf(want, sizeof(want), "attach2:-1 connect:0 sleep:NULL elapsed_ms:%ld ping:NULL "
             "disconnect:-1 err:6 errstr:Timeout", ms);
    EXPECT("timeout", got, want);

    SECTION("redisAsyncDisconnect with replies pending");
    got = run("disconnect", target_port, 0);
    EXPECT("disconnect", got, "attach2:-1 after:-1 connect:0 ping:PONG echo:bye disconnect:0");

    SECTION("the server closes the connection");
    got = run("killed", target_port, 0);
    EXPECT("killed", got, "attach2:-1 connect:0 kill:1 ping:NULL disconnect:-1 err:3 "
                          "errstr:Server closed the connection");

    SECTION("redisAsyncFree inside a reply callback");
    got = run("freeincb", target_port, 0);
    EXPECT("freeincb", got, "attach2:-1 connect:0 ping1:PONG ping2:NULL disconnect:0");

    SECTION("connection refused");
    got = run("refused", refused, 0);
    EXPECT("refused", got, "attach2:-1 connect:-1 err:1 errstr:Connection refused");

    SECTION("100 connections at once");
    got = run("many", target_port, 100);
    EXPECT("many", got, "many:100/100/100");

    SECTION("the module's server still serves");
    r = (redisReply *)redisCommand(c, "PING");
    CHECK(r != NULL && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0, "PING after the scenarios");
    freeReplyObject(r);

    redisFree(c);
    return tl_done();
}
