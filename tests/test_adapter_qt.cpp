// adapters/qt.h against a real redis-server: see test_adapter_suite.h. Built with moc run
// on the installed header, as a Qt user of hiredis does (Makefile: test-c-build). Each
// context gets its own RedisQtAdapter; once every context is gone, none of them may still
// have a notifier switched on.
#define ADAPTER_NAME "qt"
#define ADAPTER_HAS_TIMERS 0
#include <QCoreApplication>
#include <QEventLoop>
#include <QList>
#include <QTimer>
#include <hiredis/adapters/qt.h>
#include "test_adapter_suite.h"

static QList<RedisQtAdapter *> *adapters;

static int adapter_attach(redisAsyncContext *ac) {
    RedisQtAdapter *a = new RedisQtAdapter();
    int rc = a->setContext(ac);
    if (rc == REDIS_OK)
        adapters->append(a);
    else
        delete a;
    return rc;
}

static void adapter_step(void) { QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents); }
static void adapter_step_nowait(void) { QCoreApplication::processEvents(QEventLoop::AllEvents); }

static int adapter_quiet(void) {
    int quiet = 1;
    for (RedisQtAdapter *a : *adapters) {
        for (QSocketNotifier *n : a->findChildren<QSocketNotifier *>())
            quiet &= !n->isEnabled();
        delete a;
    }
    adapters->clear();
    return quiet;
}

int main(int argc, char **argv) {
    QCoreApplication app(argc, argv);
    QList<RedisQtAdapter *> list;
    // Wakes a blocking step now and then, so a wait on the wall clock cannot hang it.
    QTimer heartbeat;
    heartbeat.start(100);
    adapters = &list;

    SECTION("the adapter object");
    {
        RedisQtAdapter a;
        CHECK(a.setContext(NULL) == REDIS_ERR, "NULL context refused");
        redisAsyncContext *ac = redisAsyncConnect(suite_host(), suite_port());
        CHECK(ac != NULL && ac->err == 0, "connect");
        if (ac != NULL) {
            RedisQtAdapter *b = new RedisQtAdapter();
            CHECK(b->setContext(ac) == REDIS_OK && ac->ev.data == b, "attach");
            CHECK(a.setContext(ac) == REDIS_ERR, "a second adapter refused");
            delete b; // detaches: the library must then see no hooks at all
            CHECK(ac->ev.data == NULL && ac->ev.addRead == NULL && ac->ev.cleanup == NULL,
                  "deleting the adapter detaches it");
            CHECK(a.setContext(ac) == REDIS_OK, "another adapter can take the context");
            redisAsyncSetConnectCallback(ac, NULL); // arms the write notifier
            CHECK(a.findChildren<QSocketNotifier *>().size() == 1, "a notifier for the write side");
            redisAsyncFree(ac);
            for (QSocketNotifier *n : a.findChildren<QSocketNotifier *>())
                CHECK(!n->isEnabled(), "cleanup switched the notifier off");
            ac = redisAsyncConnect(suite_host(), suite_port());
            CHECK(ac != NULL && ac->err == 0 && a.setContext(ac) == REDIS_OK,
                  "after cleanup the adapter takes a new context");
            redisAsyncFree(ac);
        }
    }

    run_adapter_suite();
    adapter_quiet();
    return tl_done();
}
