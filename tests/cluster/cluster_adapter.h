/* The event-loop binding of the scenarios built once per cluster adapter: a program
 * tests/cluster/test_cluster_<scenario>_any.c is compiled by the Makefile's test-cluster-build
 * once for each of ae, glib, libev, libevent, libuv and poll, with -DCL_ADAPTER_<NAME>, into
 * test_cluster_<scenario>_<name> (linked with that loop's library by its name, as the other
 * tests are). It includes this file, which gives it:
 *
 *   ADAPTER_NAME             "libevent", "poll", ...
 *   cl_loop_init()           makes the loop, with a repeating 10 ms timer in it
 *   cl_loop_free()           frees it
 *   cl_adapter_attach(acc)   the adapter's redisCluster...Attach on that loop
 *   cl_step()                one iteration of the loop (returns within ~10 ms)
 *   cl_async_free(acc)       redisClusterAsyncFree (poll: and stops ticking it)
 *   CL_ADAPTER_HAS_TIMER     defined where the hiredis adapter schedules timers (command and
 *                            connect timeouts): not ae and glib, as in hiredis 1.4.1
 *
 * and the loops every scenario uses on top: cl_run_until(&flag, want, secs) (steps until
 * flag >= want), cl_run_until_eq (until flag == want) and cl_run_for(secs). */
#ifndef HIREDIS_RS_CLUSTER_ADAPTER_H
#define HIREDIS_RS_CLUSTER_ADAPTER_H

#include "cluster_test.h"

#if defined(CL_ADAPTER_AE)
#define ADAPTER_NAME "ae"
#include <hiredis_cluster/adapters/ae.h>
static aeEventLoop *cl_loop;
static int cl_tick(aeEventLoop *l, long long id, void *data) { (void)l; (void)id; (void)data; return 10; }
static void cl_loop_init(void) {
    cl_loop = aeCreateEventLoop(1024);
    aeCreateTimeEvent(cl_loop, 10, cl_tick, NULL, NULL);
}
static void cl_loop_free(void) { aeDeleteEventLoop(cl_loop); }
static int cl_adapter_attach(redisClusterAsyncContext *acc) { return redisClusterAeAttach(cl_loop, acc); }
static void cl_step(void) { aeProcessEvents(cl_loop, AE_ALL_EVENTS); }

#elif defined(CL_ADAPTER_GLIB)
#define ADAPTER_NAME "glib"
#include <hiredis_cluster/adapters/glib.h>
static redisClusterGlibAdapter cl_glib;
static GSource *cl_timer;
static gboolean cl_tick(gpointer data) { (void)data; return G_SOURCE_CONTINUE; }
static void cl_loop_init(void) {
    cl_glib.context = g_main_context_new();
    cl_timer = g_timeout_source_new(10);
    g_source_set_callback(cl_timer, cl_tick, NULL, NULL);
    g_source_attach(cl_timer, cl_glib.context);
}
static void cl_loop_free(void) {
    g_source_destroy(cl_timer);
    g_source_unref(cl_timer);
    g_main_context_unref(cl_glib.context);
}
static int cl_adapter_attach(redisClusterAsyncContext *acc) { return redisClusterGlibAttach(acc, acc ? &cl_glib : NULL); }
static void cl_step(void) { g_main_context_iteration(cl_glib.context, TRUE); }

#elif defined(CL_ADAPTER_LIBEV)
#define ADAPTER_NAME "libev"
#define CL_ADAPTER_HAS_TIMER
#include <hiredis_cluster/adapters/libev.h>
static struct ev_loop *cl_loop;
static ev_timer cl_timer;
static void cl_tick(EV_P_ ev_timer *w, int revents) { (void)loop; (void)w; (void)revents; }
static void cl_loop_init(void) {
    cl_loop = ev_default_loop(0);
    ev_timer_init(&cl_timer, cl_tick, 0.01, 0.01);
    ev_timer_start(cl_loop, &cl_timer);
}
static void cl_loop_free(void) {
    ev_timer_stop(cl_loop, &cl_timer);
    ev_loop_destroy(cl_loop);
}
static int cl_adapter_attach(redisClusterAsyncContext *acc) { return redisClusterLibevAttach(acc, cl_loop); }
static void cl_step(void) { ev_run(cl_loop, EVRUN_ONCE); }

#elif defined(CL_ADAPTER_LIBEVENT)
#define ADAPTER_NAME "libevent"
#define CL_ADAPTER_HAS_TIMER
#include <hiredis_cluster/adapters/libevent.h>
#include <event2/event.h>
static struct event_base *cl_base;
static struct event *cl_timer;
static void cl_tick(evutil_socket_t fd, short what, void *arg) { (void)fd; (void)what; (void)arg; }
static void cl_loop_init(void) {
    struct timeval tv = {0, 10000};
    cl_base = event_base_new();
    cl_timer = event_new(cl_base, -1, EV_PERSIST, cl_tick, NULL);
    event_add(cl_timer, &tv);
}
static void cl_loop_free(void) {
    event_free(cl_timer);
    event_base_free(cl_base);
}
static int cl_adapter_attach(redisClusterAsyncContext *acc) { return redisClusterLibeventAttach(acc, cl_base); }
static void cl_step(void) { event_base_loop(cl_base, EVLOOP_ONCE); }

#elif defined(CL_ADAPTER_LIBUV)
#define ADAPTER_NAME "libuv"
#define CL_ADAPTER_HAS_TIMER
#include <hiredis_cluster/adapters/libuv.h>
static uv_loop_t cl_loop;
static uv_timer_t cl_timer;
static void cl_tick(uv_timer_t *t) { (void)t; }
static void cl_loop_init(void) {
    uv_loop_init(&cl_loop);
    uv_timer_init(&cl_loop, &cl_timer);
    uv_timer_start(&cl_timer, cl_tick, 10, 10);
}
static void cl_loop_free(void) {
    uv_timer_stop(&cl_timer);
    uv_close((uv_handle_t *)&cl_timer, NULL);
    uv_run(&cl_loop, UV_RUN_NOWAIT);
    CHECK(uv_loop_close(&cl_loop) == 0, "libuv: every handle released");
}
static int cl_adapter_attach(redisClusterAsyncContext *acc) { return redisClusterLibuvAttach(acc, &cl_loop); }
static void cl_step(void) { uv_run(&cl_loop, UV_RUN_ONCE); }

#elif defined(CL_ADAPTER_POLL)
#define ADAPTER_NAME "poll"
#define CL_ADAPTER_HAS_TIMER
#include <hiredis_cluster/adapters/poll.h>
/* The poll adapter has no loop of its own: each step ticks the last context attached. */
static redisClusterAsyncContext *cl_ticked;
static void cl_loop_init(void) {}
static void cl_loop_free(void) {}
static int cl_adapter_attach(redisClusterAsyncContext *acc) {
    int rc = redisClusterPollAttach(acc);
    if (rc == REDIS_OK) cl_ticked = acc;
    return rc;
}
static void cl_step(void) {
    /* A tick with no node context to wait on returns at once: sleep instead. */
    double t0 = cl_now();
    int handled = cl_ticked ? redisClusterPollTick(cl_ticked, 0.01) : 0;
    if (handled <= 0 && cl_now() - t0 < 0.001) usleep(1000);
}

#else
#error "define one of CL_ADAPTER_AE, _GLIB, _LIBEV, _LIBEVENT, _LIBUV, _POLL"
#endif

static inline void cl_async_free(redisClusterAsyncContext *acc) {
#if defined(CL_ADAPTER_POLL)
    if (acc == cl_ticked) cl_ticked = NULL;
#endif
    redisClusterAsyncFree(acc);
}

static inline int cl_run_until(int *flag, int want, double secs) {
    double end = cl_now() + secs;
    while (*flag < want && cl_now() < end) cl_step();
    return *flag >= want;
}
/* Steps until *flag is exactly want (a count going down to 0, or one that must not overshoot). */
static inline int cl_run_until_eq(int *flag, int want, double secs) {
    double end = cl_now() + secs;
    while (*flag != want && cl_now() < end) cl_step();
    return *flag == want;
}
static inline void cl_run_for(double secs) {
    double end = cl_now() + secs;
    while (cl_now() < end) cl_step();
}

#endif
