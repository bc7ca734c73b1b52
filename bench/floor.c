/* The floor under any Redis client: SETs with no library and no event library, just the
 * system calls a client cannot avoid, and the client CPU per command (user+sys) they cost.
 * It has no hiredis to compare with: bench.py reports it beside the async rows, so the CPU
 * goals at 1 and 16 in flight can be read against what the kernel alone takes.
 *
 *   floor MODE:INFLIGHT:CONNS:TOTAL ...
 *
 * MODE "block": one connection, blocking sockets, one write and one read per command (the
 * fewest system calls there are; no event loop could do with less). MODE "epoll":
 * non-blocking sockets and one epoll set, as an event loop keeps them: read interest
 * registered once, each reply answered with the next command, every connection's commands
 * of one round sent in one write (send, wait, receive: 3 calls per round). Replies are
 * counted by their "+OK\r\n" lines; anything else fails the run. Connects to
 * REDIS_HOST:REDIS_PORT (127.0.0.1:6379). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "benchlib.h"

#define NKEYS 1024
#define VALUE "0123456789abcdef0123456789ABCDEF"

static void die(const char *what) {
    perror(what);
    exit(1);
}

static int connect_one(void) {
    const char *host = getenv("REDIS_HOST"), *port = getenv("REDIS_PORT");
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port ? atoi(port) : 6379)};
    if (inet_pton(AF_INET, host ? host : "127.0.0.1", &sa.sin_addr) != 1) die("floor: REDIS_HOST");
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    if (fd < 0) die("socket");
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) die("connect");
    /* As hiredis does. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* Appends the SET of command number i to p (RESP, as the formatter writes it). */
static size_t put_set(char *p, long i) {
    char key[24];
    int klen = snprintf(key, sizeof key, "bench:key:%ld", i % NKEYS);
    return (size_t)sprintf(p, "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%zu\r\n%s\r\n", klen, key, sizeof VALUE - 1,
                           VALUE);
}

/* Counts the "+OK\r\n" replies in n bytes; carry holds the bytes of a partial one. */
static long count_ok(const char *p, size_t n, int *carry) {
    static const char ok[] = "+OK\r\n";
    long replies = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] != ok[*carry]) {
            fprintf(stderr, "floor: unexpected reply byte '%c'\n", p[i]);
            exit(1);
        }
        if (++*carry == 5) {
            *carry = 0;
            replies++;
        }
    }
    return replies;
}

/* Round trips of the last phase with one command in flight on one connection. */
static double *lat;
static long nlat;

static void run_block(long total) {
    int fd = connect_one(), carry = 0;
    char out[128], in[64];
    for (long i = 0; i < total; i++) {
        double t0 = bl_now();
        size_t n = put_set(out, i);
        if (write(fd, out, n) != (ssize_t)n) die("write");
        long got = 0;
        while (got == 0) {
            ssize_t r = read(fd, in, sizeof in);
            if (r <= 0) die("read");
            got = count_ok(in, (size_t)r, &carry);
        }
        lat[nlat++] = bl_now() - t0;
    }
    close(fd);
}

typedef struct {
    int fd, carry;
    long sent, quota, owed; /* owed: replies answered, their next commands not yet sent */
    double sent_at;
} conn;

static void run_epoll(long window, int nconns, long total) {
    int ep = epoll_create1(0);
    conn *cs = calloc((size_t)nconns, sizeof *cs);
    char *out = malloc(1000 * 96), in[65536];
    if (ep < 0 || !cs || !out) die("floor: setup");
    long left = total;
    for (int i = 0; i < nconns; i++) {
        conn *c = &cs[i];
        c->fd = connect_one();
        c->quota = total / nconns + (i < total % nconns ? 1 : 0);
        c->owed = window < c->quota ? window : c->quota;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0) die("epoll_ctl");
    }
    struct epoll_event evs[64];
    while (left > 0) {
        /* The round's commands, one write per connection (the loop's "before blocking"). */
        for (int i = 0; i < nconns; i++) {
            conn *c = &cs[i];
            long k = c->quota - c->sent < c->owed ? c->quota - c->sent : c->owed;
            c->owed = 0;
            if (k == 0) continue;
            size_t n = 0;
            while (k-- > 0) n += put_set(out + n, c->sent++);
            c->sent_at = bl_now();
            if (send(c->fd, out, n, 0) != (ssize_t)n) die("send");
        }
        int k = epoll_wait(ep, evs, 64, -1);
        if (k < 0 && errno != EINTR) die("epoll_wait");
        for (int j = 0; j < k; j++) {
            conn *c = evs[j].data.ptr;
            ssize_t r = recv(c->fd, in, sizeof in, 0);
            if (r <= 0) die("recv");
            long got = count_ok(in, (size_t)r, &c->carry);
            if (window == 1 && nconns == 1 && got) lat[nlat++] = bl_now() - c->sent_at;
            c->owed += got;
            left -= got;
        }
    }
    for (int i = 0; i < nconns; i++) close(cs[i].fd);
    close(ep);
    free(cs);
    free(out);
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        char mode[16];
        long window, total;
        int conns;
        if (sscanf(argv[i], "%15[a-z]:%ld:%d:%ld", mode, &window, &conns, &total) != 4 || window < 1 ||
            window > 1000 || conns < 1 || total < conns ||
            (strcmp(mode, "block") != 0 && strcmp(mode, "epoll") != 0) ||
            (strcmp(mode, "block") == 0 && (window != 1 || conns != 1))) {
            fprintf(stderr, "floor: bad phase '%s' (block:1:1:N or epoll:INFLIGHT:CONNS:N)\n", argv[i]);
            return 2;
        }
        nlat = 0;
        lat = realloc(lat, (size_t)total * sizeof *lat);
        if (!lat) die("floor: latencies");
        double c0 = bl_cpu_seconds(), t0 = bl_now();
        if (strcmp(mode, "block") == 0) run_block(total);
        else run_epoll(window, conns, total);
        double cpu = bl_cpu_seconds() - c0, wall = bl_now() - t0;
        char cname[64];
        snprintf(cname, sizeof cname, "%s/if%ld/c%d", mode, window, conns);
        bl_result("floor", cname, "cmds_per_s", (double)total / wall);
        bl_result("floor", cname, "cpu_ns_per_cmd", cpu * 1e9 / (double)total);
        bl_latency_results("floor", cname, lat, nlat);
    }
    return 0;
}
