/* hiredis-rs adapter for ivykis.
 *
 *   iv_init();
 *   redisIvykisAttach(ac);               // REDIS_ERR if ac already has an adapter
 *   iv_main();                           // returns once nothing is registered anymore
 *   iv_deinit();
 *
 * One iv_fd, registered at attach with both handlers on (as hiredis does: the first
 * readiness tells the library the connection is up); the add/del hooks switch the
 * handlers. The read handler stays on for the connection's life. A command does not ask for
 * writability: it registers an iv_task, which ivykis runs before it next polls, and that
 * writes everything the iteration's callbacks queued in one go. The write handler is on
 * only while the socket is full (a write that stopped short) or the connect is pending. At
 * one command in flight that is a send, one epoll_wait and a recv per command. ivykis has timers, but like hiredis's adapter this one does not use them:
 * no scheduleTimer, so connect and command timeouts are not enforced.
 * A cleanup from inside one of our handlers unregisters at once and frees the state when
 * that handler returns. */
#ifndef __HIREDIS_IVYKIS_H__
#define __HIREDIS_IVYKIS_H__

#include <iv.h>
#include "../hiredis.h"
#include "../async.h"

typedef struct redisIvykisEvents {
    redisAsyncContext *context;
    struct iv_fd fd;
    struct iv_task flush; /* registered by addWrite, runs before ivykis polls */
    int flushing;    /* inside redisAsyncHandleWrite: an addWrite means it stopped short */
    int dispatching; /* inside one of our handlers */
    int released;    /* cleanup ran while dispatching */
} redisIvykisEvents;

static void redisIvykisDispatch(redisIvykisEvents *e, int write) {
    e->dispatching++;
    if (write) {
        e->flushing = 1;
        redisAsyncHandleWrite(e->context);
        e->flushing = 0; /* e lives until the end of this function */
    } else {
        redisAsyncHandleRead(e->context);
    }
    if (--e->dispatching == 0 && e->released)
        hi_free(e);
}

static void redisIvykisReadEvent(void *cookie) { redisIvykisDispatch((redisIvykisEvents *)cookie, 0); }
static void redisIvykisWriteEvent(void *cookie) { redisIvykisDispatch((redisIvykisEvents *)cookie, 1); }

/* Before ivykis polls: write what the commands of this iteration queued. */
static void redisIvykisFlush(void *cookie) {
    redisIvykisEvents *e = (redisIvykisEvents *)cookie;
    if (e->fd.handler_out == NULL) /* else the socket is full: the write handler waits for room */
        redisIvykisDispatch(e, 1);
}

static void redisIvykisAddRead(void *privdata) {
    redisIvykisEvents *e = (redisIvykisEvents *)privdata;
    if (e->fd.handler_in == NULL)
        iv_fd_set_handler_in(&e->fd, redisIvykisReadEvent);
}

static void redisIvykisDelRead(void *privdata) {
    redisIvykisEvents *e = (redisIvykisEvents *)privdata;
    if (e->fd.handler_in != NULL)
        iv_fd_set_handler_in(&e->fd, NULL);
}

/* A command: written by the flush task. A write that stopped short (addWrite from inside our
 * own write) or a pending connect: wait for room. */
static void redisIvykisAddWrite(void *privdata) {
    redisIvykisEvents *e = (redisIvykisEvents *)privdata;
    if (e->flushing || !(e->context->c.flags & REDIS_CONNECTED)) {
        if (e->fd.handler_out == NULL)
            iv_fd_set_handler_out(&e->fd, redisIvykisWriteEvent);
    } else if (e->fd.handler_out == NULL && !iv_task_registered(&e->flush)) {
        iv_task_register(&e->flush);
    }
}

static void redisIvykisDelWrite(void *privdata) {
    redisIvykisEvents *e = (redisIvykisEvents *)privdata;
    if (e->fd.handler_out != NULL)
        iv_fd_set_handler_out(&e->fd, NULL);
}

static void redisIvykisCleanup(void *privdata) {
    redisIvykisEvents *e = (redisIvykisEvents *)privdata;
    if (e == NULL)
        return;
    if (iv_fd_registered(&e->fd))
        iv_fd_unregister(&e->fd);
    if (iv_task_registered(&e->flush))
        iv_task_unregister(&e->flush);
    if (e->dispatching)
        e->released = 1; /* the running handler frees it */
    else
        hi_free(e);
}

static int redisIvykisAttach(redisAsyncContext *ac) {
    redisIvykisEvents *e;

    if (ac == NULL || ac->ev.data != NULL)
        return REDIS_ERR;
    e = (redisIvykisEvents *)hi_calloc(1, sizeof(*e));
    if (e == NULL)
        return REDIS_ERR;
    e->context = ac;
    IV_FD_INIT(&e->fd);
    e->fd.fd = ac->c.fd;
    e->fd.cookie = e;
    e->fd.handler_in = redisIvykisReadEvent;
    e->fd.handler_out = redisIvykisWriteEvent;
    e->fd.handler_err = NULL;
    IV_TASK_INIT(&e->flush);
    e->flush.cookie = e;
    e->flush.handler = redisIvykisFlush;

    /* hiredis uses iv_fd_register, which aborts the program on a bad descriptor; the
     * _try variant lets us report REDIS_ERR instead. */
    if (iv_fd_register_try(&e->fd) != 0) {
        hi_free(e);
        return REDIS_ERR;
    }
    ac->ev.addRead = redisIvykisAddRead;
    ac->ev.delRead = redisIvykisDelRead;
    ac->ev.addWrite = redisIvykisAddWrite;
    ac->ev.delWrite = redisIvykisDelWrite;
    ac->ev.cleanup = redisIvykisCleanup;
    ac->ev.data = e;
    return REDIS_OK;
}

#endif
