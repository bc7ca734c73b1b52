/* poll(2)-based implementation of the ae subset declared in ae.h. */
#define _POSIX_C_SOURCE 200809L
#include "ae.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>

typedef struct aeFileEvent {
    int mask; /* AE_READABLE | AE_WRITABLE */
    aeFileProc *rproc, *wproc;
    void *clientData; /* shared by both directions, as in Redis's ae */
} aeFileEvent;

typedef struct aeTimeEvent {
    long long id; /* AE_DELETED_EVENT_ID once deleted; freed by the next pass */
    long long when; /* monotonic milliseconds */
    aeTimeProc *proc;
    aeEventFinalizerProc *finalizer;
    void *clientData;
    struct aeTimeEvent *next;
} aeTimeEvent;

struct aeEventLoop {
    int setsize, maxfd, stop;
    aeFileEvent *events;
    struct pollfd *pfds;
    aeTimeEvent *timers;
    long long next_timer_id;
};

static long long aeNowMs(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

aeEventLoop *aeCreateEventLoop(int setsize) {
    aeEventLoop *el = calloc(1, sizeof(*el));
    if (el == NULL || setsize <= 0) {
        free(el);
        return NULL;
    }
    el->events = calloc((size_t)setsize, sizeof(*el->events));
    el->pfds = calloc((size_t)setsize, sizeof(*el->pfds));
    if (el->events == NULL || el->pfds == NULL) {
        aeDeleteEventLoop(el);
        return NULL;
    }
    el->setsize = setsize;
    el->maxfd = -1;
    return el;
}

void aeDeleteEventLoop(aeEventLoop *el) {
    if (el == NULL)
        return;
    while (el->timers) {
        aeTimeEvent *te = el->timers;
        el->timers = te->next;
        if (te->id != AE_DELETED_EVENT_ID && te->finalizer)
            te->finalizer(el, te->clientData);
        free(te);
    }
    free(el->events);
    free(el->pfds);
    free(el);
}

void aeStop(aeEventLoop *el) { el->stop = 1; }

int aeGetSetSize(aeEventLoop *el) { return el->setsize; }

int aeCreateFileEvent(aeEventLoop *el, int fd, int mask, aeFileProc *proc, void *clientData) {
    if (fd < 0 || fd >= el->setsize) {
        errno = ERANGE;
        return AE_ERR;
    }
    aeFileEvent *fe = &el->events[fd];
    fe->mask |= mask & (AE_READABLE | AE_WRITABLE);
    if (mask & AE_READABLE) fe->rproc = proc;
    if (mask & AE_WRITABLE) fe->wproc = proc;
    fe->clientData = clientData;
    if (fd > el->maxfd)
        el->maxfd = fd;
    return AE_OK;
}

void aeDeleteFileEvent(aeEventLoop *el, int fd, int mask) {
    if (fd < 0 || fd >= el->setsize)
        return;
    el->events[fd].mask &= ~mask;
    while (el->maxfd >= 0 && el->events[el->maxfd].mask == AE_NONE)
        el->maxfd--;
}

int aeGetFileEvents(aeEventLoop *el, int fd) {
    return (fd < 0 || fd >= el->setsize) ? 0 : el->events[fd].mask;
}

long long aeCreateTimeEvent(aeEventLoop *el, long long milliseconds, aeTimeProc *proc,
                            void *clientData, aeEventFinalizerProc *finalizerProc) {
    aeTimeEvent *te = calloc(1, sizeof(*te));
    if (te == NULL)
        return AE_ERR;
    te->id = el->next_timer_id++;
    te->when = aeNowMs() + milliseconds;
    te->proc = proc;
    te->finalizer = finalizerProc;
    te->clientData = clientData;
    te->next = el->timers;
    el->timers = te;
    return te->id;
}

int aeDeleteTimeEvent(aeEventLoop *el, long long id) {
    for (aeTimeEvent *te = el->timers; te; te = te->next) {
        if (te->id == id) {
            te->id = AE_DELETED_EVENT_ID; /* unlinked by the next timer pass */
            return AE_OK;
        }
    }
    return AE_ERR;
}

static int aeLiveTimers(aeEventLoop *el, long long *earliest) {
    int n = 0;
    for (aeTimeEvent *te = el->timers; te; te = te->next) {
        if (te->id == AE_DELETED_EVENT_ID)
            continue;
        if (n++ == 0 || te->when < *earliest)
            *earliest = te->when;
    }
    return n;
}

static int aeProcessTimers(aeEventLoop *el) {
    int processed = 0;
    long long now = aeNowMs();
    /* Timers created by a callback are pushed at the head and so wait for the next pass. */
    aeTimeEvent **link = &el->timers;
    while (*link) {
        aeTimeEvent *te = *link;
        if (te->id == AE_DELETED_EVENT_ID) {
            *link = te->next;
            if (te->finalizer)
                te->finalizer(el, te->clientData);
            free(te);
            continue;
        }
        if (te->when <= now) {
            int again = te->proc(el, te->id, te->clientData);
            processed++;
            if (again == AE_NOMORE)
                te->id = AE_DELETED_EVENT_ID;
            else
                te->when = aeNowMs() + again;
        }
        link = &te->next;
    }
    return processed;
}

int aeProcessEvents(aeEventLoop *el, int flags) {
    long long earliest = 0;
    int timers = (flags & AE_TIME_EVENTS) ? aeLiveTimers(el, &earliest) : 0;
    int nfds = 0, processed = 0, timeout = -1;

    if (flags & AE_FILE_EVENTS) {
        for (int fd = 0; fd <= el->maxfd; fd++) {
            int mask = el->events[fd].mask;
            if (mask == AE_NONE)
                continue;
            el->pfds[nfds].fd = fd;
            el->pfds[nfds].events = (short)(((mask & AE_READABLE) ? POLLIN : 0) |
                                            ((mask & AE_WRITABLE) ? POLLOUT : 0));
            el->pfds[nfds].revents = 0;
            nfds++;
        }
    }
    if (nfds == 0 && timers == 0)
        return 0; /* nothing to wait for */
    if (flags & AE_DONT_WAIT) {
        timeout = 0;
    } else if (timers) {
        long long wait = earliest - aeNowMs();
        timeout = wait < 0 ? 0 : (int)wait;
    }

    int ready = poll(el->pfds, (nfds_t)nfds, timeout);
    for (int i = 0; ready > 0 && i < nfds; i++) {
        int fd = el->pfds[i].fd, rev = el->pfds[i].revents;
        aeFileEvent *fe = &el->events[fd];
        if (rev == 0)
            continue;
        /* Re-check the mask before each call: the previous callback may have deleted it. */
        if ((fe->mask & AE_READABLE) && (rev & (POLLIN | POLLHUP | POLLERR)))
            fe->rproc(el, fd, fe->clientData, AE_READABLE);
        if ((fe->mask & AE_WRITABLE) && (rev & (POLLOUT | POLLHUP | POLLERR)))
            fe->wproc(el, fd, fe->clientData, AE_WRITABLE);
        processed++;
    }
    if (flags & AE_TIME_EVENTS)
        processed += aeProcessTimers(el);
    return processed;
}

void aeMain(aeEventLoop *el) {
    el->stop = 0;
    while (!el->stop) {
        long long earliest;
        if (el->maxfd < 0 && aeLiveTimers(el, &earliest) == 0)
            break; /* nothing registered: see ae.h */
        aeProcessEvents(el, AE_ALL_EVENTS);
    }
}
