/* What a real cluster will not send, from a small scripted peer on a loopback port (a forked
 * child that answers each command by a list of rules and logs what it received): malformed
 * CLUSTER SLOTS / CLUSTER NODES replies and their error texts, MOVED with a slot >= 16384 to a
 * dead node, TRYAGAIN / CLUSTERDOWN without end, malformed redirects, ASK (wire order checked),
 * a node that never answers; and parse_cluster_nodes called directly. */
#include "cluster_test.h"
#include <hiredis_cluster/hiarray.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

typedef struct { const char *match; const char *reply; int times; } rule; /* reply NULL: silence */

static int listen_fd = -1, port;
static pid_t peer;
static char logpath[512];

static void peer_listen(void) {
    struct sockaddr_in a = {0};
    socklen_t len = sizeof a;
    int one = 1;
    listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listen_fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(listen_fd, 16) != 0) abort();
    getsockname(listen_fd, (struct sockaddr *)&a, &len);
    port = ntohs(a.sin_port);
}

/* One complete RESP command at the start of buf: its arguments joined by spaces into out;
 * returns the bytes consumed, 0 if incomplete. */
static size_t parse_cmd(const char *buf, size_t n, char *out, size_t cap) {
    const char *p = buf, *end = buf + n;
    char *e;
    if (n < 4 || *p != '*') return 0;
    long argc = strtol(p + 1, &e, 10);
    if (e + 2 > end) return 0;
    p = e + 2;
    out[0] = 0;
    for (long i = 0; i < argc; i++) {
        if (p >= end || *p != '$') return 0;
        long l = strtol(p + 1, &e, 10);
        if (e + 2 + l + 2 > end) return 0;
        size_t have = strlen(out);
        if (have + (size_t)l + 2 < cap) {
            if (i) out[have++] = ' ';
            memcpy(out + have, e + 2, (size_t)l);
            out[have + (size_t)l] = 0;
        }
        p = e + 2 + l + 2;
    }
    return (size_t)(p - buf);
}

static void peer_serve(rule *rules, int nrules) {
    struct pollfd fds[17];
    char bufs[17][4096];
    size_t used[17] = {0};
    int nfds = 1;
    FILE *log = fopen(logpath, "w");
    fds[0].fd = listen_fd;
    fds[0].events = POLLIN;
    for (;;) {
        if (poll(fds, (nfds_t)nfds, -1) < 0) _exit(1);
        if ((fds[0].revents & POLLIN) && nfds < 17) {
            fds[nfds].fd = accept(listen_fd, NULL, NULL);
            fds[nfds].events = POLLIN;
            fds[nfds].revents = 0;
            used[nfds++] = 0;
        }
        for (int i = 1; i < nfds; i++) {
            if (!(fds[i].revents & (POLLIN | POLLHUP))) continue;
            ssize_t r = read(fds[i].fd, bufs[i] + used[i], sizeof bufs[i] - used[i]);
            if (r <= 0) {
                close(fds[i].fd);
                fds[i] = fds[--nfds];
                memcpy(bufs[i], bufs[nfds], used[nfds]);
                used[i] = used[nfds];
                i--;
                continue;
            }
            used[i] += (size_t)r;
            char cmd[1024];
            size_t k;
            while ((k = parse_cmd(bufs[i], used[i], cmd, sizeof cmd)) > 0) {
                memmove(bufs[i], bufs[i] + k, used[i] - k);
                used[i] -= k;
                fprintf(log, "%s\n", cmd);
                fflush(log);
                for (int j = 0; j < nrules; j++) {
                    if (rules[j].times < 0 || strncasecmp(cmd, rules[j].match, strlen(rules[j].match)) != 0) continue;
                    if (rules[j].times > 0 && --rules[j].times == 0) rules[j].times = -1;
                    if (rules[j].reply && write(fds[i].fd, rules[j].reply, strlen(rules[j].reply)) < 0) _exit(1);
                    break;
                }
            }
        }
    }
}

static void peer_start(rule *rules, int nrules) {
    peer = fork();
    if (peer == 0) peer_serve(rules, nrules);
}

static void peer_stop(void) {
    kill(peer, SIGKILL);
    waitpid(peer, NULL, 0);
}

static char seedaddr[64];

/* A context on the peer (flags), whose connect result is returned. */
static redisClusterContext *on_peer(int flags) {
    redisClusterContext *cc = redisClusterContextInit();
    cc->flags = flags;
    redisClusterSetOptionAddNodes(cc, seedaddr);
    struct timeval tv = {0, 300000};
    redisClusterSetOptionTimeout(cc, tv);
    redisClusterConnect2(cc);
    return cc;
}

static void slots_errors(void) {
    SECTION("malformed CLUSTER SLOTS replies");
    struct { const char *reply; const char *err; } t[] = {
        {"+OK\r\n", "Command (cluster slots) reply error: type is not array."},
        {"*0\r\n", "Command(cluster slots) reply error: reply is not an array."},
        {"*1\r\n*2\r\n:0\r\n:100\r\n", "Command(cluster slots) reply error: first sub_reply is not an array."},
        {"*1\r\n*3\r\n$1\r\na\r\n:100\r\n*2\r\n$9\r\n127.0.0.1\r\n:7000\r\n", "Command(cluster slots) reply error: slot begin is not an integer."},
        {"*1\r\n*3\r\n:0\r\n$1\r\na\r\n*2\r\n$9\r\n127.0.0.1\r\n:7000\r\n", "Command(cluster slots) reply error: slot end is not an integer."},
        {"*1\r\n*3\r\n:100\r\n:0\r\n*2\r\n$9\r\n127.0.0.1\r\n:7000\r\n", "Command(cluster slots) reply error: slot begin is bigger than slot end."},
        {"*1\r\n*3\r\n:0\r\n:100\r\n*1\r\n$9\r\n127.0.0.1\r\n", "Command(cluster slots) reply error: nodes sub_reply is not an correct array."},
        {"*1\r\n*3\r\n:0\r\n:100\r\n*2\r\n$-1\r\n:7000\r\n", "Command(cluster slots) reply error: master ip or port is not correct."},
        {"*1\r\n*3\r\n:0\r\n:100\r\n*2\r\n$0\r\n\r\n:7000\r\n", "Command(cluster slots) reply error: node ip is not string."},
        {"*1\r\n*3\r\n:0\r\n:100\r\n*2\r\n$9\r\n127.0.0.1\r\n:0\r\n", "Command(cluster slots) reply error: node port is not integer."},
        {"*1\r\n*3\r\n:0\r\n:100\r\n*2\r\n$9\r\n127.0.0.1\r\n:70000\r\n", "Command(cluster slots) reply error: node port is not valid."},
        {"*1\r\n*3\r\n:0\r\n:16384\r\n*2\r\n$9\r\n127.0.0.1\r\n:7000\r\n", "Slot region for node is invalid"},
        {"*2\r\n*3\r\n:0\r\n:100\r\n*2\r\n$9\r\n127.0.0.1\r\n:7000\r\n*3\r\n:50\r\n:200\r\n*2\r\n$9\r\n127.0.0.1\r\n:7001\r\n", "Different node holds same slot"},
        {"-ERR This instance has cluster support disabled\r\n", "ERR This instance has cluster support disabled"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        rule rules[] = {{"CLUSTER SLOTS", t[i].reply, 0}};
        peer_start(rules, 1);
        redisClusterContext *cc = on_peer(HIRCLUSTER_FLAG_ROUTE_USE_SLOTS);
        CHECK(cc->err == REDIS_ERR_OTHER && strcmp(cc->errstr, t[i].err) == 0 && cc->route_version == 0 && !cc->table,
              "%zu: %d %s", i, cc->err, cc->errstr);
        redisClusterFree(cc);
        peer_stop();
    }
    rule silent[] = {{"CLUSTER SLOTS", NULL, 0}};
    peer_start(silent, 1);
    redisClusterContext *cc = on_peer(HIRCLUSTER_FLAG_ROUTE_USE_SLOTS);
    CHECK(cc->err == REDIS_ERR_OTHER && strcmp(cc->errstr, "Command (cluster slots) reply error (NULL).") == 0,
          "a node that never answers: %s", cc->errstr);
    redisClusterFree(cc);
    peer_stop();
}

static void nodes_errors(void) {
    SECTION("malformed CLUSTER NODES replies");
    struct { const char *reply; const char *err; } t[] = {
        {"$69\r\n07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004 slave\n\r\n", "split cluster nodes error"},
        {"$95\r\n07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004 myself,master - 0 0 1 connected\n\r\n", "No slot information"},
        {"$194\r\n07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004 myself,master - 0 0 1 connected 0-10\n"
         "17c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004 master - 0 0 1 connected 11-20\n\r\n", "The address already exists in the nodes"},
        {":1\r\n", "Command(cluster nodes) reply error: type is not string."},
        {"-NOAUTH Authentication required.\r\n", "NOAUTH Authentication required."},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        rule rules[] = {{"CLUSTER NODES", t[i].reply, 0}};
        peer_start(rules, 1);
        redisClusterContext *cc = on_peer(0);
        CHECK(cc->err == REDIS_ERR_OTHER && strcmp(cc->errstr, t[i].err) == 0, "%zu: %d %s", i, cc->err, cc->errstr);
        redisClusterFree(cc);
        peer_stop();
    }
}

static int log_has_q(const char *want, int quiet) { /* the peer's log, lines joined by '|' */
    char all[4096] = "", line[1024];
    FILE *f = fopen(logpath, "r");
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (all[0]) strcat(all, "|");
        if (strlen(all) + strlen(line) < sizeof all - 1) strcat(all, line);
    }
    if (f) fclose(f);
    if (!quiet && !strstr(all, want)) printf("peer log: %s\n", all);
    return strstr(all, want) != NULL;
}
static int log_has(const char *want) { return log_has_q(want, 0); }

static void redirects(void) {
    char map[128];
    snprintf(map, sizeof map, "*1\r\n*3\r\n:0\r\n:16383\r\n*2\r\n$9\r\n127.0.0.1\r\n:%d\r\n", port);

    SECTION("MOVED with a slot past the table, to a dead node");
    rule moved[] = {{"CLUSTER SLOTS", map, 0}, {"GET", "-MOVED 99999 127.0.0.1:1\r\n", 0}};
    peer_start(moved, 2);
    redisClusterContext *cc = on_peer(HIRCLUSTER_FLAG_ROUTE_USE_SLOTS);
    CHECK(cc->err == 0 && cc->route_version == 1, "connect: %s", cc->errstr);
    redisReply *r = redisClusterCommand(cc, "GET foo");
    CHECK(r == NULL && cc->err == REDIS_ERR_IO && strcmp(cc->errstr, "Connection refused") == 0, "%d %s", cc->err, cc->errstr);
    CHECK(log_has("CLUSTER SLOTS|GET foo|CLUSTER SLOTS"), "the update went out on the redirecting connection");
    CHECK(cc->route_version == 2 && cc->table[12182] && cc->table[12182]->port == port, "map from the pipelined update");
    redisClusterFree(cc);
    peer_stop();

    SECTION("TRYAGAIN and CLUSTERDOWN without end");
    const char *again[2] = {"-TRYAGAIN Multiple keys request during rehashing of slot\r\n", "-CLUSTERDOWN The cluster is down\r\n"};
    for (int k = 0; k < 2; k++) {
        rule rules[] = {{"CLUSTER SLOTS", map, 0}, {"GET", again[k], 0}};
        peer_start(rules, 2);
        cc = on_peer(HIRCLUSTER_FLAG_ROUTE_USE_SLOTS);
        redisClusterSetOptionMaxRetry(cc, 2);
        r = redisClusterCommand(cc, "GET foo");
        CHECK(r == NULL && cc->err == 100 && strcmp(cc->errstr, "too many cluster retries") == 0, "%d %s", cc->err, cc->errstr);
        CHECK(log_has("GET foo|GET foo|GET foo") && !log_has_q("GET foo|GET foo|GET foo|GET foo", 1), "3 tries (max retry 2)");
        redisClusterFree(cc);
        peer_stop();
    }

    SECTION("malformed redirects");
    struct { const char *reply, *err; } bad[] = {
        {"-MOVED 12182\r\n", "failed to parse redirect"},
        {"-MOVED 12182 127.0.0.1\r\n", "port separator missing in redirect"},
        {"-ASK 12182 :7000\r\n", "endpoint missing in redirect"},
    };
    for (int k = 0; k < 3; k++) {
        rule rules[] = {{"CLUSTER SLOTS", map, 0}, {"GET", bad[k].reply, 0}};
        peer_start(rules, 2);
        cc = on_peer(HIRCLUSTER_FLAG_ROUTE_USE_SLOTS);
        r = redisClusterCommand(cc, "GET foo");
        CHECK(r == NULL && cc->err == REDIS_ERR_OTHER && strcmp(cc->errstr, bad[k].err) == 0, "%s", cc->errstr);
        redisClusterFree(cc);
        peer_stop();
    }

    SECTION("ASK: ASKING then the command, on the target");
    char ask[64];
    snprintf(ask, sizeof ask, "-ASK 12182 127.0.0.1:%d\r\n", port);
    rule asks[] = {{"CLUSTER SLOTS", map, 0}, {"GET", ask, 1}, {"ASKING", "+OK\r\n", 0}, {"GET", "$3\r\nbar\r\n", 0}};
    peer_start(asks, 4);
    cc = on_peer(HIRCLUSTER_FLAG_ROUTE_USE_SLOTS);
    r = redisClusterCommand(cc, "GET foo");
    CHECK(cl_is_str(r, "bar") && cc->err == 0 && cc->route_version == 1, "GET after ASK");
    freeReplyObject(r);
    CHECK(log_has("CLUSTER SLOTS|GET foo|ASKING|GET foo"), "wire order");
    redisClusterFree(cc);
    peer_stop();
}

static void parse_nodes_directly(void) {
    SECTION("parse_cluster_nodes");
    redisClusterContext *cc = redisClusterContextInit();
    char text[] =
        "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30005@31005,replica-host slave "
        "67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 0 1426238316232 5 connected\n"
        "67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 127.0.0.1:30002@31002,hostname2 myself,master - 0 0 2 connected "
        "5461-10922 [5460-<-292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f] [10923->-292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f]\n"
        "292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f 127.0.0.1:30003@31003 master - 0 0 3 connected 0-5460 10923-16383 junk\n"
        "6ec23923021cf3ffec47632106199cb7f496ce01 :0@0 master,noaddr - 0 0 0 disconnected\n"
        "ignored tail without newline";
    dict *d = parse_cluster_nodes(cc, text, (int)strlen(text),
                                  HIRCLUSTER_FLAG_ADD_SLAVE | HIRCLUSTER_FLAG_ADD_OPENSLOT);
    CHECK(d && dictSize(d) == 2, "two masters (:0 skipped): %s", cc->errstr);
    dictIterator di;
    int checked = 0;
    dictInitIterator(&di, d);
    for (dictEntry *de; d && (de = dictNext(&di)) != NULL;) {
        redisClusterNode *n = dictGetEntryVal(de);
        if (n->port == 30002) {
            redisClusterNode *rep = n->slaves ? listNodeValue(listFirst(n->slaves)) : NULL;
            copen_slot **mig = n->migrating ? hiarray_get(n->migrating, 0) : NULL;
            copen_slot **imp = n->importing ? hiarray_get(n->importing, 0) : NULL;
            checked += rep && rep->role == REDIS_ROLE_SLAVE && strcmp(rep->addr, "127.0.0.1:30005") == 0 &&
                       strncmp(rep->name, "e7d1eecce", 9) == 0 && strcmp(n->addr, "127.0.0.1:30002") == 0 &&
                       listLength(n->slots) == 1 && mig && (*mig)->slot_num == 10923 && (*mig)->migrate == 1 &&
                       imp && (*imp)->slot_num == 5460 && (*imp)->migrate == 0 &&
                       strncmp((*imp)->remote_name, "292f8b", 6) == 0 && (*imp)->node == n;
        } else if (n->port == 30003) {
            cluster_slot *a = listNodeValue(listFirst(n->slots)), *b = listNodeValue(listLast(n->slots));
            checked += listLength(n->slots) == 2 && a->start == 0 && a->end == 5460 && b->start == 10923 &&
                       b->end == 16383 && n->slaves == NULL && a->node == n;
        }
    }
    CHECK(checked == 2, "replica moved under its later master, open slots, ranges (%d)", checked);
    dictRelease(d);
    d = parse_cluster_nodes(cc, text, (int)strlen(text), 0);
    int no_extras = d != NULL;
    dictInitIterator(&di, d);
    for (dictEntry *de; d && (de = dictNext(&di)) != NULL;) {
        redisClusterNode *n = dictGetEntryVal(de);
        no_extras &= n->slaves == NULL && n->migrating == NULL && n->importing == NULL;
    }
    CHECK(no_extras, "without the flags: no replicas, no open slots");
    dictRelease(d);
    redisClusterFree(cc);
}

int main(void) {
    snprintf(logpath, sizeof logpath, "%s/peer.log", tl_env("TEST_TMPDIR", "/tmp"));
    signal(SIGPIPE, SIG_IGN);
    peer_listen();
    snprintf(seedaddr, sizeof seedaddr, "127.0.0.1:%d", port);
    slots_errors();
    nodes_errors();
    redirects();
    parse_nodes_directly();
    close(listen_fd);
    return tl_done();
}
