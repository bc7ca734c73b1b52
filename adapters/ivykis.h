/* hiredis-rs adapter for ivykis.
 *
 *   iv_init();
 *   redisIvykisAttach(ac);               // REDIS_ERR if ac already has an adapter
 *   iv_main();                           // returns once nothing is registered anymore
 *   iv_deinit();
 *
 * One iv_fd, registered at attach with both handlers on (as hiredis does: the first
 * readiness tells the library the connection is up); the add/del hooks switch the
 * handlers. ivykis has timers, but like hiredis's adapter this one does not use them:
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
    int dispatching; /* inside one of our handlers */
    int released;    /* cleanup ran while dispatching */
} redisIvykisEvents;

static void redisIvykisDispatch(redisIvykisEvents *e, int write) {
    e->dispatching++;
    if (write)
        redisAsyncHandleWrite(e->context);
    else
        redisAsyncHandleRead(e->context);
    if (--e->dispatching == 0 && e->released)
        hi_free(e);
}

static void redisIvykisReadEvent(void *cookie) { redisIvykisDispatch((redisIvykisEvents *)cookie, 0); }
static void redisIvykisWriteEvent(void *cookie) { redisIvykisDispatch((redisIvykisEvents *)cookie, 1); }

static void redisIvykisAddRead(void *privdata) {
    redisIvykisEvents *e = (redisIvykisEvents *)privdata;
    iv_fd_set_handler_in(&e->fd, redisIvykisReadEvent);
}

static void redisIvykisDelRead(void *privdata) {
    redisIvykisEvents *e = (redisIvykisEvents *)privdata;
    iv_fd_set_handler_in(&e->fd, NULL);
}

static void redisIvykisAddWrite(void *privdata) {
    redisIvykisEvents *e = (redisIvykisEvents *)privdata;
    iv_fd_set_handler_out(&e->fd, redisIvykisWriteEvent);
}

static void redisIvykisDelWrite(void *privdata) {
    redisIvykisEvents *e = (redisIvykisEvents *)privdata;
    iv_fd_set_handler_out(&e->fd, NULL);
}

static void redisIvykisCleanup(void *privdata) {
    redisIvykisEvents *e = (redisIvykisEvents *)privdata;
    if (e == NULL)
        return;
    if (iv_fd_registered(&e->fd))
        iv_fd_unregister(&e->fd);
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
