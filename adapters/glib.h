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
 * timer hook here (as in hiredis): connect and command timeouts are not enforced. */
#ifndef __HIREDIS_GLIB_H__
#define __HIREDIS_GLIB_H__

#include <glib.h>
#include "../hiredis.h"
#include "../async.h"

typedef struct redisGlibEvents {
    GSource source;         /* first: the GSource is the state */
    redisAsyncContext *ac;  /* NULL once cleanup ran */
    GPollFD poll_fd;        /* fd = -1 once removed from the source */
} redisGlibEvents;

/* hiredis's name for the same thing. */
typedef redisGlibEvents RedisSource;

static void redis_source_set_events(gpointer data, gushort flag, gboolean on) {
    redisGlibEvents *s = (redisGlibEvents *)data;
    GMainContext *ctx;

    if (on)
        s->poll_fd.events |= flag;
    else
        s->poll_fd.events &= (gushort)~flag;
    /* A loop already sleeping in poll() must pick up the new interest set. */
    ctx = g_source_get_context(&s->source);
    if (ctx != NULL)
        g_main_context_wakeup(ctx);
}

static void redis_source_add_read(gpointer data) { redis_source_set_events(data, G_IO_IN, TRUE); }
static void redis_source_del_read(gpointer data) { redis_source_set_events(data, G_IO_IN, FALSE); }
static void redis_source_add_write(gpointer data) { redis_source_set_events(data, G_IO_OUT, TRUE); }
static void redis_source_del_write(gpointer data) { redis_source_set_events(data, G_IO_OUT, FALSE); }

static void redis_source_drop_fd(redisGlibEvents *s) {
    if (s->poll_fd.fd >= 0) {
        g_source_remove_poll(&s->source, &s->poll_fd);
        s->poll_fd.fd = -1;
    }
}

static void redis_source_cleanup(gpointer data) {
    redisGlibEvents *s = (redisGlibEvents *)data;

    s->ac = NULL;
    s->poll_fd.events = s->poll_fd.revents = 0;
    redis_source_drop_fd(s); /* the context closes the fd right after this */
}

/* Ready when the socket reported something we asked for. Hang-ups and errors count:
 * the read or write then finds out what happened. */
static gboolean redis_source_ready(redisGlibEvents *s) {
    return s->ac != NULL &&
           (s->poll_fd.revents & (s->poll_fd.events | G_IO_HUP | G_IO_ERR)) != 0 &&
           s->poll_fd.events != 0;
}

static gboolean redis_source_prepare(GSource *source, gint *timeout) {
    *timeout = -1;
    return redis_source_ready((redisGlibEvents *)source);
}

static gboolean redis_source_check(GSource *source) {
    return redis_source_ready((redisGlibEvents *)source);
}

/* Write first (that is how a pending connect completes), then read. The context may be
 * freed by either step: cleanup then clears s->ac, while s stays valid (GLib holds a
 * reference for the whole dispatch). */
static gboolean redis_source_dispatch(GSource *source, GSourceFunc callback, gpointer user_data) {
    redisGlibEvents *s = (redisGlibEvents *)source;
    gushort rev = s->poll_fd.revents;

    s->poll_fd.revents = 0;
    if (s->ac != NULL && (s->poll_fd.events & G_IO_OUT) && (rev & (G_IO_OUT | G_IO_HUP | G_IO_ERR)))
        redisAsyncHandleWrite(s->ac);
    if (s->ac != NULL && (s->poll_fd.events & G_IO_IN) && (rev & (G_IO_IN | G_IO_HUP | G_IO_ERR)))
        redisAsyncHandleRead(s->ac);
    return callback != NULL ? callback(user_data) : G_SOURCE_CONTINUE;
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

    ac->ev.addRead = redis_source_add_read;
    ac->ev.delRead = redis_source_del_read;
    ac->ev.addWrite = redis_source_add_write;
    ac->ev.delWrite = redis_source_del_write;
    ac->ev.cleanup = redis_source_cleanup;
    ac->ev.data = s;
    return &s->source;
}

#endif /* __HIREDIS_GLIB_H__ */
