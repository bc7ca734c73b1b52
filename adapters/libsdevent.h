/* hiredis-rs adapter for systemd's sd-event loop.
 *
 *   sd_event *loop; sd_event_default(&loop);
 *   redisLibsdeventAttach(ac, loop);    // REDIS_ERR if ac already has an adapter
 *   sd_event_loop(loop);
 *
 * One io source for both directions, and a one-shot CLOCK_MONOTONIC timer (deadline = now +
 * tv) for scheduleTimer. Read interest is kept from the first addRead for the connection's
 * life. A command does not ask for EPOLLOUT: the io source's prepare callback, which
 * sd-event runs before it waits, writes everything the iteration's callbacks queued in one
 * go. EPOLLOUT is watched only while the socket is full (a write that stopped short), the
 * connect is pending, or reading is off (the prepare callback then does not run). At one
 * command in flight that is a send, one epoll_wait and a recv per command. The adapter
 * holds a reference on the loop until cleanup. A cleanup that happens inside one of our own handlers (the library
 * freeing the context from a callback) only marks the state; the handler frees it on its
 * way out, so nothing of ours is touched after it is gone. */
#ifndef HIREDIS_LIBSDEVENT_H
#define HIREDIS_LIBSDEVENT_H

#include <stdint.h>
#include <sys/epoll.h>
#include <time.h>
#include <systemd/sd-event.h>
#include "../hiredis.h"
#include "../async.h"

typedef struct redisLibsdeventEvents {
    redisAsyncContext *context;
    struct sd_event *event;
    struct sd_event_source *fdSource;    /* created on the first add, disabled when idle */
    struct sd_event_source *timerSource; /* created on the first scheduleTimer */
    int fd;
    uint32_t mask;   /* EPOLLIN / EPOLLOUT currently wanted */
    int dispatching; /* inside one of our handlers */
    int flush;       /* a command waits for the next prepare callback */
    int flushing;    /* inside redisAsyncHandleWrite: an addWrite means it stopped short */
    int released;    /* cleanup ran while dispatching */
} redisLibsdeventEvents;

static void redisLibsdeventFree(redisLibsdeventEvents *e) {
    if (e->fdSource != NULL)
        e->fdSource = sd_event_source_disable_unref(e->fdSource);
    if (e->timerSource != NULL)
        e->timerSource = sd_event_source_disable_unref(e->timerSource);
    sd_event_unref(e->event);
    hi_free(e);
}

/* Leaves a handler, freeing the state when cleanup ran inside it. sd-event never dispatches
 * inside a dispatch, so a handler always starts with `released` clear. */
static void redisLibsdeventLeave(redisLibsdeventEvents *e) {
    e->dispatching--;
    if (e->released && e->dispatching == 0)
        redisLibsdeventFree(e);
}

static int redisLibsdeventIoHandler(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
    redisLibsdeventEvents *e = (redisLibsdeventEvents *)userdata;
    /* An error or hangup is delivered to whichever direction is armed, so the library sees
     * it (through read/write) instead of the loop reporting it forever. */
    uint32_t trouble = revents & (EPOLLERR | EPOLLHUP);
    (void)s;
    (void)fd;

    e->dispatching++;
    if ((e->mask & EPOLLIN) && (revents & EPOLLIN || trouble))
        redisAsyncHandleRead(e->context);
    if (!e->released && (e->mask & EPOLLOUT) && (revents & EPOLLOUT || trouble)) {
        e->flushing = 1;
        redisAsyncHandleWrite(e->context);
        e->flushing = 0; /* e lives until Leave */
    }
    redisLibsdeventLeave(e);
    return 0;
}

/* Before the loop waits: write what the commands of this iteration queued. */
static int redisLibsdeventPrepare(sd_event_source *s, void *userdata) {
    redisLibsdeventEvents *e = (redisLibsdeventEvents *)userdata;
    (void)s;

    if (!e->flush)
        return 0;
    e->flush = 0;
    if (e->released || (e->mask & EPOLLOUT))
        return 0; /* the socket is full: EPOLLOUT says when it has room */
    e->dispatching++;
    e->flushing = 1;
    redisAsyncHandleWrite(e->context);
    e->flushing = 0;
    redisLibsdeventLeave(e);
    return 0;
}

static int redisLibsdeventTimerHandler(sd_event_source *s, uint64_t usec, void *userdata) {
    redisLibsdeventEvents *e = (redisLibsdeventEvents *)userdata;
    (void)s;
    (void)usec;

    e->dispatching++;
    redisAsyncHandleTimeout(e->context);
    redisLibsdeventLeave(e);
    return 0;
}

/* Makes the io source watch e->mask (nothing: disabled). */
static void redisLibsdeventUpdate(redisLibsdeventEvents *e) {
    if (e->mask == 0) {
        if (e->fdSource != NULL)
            sd_event_source_set_enabled(e->fdSource, SD_EVENT_OFF);
        return;
    }
    if (e->fdSource == NULL) {
        /* On failure (a bad fd) there is nothing to report through a void hook; the
         * context then simply never sees the event. */
        if (sd_event_add_io(e->event, &e->fdSource, e->fd, e->mask, redisLibsdeventIoHandler, e) >= 0)
            sd_event_source_set_prepare(e->fdSource, redisLibsdeventPrepare);
        return;
    }
    sd_event_source_set_io_events(e->fdSource, e->mask);
    sd_event_source_set_enabled(e->fdSource, SD_EVENT_ON);
}

static void redisLibsdeventAddRead(void *privdata) {
    redisLibsdeventEvents *e = (redisLibsdeventEvents *)privdata;
    if (!(e->mask & EPOLLIN)) {
        e->mask |= EPOLLIN;
        redisLibsdeventUpdate(e);
    }
}

static void redisLibsdeventDelRead(void *privdata) {
    redisLibsdeventEvents *e = (redisLibsdeventEvents *)privdata;
    if (e->mask & EPOLLIN) {
        e->mask &= ~(uint32_t)EPOLLIN;
        redisLibsdeventUpdate(e);
    }
}

/* A command: written by the next prepare callback, which runs while the io source is on
 * (reading). A write that stopped short (addWrite from inside our own write), a pending
 * connect, or no reading: watch for room. */
static void redisLibsdeventAddWrite(void *privdata) {
    redisLibsdeventEvents *e = (redisLibsdeventEvents *)privdata;
    if (!e->flushing && (e->context->c.flags & REDIS_CONNECTED) && (e->mask & EPOLLIN) &&
        e->fdSource != NULL) {
        if (!(e->mask & EPOLLOUT))
            e->flush = 1;
        return;
    }
    if (!(e->mask & EPOLLOUT)) {
        e->mask |= EPOLLOUT;
        redisLibsdeventUpdate(e);
    }
}

static void redisLibsdeventDelWrite(void *privdata) {
    redisLibsdeventEvents *e = (redisLibsdeventEvents *)privdata;
    if (e->mask & EPOLLOUT) {
        e->mask &= ~(uint32_t)EPOLLOUT;
        redisLibsdeventUpdate(e);
    }
}

static void redisLibsdeventCleanup(void *privdata) {
    redisLibsdeventEvents *e = (redisLibsdeventEvents *)privdata;
    if (e == NULL)
        return;
    if (e->dispatching) {
        /* Stop watching now (the fd is about to be closed); free on the way out. */
        e->released = 1;
        if (e->fdSource != NULL)
            sd_event_source_set_enabled(e->fdSource, SD_EVENT_OFF);
        if (e->timerSource != NULL)
            sd_event_source_set_enabled(e->timerSource, SD_EVENT_OFF);
        return;
    }
    redisLibsdeventFree(e);
}

/* Arms (or re-arms) the one-shot timer `tv` from now. The deadline is computed from the
 * clock itself: sd-event's relative timers count from the loop's cached time of its last
 * wakeup, which may be long past when the library calls this from outside the loop. */
static void redisLibsdeventSetTimeout(void *privdata, struct timeval tv) {
    redisLibsdeventEvents *e = (redisLibsdeventEvents *)privdata;
    struct timespec now;
    uint64_t when;

    clock_gettime(CLOCK_MONOTONIC, &now);
    when = (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u +
           (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
    if (e->timerSource == NULL) {
        sd_event_add_time(e->event, &e->timerSource, CLOCK_MONOTONIC, when, 1,
                          redisLibsdeventTimerHandler, e);
        return;
    }
    sd_event_source_set_time(e->timerSource, when);
    /* A one-shot source turns itself off when it fires: switch it back on. */
    sd_event_source_set_enabled(e->timerSource, SD_EVENT_ONESHOT);
}

static int redisLibsdeventAttach(redisAsyncContext *ac, struct sd_event *event) {
    redisLibsdeventEvents *e;

    if (ac == NULL || event == NULL || ac->ev.data != NULL)
        return REDIS_ERR;
    e = (redisLibsdeventEvents *)hi_calloc(1, sizeof(*e));
    if (e == NULL)
        return REDIS_ERR;
    e->context = ac;
    e->event = sd_event_ref(event);
    e->fd = ac->c.fd;

    ac->ev.addRead = redisLibsdeventAddRead;
    ac->ev.delRead = redisLibsdeventDelRead;
    ac->ev.addWrite = redisLibsdeventAddWrite;
    ac->ev.delWrite = redisLibsdeventDelWrite;
    ac->ev.cleanup = redisLibsdeventCleanup;
    ac->ev.scheduleTimer = redisLibsdeventSetTimeout;
    ac->ev.data = e;
    return REDIS_OK;
}

#endif
