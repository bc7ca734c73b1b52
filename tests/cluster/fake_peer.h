/* A small scripted Redis peer for the cluster tests (test_cluster_fake*.c): a forked child on a
 * loopback port that answers each command by the first matching rule of a list and logs every
 * command it received (arguments joined by spaces) to `logpath`. A rule matches a command that
 * starts with its text (case-insensitive); `times` 0 answers forever, n > 0 the next n times;
 * a NULL reply answers nothing. */
#ifndef HIREDIS_RS_FAKE_PEER_H
#define HIREDIS_RS_FAKE_PEER_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* Whether the peer's log, lines joined by '|', contains `want` (printed when not, unless quiet). */
static int log_has_q(const char *want, int quiet) {
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

#endif
