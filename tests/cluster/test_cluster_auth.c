/* A password-protected cluster (requirepass secretword): AUTH on every connection the
 * library makes, with and without a user name, and the error texts of the failures. */
#include "cluster_test.h"

static redisClusterContext *auth_connect(const char *seed, const char *user, const char *pass) {
    redisClusterContext *cc = redisClusterContextInit();
    redisClusterSetOptionAddNodes(cc, seed);
    redisClusterSetOptionUsername(cc, user);
    redisClusterSetOptionPassword(cc, pass);
    redisClusterConnect2(cc);
    return cc;
}

int main(void) {
    const char *seed = tl_env("CLUSTER_AUTH_SEED", "127.0.0.1:7100");
    const char *pw = tl_env("CLUSTER_PASSWORD", "secretword");

    SECTION("failures");
    redisClusterContext *cc = auth_connect(seed, NULL, NULL);
    CHECK(cc->err == REDIS_ERR_OTHER && strcmp(cc->errstr, "NOAUTH Authentication required.") == 0, "no password: %s",
          cc->errstr);
    redisClusterFree(cc);
    cc = auth_connect(seed, NULL, "wrong");
    CHECK(cc->err == REDIS_ERR_OTHER &&
          strcmp(cc->errstr, "WRONGPASS invalid username-password pair or user is disabled.") == 0, "wrong: %s", cc->errstr);
    redisClusterFree(cc);
    cc = auth_connect(seed, "nobody", pw);
    CHECK(cc->err == REDIS_ERR_OTHER && strncmp(cc->errstr, "WRONGPASS", 9) == 0, "unknown user: %s", cc->errstr);
    redisClusterFree(cc);

    SECTION("password, then user and password");
    const char *users[2] = {NULL, "default"};
    for (int u = 0; u < 2; u++) {
        cc = auth_connect(seed, users[u], pw);
        CHECK(cc->err == 0 && cc->route_version == 1, "connect (%s): %s", users[u] ? users[u] : "no user", cc->errstr);
        redisReply *r = redisClusterCommand(cc, "MSET a 1 b 2 c 3");
        CHECK(cl_is_status(r, "OK"), "MSET over the masters");
        freeReplyObject(r);
        r = redisClusterCommand(cc, "MGET a b c");
        CHECK(r && r->type == REDIS_REPLY_ARRAY && r->elements == 3 && cl_is_str(r->element[1], "2"), "MGET");
        freeReplyObject(r);
        redisClusterAppendCommand(cc, "INCR a");
        redisClusterAppendCommand(cc, "INCR b");
        CHECK(redisClusterGetReply(cc, (void **)&r) == REDIS_OK && cl_is_int(r, 2), "pipelined INCR");
        freeReplyObject(r);
        redisClusterReset(cc);
        redisClusterFree(cc);
    }
    return tl_done();
}
