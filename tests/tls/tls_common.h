/* Shared helpers of the TLS tests: environment from tests/tls/harness.sh, contexts. */
#ifndef HIREDIS_RS_TLS_COMMON_H
#define HIREDIS_RS_TLS_COMMON_H

#include <hiredis/hiredis.h>
#include <hiredis/hiredis_ssl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "testlib.h"

static inline const char *host(void) { return tl_env("REDIS_HOST", "127.0.0.1"); }
static inline int env_port(const char *name) { return atoi(tl_env(name, "0")); }

/* A context with the test CA, optional client pair, verify mode and SNI name. */
static inline redisSSLContext *make_ctx(const char *ca, const char *cert, const char *key, int mode,
                                 redisSSLContextError *err) {
    redisSSLOptions o;
    memset(&o, 0, sizeof o);
    o.cacert_filename = ca;
    o.cert_filename = cert;
    o.private_key_filename = key;
    o.server_name = tl_env("TLS_SERVER_NAME", "localhost");
    o.verify_mode = mode;
    return redisCreateSSLContextWithOptions(&o, err);
}

/* Blocking TLS connection to `port`; NULL (with the reason printed) on failure. */
static inline redisContext *tls_connect(int port, redisSSLContext *ssl) {
    redisContext *c = redisConnect(host(), port);
    if (c == NULL || c->err) {
        printf("connect: %s\n", c ? c->errstr : "NULL");
        redisFree(c);
        return NULL;
    }
    if (redisInitiateSSLWithContext(c, ssl) != REDIS_OK) {
        printf("initiate: %s\n", c->errstr);
        redisFree(c);
        return NULL;
    }
    return c;
}

/* SIGKILLs the redis-server named by $REDIS_PIDFILE; its pid, or 0 when there is none. */
static inline int tls_kill_server(void) {
    FILE *f = fopen(tl_env("REDIS_PIDFILE", ""), "r");
    int pid = 0;
    if (f) {
        if (fscanf(f, "%d", &pid) != 1) pid = 0;
        fclose(f);
    }
    if (pid > 0) kill(pid, SIGKILL);
    return pid;
}

static inline int is_status(redisReply *r, const char *s) {
    return r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, s) == 0;
}

#endif
