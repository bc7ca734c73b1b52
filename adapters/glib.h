/* hiredis-rs adapter for the GLib main loop: the context becomes a GSource.
 *
 *   GSource *src = redis_source_new(ac);   // NULL if ac already has an adapter
 *   g_source_attach(src, NULL);            // the default GMainContext
 *   g_main_loop_run(loop);
 *
 * The GSource is the adapter state (GLib allocates and frees it with the source; the
 * caller owns the reference redis_source_new returns). When the context goes away,
 * cleanup drops the socket from the source and forgets the context; the source itself
 * stays attached and inert until its owner destroys it. GLib sources have no per-fd
 * timer hook here (as in hiredis): connect and command timeouts are not enforced.
 *
 * Read interest is set on the first addRead and kept for the connection's life. A command
 * does not ask for writability: the source's prepare function, which GLib runs before it
 * polls, writes everything the iteration's callbacks queued in one go. G_IO_OUT is polled
 * only while the socket is full (a write that stopped short) or the connect is pending. At
 * one command in flight that is a send, one poll and a recv per command. */
#ifndef __HIREDIS_GLIB_H__
#define __HIREDIS_GLIB_H__

#include <glib.h>
#include "../hiredis.h"
#include "../async.h"

typedef struct redisGlibEvents {
    GSource source;         /* first: the GSource is the state */
    redisAsyncContext *ac;  /* NULL once cleanup ran */
    GPollFD poll_fd;        /* fd = -1 once removed from the source */
    gushort events;         /* G_IO_IN / G_IO_OUT wanted */
    int dispatching;        /* inside our dispatch: the source is inert for nested loops */
    gboolean flush;         /* a command is waiting for the next prepare */
    gboolean flushing;      /* inside redisAsyncHandleWrite: an addWrite means it stopped short */
} redisGlibEvents;

/* hiredis's name for the same thing. */
typedef redisGlibEvents RedisSource;

/* A loop sleeping in poll() in another thread must see a change; from inside the loop's own
 * iteration (callbacks, prepare) the next poll picks it up anyway. */
static void redis_source_wakeup(redisGlibEvents *s) {
    GMainContext *ctx = g_source_get_context(&s->source);
    if (ctx != NULL && !g_main_context_is_owner(ctx))
        g_main_context_wakeup(ctx);
}

/* What GLib polls for: nothing while a nested loop runs inside one of our callbacks. */
static void redis_source_apply(redisGlibEvents *s) {
    s->poll_fd.events = s->dispatching ? 0 : s->events;
}

static void redis_source_set_events(gpointer data, gushort flag, gboolean on) {
    redisGlibEvents *s = (redisGlibEvents *)data;
    gushort events = on ? (gushort)(s->events | flag) : (gushort)(s->events & ~flag);

    if (events == s->events)
        return;
    s->events = events;
    redis_source_apply(s);
    redis_source_wakeup(s);
}

static void redis_source_add_read(gpointer data) { redis_source_set_events(data, G_IO_IN, TRUE); }
static void redis_source_del_read(gpointer data) { redis_source_set_events(data, G_IO_IN, FALSE); }
static void redis_source_del_write(gpointer data) { redis_source_set_events(data, G_IO_OUT, FALSE); }

/* A command: written by the next prepare. A write that stopped short (addWrite from inside
 * our own write) or a pending connect: poll for room. */
static void redis_source_add_write(gpointer data) {
    redisGlibEvents *s = (redisGlibEvents *)data;

    if (s->ac == NULL)
        return;
    if (s->flushing || !(s->ac->c.flags & REDIS_CONNECTED)) {
        redis_source_set_events(data, G_IO_OUT, TRUE);
    } else if (!s->flush && !(s->events & G_IO_OUT)) {
        s->flush = TRUE;
        redis_source_wakeup(s);
    }
}

/* s stays valid through the write (GLib holds a reference while it runs our functions);
 * a cleanup inside it clears s->ac. */
static void redis_source_write(redisGlibEvents *s) {
    s->flushing = TRUE;
    redisAsyncHandleWrite(s->ac);
    s->flushing = FALSE;
}

static void redis_source_drop_fd(redisGlibEvents *s) {
    if (s->poll_fd.fd >= 0) {
        g_source_remove_poll(&s->source, &s->poll_fd);
        s->poll_fd.fd = -1;
    }
}

static void redis_source_cleanup(gpointer data) {
    redisGlibEvents *s = (redisGlibEvents *)data;

    s->ac = NULL;
    s->events = s->poll_fd.events = s->poll_fd.revents = 0;
    redis_source_drop_fd(s); /* the context closes the fd right after this */
}

/* Ready when the socket reported something we asked for. Hang-ups and errors count:
 * the read or write then finds out what happened. */
static gboolean redis_source_ready(redisGlibEvents *s) {
    return s->ac != NULL && !s->dispatching &&
           (s->poll_fd.revents & (s->events | G_IO_HUP | G_IO_ERR)) != 0 &&
           s->events != 0;
}

/* GLib calls this before it polls: the place for the writes of this iteration. */
static gboolean redis_source_prepare(GSource *source, gint *timeout) {
    redisGlibEvents *s = (redisGlibEvents *)source;

    *timeout = -1;
    /* (Not from a nested loop inside our callback: the library would ignore the write.) */
    if (s->flush && !s->dispatching) {
        s->flush = FALSE;
        if (s->ac != NULL && !(s->events & G_IO_OUT))
            redis_source_write(s);
    }
    return redis_source_ready(s);
}

static gboolean redis_source_check(GSource *source) {
    return redis_source_ready((redisGlibEvents *)source);
}

/* Write first (that is how a pending connect completes), then read. The context may be
 * freed by either step: cleanup then clears s->ac, while s stays valid (GLib holds a
 * reference for the whole dispatch). The source may recurse (GLib would otherwise take its
 * fd out of the poll set and put it back around every dispatch, waking itself up twice);
 * instead it polls for nothing and reports nothing while its dispatch is on the stack. */
static gboolean redis_source_dispatch(GSource *source, GSourceFunc callback, gpointer user_data) {
    redisGlibEvents *s = (redisGlibEvents *)source;
    gushort rev = s->poll_fd.revents;
    gboolean keep;

    s->poll_fd.revents = 0;
    s->dispatching++;
    redis_source_apply(s);
    if (s->ac != NULL && (s->events & G_IO_OUT) && (rev & (G_IO_OUT | G_IO_HUP | G_IO_ERR)))
        redis_source_write(s);
    if (s->ac != NULL && (s->events & G_IO_IN) && (rev & (G_IO_IN | G_IO_HUP | G_IO_ERR)))
        redisAsyncHandleRead(s->ac);
    keep = callback != NULL ? callback(user_data) : G_SOURCE_CONTINUE;
    s->dispatching--;
    redis_source_apply(s);
    return keep;
}

static void redis_source_finalize(GSource *source) {
    redis_source_drop_fd((redisGlibEvents *)source);
}

static GSource *redis_source_new(redisAsyncContext *ac) {
    /* Every member spelled out (the last two are GLib-private), so C and C++ accept it. */
    static GSourceFuncs funcs = {
        redis_source_prepare, redis_source_check, redis_source_dispatch,
        redis_source_finalize, NULL, NULL,
    };
    redisGlibEvents *s;

    g_return_val_if_fail(ac != NULL, NULL);
    if (ac->ev.data != NULL)
        return NULL; /* one adapter per context */

    s = (redisGlibEvents *)g_source_new(&funcs, sizeof(*s));
    s->ac = ac;
    s->poll_fd.fd = ac->c.fd;
    g_source_add_poll(&s->source, &s->poll_fd);
    g_source_set_can_recurse(&s->source, TRUE);

    ac->ev.addRead = redis_source_add_read;
    ac->ev.delRead = redis_source_del_read;
    ac->ev.addWrite = redis_source_add_write;
    ac->ev.delWrite = redis_source_del_write;
    ac->ev.cleanup = redis_source_cleanup;
    ac->ev.data = s;
    return &s->source;
}

#endif /* __HIREDIS_GLIB_H__ */
