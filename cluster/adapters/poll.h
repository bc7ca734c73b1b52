/* hiredis-rs cluster adapters/poll.h: a redisClusterAsyncContext without an event loop. Each
 * node's hiredis async context gets hiredis's poll adapter (<hiredis/adapters/poll.h>) when the
 * library creates it; the caller ticks the whole cluster context, and a tick waits on every
 * node's socket in one poll(2).
 *
 *   redisClusterPollAttach(acc);                  // before redisClusterAsyncConnect2
 *   while (!done) redisClusterPollTick(acc, 0.1);  // wait at most 100 ms per tick
 *
 * redisClusterPollTick returns a bitmask of what it handled (REDIS_POLL_HANDLED_*), 0 when
 * nothing happened, and -1 when poll(2) itself failed. Like redisPollTick, a tick first writes
 * what was queued since the last one, then polls, reads, writes where the socket had no room,
 * and fires due timers. A callback may free node contexts (a slot-map update, a timeout, a
 * disconnect) while the tick runs: the tick holds each node's poll state until it ends. Do not
 * tick a context after redisClusterAsyncFree. */
#ifndef __HIREDIS_CLUSTER_POLL_H__
#define __HIREDIS_CLUSTER_POLL_H__

#include "../hircluster.h"
#include "../adlist.h"
#include "../dict.h"
#include <hiredis/adapters/poll.h>

static int redisPollAttach_link(redisAsyncContext *ac, void *unused) {
    (void)unused;
    return redisPollAttach(ac);
}

static int redisClusterPollAttach(redisClusterAsyncContext *acc) {
    if (acc == NULL) {
        return REDIS_ERR;
    }
    (void)redisPollTick; /* hiredis's per-context tick: unused here, redisClusterPollTick ticks all */
    acc->adapter = acc;  /* any non-NULL value: the poll state lives on each node context */
    acc->attach_fn = redisPollAttach_link;
    return REDIS_OK;
}

/* The poll state of a node's context, if the poll adapter attached it. */
static redisPollEvents *redisClusterPollEventsOf(redisClusterNode *node) {
    redisAsyncContext *ac = node->acon;
    if (ac == NULL || ac->ev.data == NULL || ac->ev.cleanup != redisPollCleanup) {
        return NULL;
    }
    return (redisPollEvents *)ac->ev.data;
}

/* Adds the poll states of node and its replicas to es (room for cap); returns the new count,
 * or with es NULL just counts. */
static size_t redisClusterPollCollect(redisClusterNode *node, redisPollEvents **es, size_t n, size_t cap) {
    redisPollEvents *e = redisClusterPollEventsOf(node);
    listNode *ln;
    if (e != NULL) {
        if (es != NULL && n < cap) es[n] = e;
        n++;
    }
    for (ln = node->slaves ? listFirst(node->slaves) : NULL; ln != NULL; ln = listNextNode(ln)) {
        if ((e = redisClusterPollEventsOf((redisClusterNode *)ln->value)) != NULL) {
            if (es != NULL && n < cap) es[n] = e;
            n++;
        }
    }
    return n;
}

/* timeout: seconds to wait at most; 0 polls without waiting, negative waits until an event
 * (or an armed timer) is due. */
static int redisClusterPollTick(redisClusterAsyncContext *acc, double timeout) {
    redisPollEvents *stack_es[16], **es = stack_es;
    struct pollfd stack_pfds[16], *pfds = stack_pfds;
    dictIterator it;
    dictEntry *de;
    size_t n = 0, cap = 16, i, npfd = 0;
    int handled = 0, rc, wait_ms;
    double now;

    if (acc == NULL || acc->cc == NULL || acc->cc->nodes == NULL) {
        return 0;
    }
    /* Snapshot the node contexts: the callbacks below may replace the node table. */
    dictInitIterator(&it, acc->cc->nodes);
    while ((de = dictNext(&it)) != NULL) {
        n = redisClusterPollCollect((redisClusterNode *)dictGetEntryVal(de), NULL, n, 0);
    }
    if (n == 0) {
        return 0;
    }
    if (n > cap) {
        es = (redisPollEvents **)hi_malloc(n * sizeof(*es));
        pfds = (struct pollfd *)hi_malloc(n * sizeof(*pfds));
        if (es == NULL || pfds == NULL) {
            hi_free(es);
            hi_free(pfds);
            return -1;
        }
        cap = n;
    }
    n = 0;
    dictInitIterator(&it, acc->cc->nodes);
    while ((de = dictNext(&it)) != NULL) {
        n = redisClusterPollCollect((redisClusterNode *)dictGetEntryVal(de), es, n, cap);
    }
    /* From here on acc is not touched (a callback may free it); a context freed meanwhile
     * only marks its state deleted, freed at the end. */
    for (i = 0; i < n; i++) es[i]->in_tick = 1;

    /* The commands queued since the last tick, written before polling. */
    for (i = 0; i < n; i++) {
        redisPollEvents *e = es[i];
        if (!e->deleted && e->writing && !e->blocked && (e->context->c.flags & REDIS_CONNECTED)) {
            e->flushing = 1;
            redisAsyncHandleWrite(e->context);
            e->flushing = 0;
            handled |= REDIS_POLL_HANDLED_WRITE;
        }
    }

    /* One poll(2) over every socket with interest, never past an armed timer. */
    now = redisPollNow();
    for (i = 0; i < n; i++) {
        redisPollEvents *e = es[i];
        pfds[i].fd = -1; /* poll(2) ignores it: freed meanwhile, or nothing wanted */
        pfds[i].events = 0;
        pfds[i].revents = 0;
        if (e->deleted) continue;
        if (e->deadline != 0.0) {
            double left = e->deadline - now;
            if (left < 0.0) left = 0.0;
            if (timeout < 0.0 || left < timeout) timeout = left;
        }
        if (e->reading || e->writing) {
            pfds[i].fd = e->fd;
            pfds[i].events = (short)((e->reading ? POLLIN : 0) | (e->writing ? POLLOUT : 0));
            npfd++;
        }
    }
    if (npfd > 0) {
        if (timeout < 0.0)
            wait_ms = -1;
        else if (timeout > 2000000.0)
            wait_ms = 2000000000;
        else
            wait_ms = (int)(timeout * 1000.0 + 0.999);
        rc = poll(pfds, (nfds_t)n, wait_ms);
        if (rc < 0) {
            if (errno != EINTR) handled = -1;
            rc = 0;
        }
        for (i = 0; rc > 0 && i < n; i++) {
            redisPollEvents *e = es[i];
            short re = pfds[i].revents;
            if (e->deleted || pfds[i].fd < 0 || re == 0) continue;
            /* A hang-up or error reads as readable and, for a pending connect, writable. */
            if ((pfds[i].events & POLLIN) && e->reading && (re & (POLLIN | POLLHUP | POLLERR))) {
                redisAsyncHandleRead(e->context);
                if (handled >= 0) handled |= REDIS_POLL_HANDLED_READ;
            }
            if ((pfds[i].events & POLLOUT) && !e->deleted && e->writing &&
                (re & (POLLOUT | POLLHUP | POLLERR))) {
                e->blocked = 0;
                e->flushing = 1;
                redisAsyncHandleWrite(e->context);
                e->flushing = 0;
                if (handled >= 0) handled |= REDIS_POLL_HANDLED_WRITE;
            }
        }
    }

    /* Due timers (one-shot: hiredis arms them again on its next add hook). */
    now = redisPollNow();
    for (i = 0; i < n; i++) {
        redisPollEvents *e = es[i];
        if (!e->deleted && e->deadline != 0.0 && now >= e->deadline) {
            e->deadline = 0.0;
            redisAsyncHandleTimeout(e->context);
            if (handled >= 0) handled |= REDIS_POLL_HANDLED_TIMEOUT;
        }
    }

    for (i = 0; i < n; i++) {
        if (es[i]->deleted)
            hi_free(es[i]);
        else
            es[i]->in_tick = 0;
    }
    if (es != stack_es) {
        hi_free(es);
        hi_free(pfds);
    }
    return handled;
}

#endif /* __HIREDIS_CLUSTER_POLL_H__ */
