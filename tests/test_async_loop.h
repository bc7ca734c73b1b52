/* A minimal poll(2) event loop for the async tests: any number of contexts, the six ev hooks,
 * timers as wall-clock deadlines. State is released lazily by the loop, so cleanup may run
 * from inside a handler. */
#ifndef TEST_ASYNC_LOOP_H
#define TEST_ASYNC_LOOP_H

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>

typedef struct tl_ev {
    redisAsyncContext *ac;
    int fd;
    int reading, writing, active;
    double deadline; /* 0: no timer */
    /* counters the tests look at */
    int adds_read, adds_write, dels_write, cleanups, timers;
} tl_ev;

static tl_ev **tl_evs;
static int tl_nev, tl_capev;

static double tl_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void tl_ev_add_read(void *p) { tl_ev *e = p; e->reading = 1; e->adds_read++; }
static void tl_ev_del_read(void *p) { tl_ev *e = p; e->reading = 0; }
static void tl_ev_add_write(void *p) { tl_ev *e = p; e->writing = 1; e->adds_write++; }
static void tl_ev_del_write(void *p) { tl_ev *e = p; e->writing = 0; e->dels_write++; }
static void tl_ev_cleanup(void *p) {
    tl_ev *e = p;
    e->cleanups++;
    e->active = 0;
    e->reading = e->writing = 0;
    e->ac = NULL;
}
static void tl_ev_timer(void *p, struct timeval tv) {
    tl_ev *e = p;
    e->timers++;
    e->deadline = tl_now() + (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* The last attached context's state, for tests that inspect hook counters. */
static tl_ev *tl_last_ev;

static int tl_attach(redisAsyncContext *ac) {
    tl_ev *e;
    if (ac->ev.data != NULL) return REDIS_ERR;
    e = calloc(1, sizeof(*e));
    if (e == NULL) return REDIS_ERR;
    e->ac = ac;
    e->fd = ac->c.fd;
    e->active = 1;
    ac->ev.data = e;
    ac->ev.addRead = tl_ev_add_read;
    ac->ev.delRead = tl_ev_del_read;
    ac->ev.addWrite = tl_ev_add_write;
    ac->ev.delWrite = tl_ev_del_write;
    ac->ev.cleanup = tl_ev_cleanup;
    ac->ev.scheduleTimer = tl_ev_timer;
    if (tl_nev == tl_capev) {
        tl_capev = tl_capev ? tl_capev * 2 : 64;
        tl_evs = realloc(tl_evs, sizeof(*tl_evs) * (size_t)tl_capev);
    }
    tl_evs[tl_nev++] = e;
    tl_last_ev = e;
    return REDIS_OK;
}

/* Drops the state of contexts whose cleanup ran. */
static void tl_reap(void) {
    int i, j = 0;
    for (i = 0; i < tl_nev; i++) {
        if (tl_evs[i]->active) tl_evs[j++] = tl_evs[i];
        else {
            if (tl_last_ev == tl_evs[i]) tl_last_ev = NULL;
            free(tl_evs[i]);
        }
    }
    tl_nev = j;
    if (tl_nev == 0) { free(tl_evs); tl_evs = NULL; tl_capev = 0; }
}

/* One poll round; returns the number of live contexts afterwards. */
static int tl_tick(int max_ms) {
    static struct pollfd *pfds;
    static int *idx;
    static int cap;
    int i, n = 0, timeout = max_ms, rc;
    double now = tl_now();

    tl_reap();
    if (tl_nev == 0) {
        free(pfds); free(idx); pfds = NULL; idx = NULL; cap = 0;
        return 0;
    }
    if (cap < tl_nev) {
        cap = tl_nev * 2;
        pfds = realloc(pfds, sizeof(*pfds) * (size_t)cap);
        idx = realloc(idx, sizeof(*idx) * (size_t)cap);
    }
    for (i = 0; i < tl_nev; i++) {
        tl_ev *e = tl_evs[i];
        if (e->deadline > 0) {
            int ms = (int)((e->deadline - now) * 1000.0) + 1;
            if (ms < 0) ms = 0;
            if (ms < timeout) timeout = ms;
        }
        if (!e->active || (!e->reading && !e->writing)) continue;
        pfds[n].fd = e->fd;
        pfds[n].events = (short)((e->reading ? POLLIN : 0) | (e->writing ? POLLOUT : 0));
        pfds[n].revents = 0;
        idx[n++] = i;
    }
    rc = poll(pfds, (nfds_t)n, timeout);
    for (i = 0; rc > 0 && i < n; i++) {
        tl_ev *e = tl_evs[idx[i]];
        short re = pfds[i].revents;
        if (re == 0) continue;
        if (e->active && e->reading && (re & (POLLIN | POLLHUP | POLLERR)))
            redisAsyncHandleRead(e->ac);
        if (e->active && e->writing && (re & (POLLOUT | POLLERR | POLLHUP)))
            redisAsyncHandleWrite(e->ac);
    }
    now = tl_now();
    n = tl_nev;
    for (i = 0; i < n; i++) {
        tl_ev *e = tl_evs[i];
        if (e->active && e->deadline > 0 && now >= e->deadline) {
            e->deadline = 0;
            redisAsyncHandleTimeout(e->ac);
        }
    }
    tl_reap();
    return tl_nev;
}

/* Runs until every context is gone, *stop becomes non-zero, or max_s passes.
 * Returns 1 when it ended before the time limit. */
static int tl_run(volatile int *stop, double max_s) {
    double end = tl_now() + max_s;
    while (tl_now() < end) {
        if (stop && *stop) return 1;
        if (tl_tick(50) == 0) return 1;
    }
    return 0;
}

#endif
