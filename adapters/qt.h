/* hiredis-rs adapter for Qt 5 (C++). RedisQtAdapter is a QObject, so the program runs moc
 * on this header (as with hiredis): e.g. `moc hiredis/adapters/qt.h -o moc_qt.cpp` and
 * compile moc_qt.cpp alongside, or let qmake/CMake AUTOMOC do it.
 *
 *   RedisQtAdapter adapter;
 *   adapter.setContext(ac);              // REDIS_ERR if ac already has an adapter
 *   app.exec();
 *
 * One QSocketNotifier per direction, made on first use. The read notifier stays on from the
 * first addRead for the connection's life. A command does not switch the write notifier
 * on: the adapter listens to the event dispatcher's aboutToBlock (and awake, for loops
 * that never wait) until the next one, and then writes everything the iteration's
 * callbacks queued in one go. The write notifier is on only while the socket is full (a
 * write that stopped short) or the connect is pending. There is no scheduleTimer (as in hiredis), so connect and command
 * timeouts are not enforced. Cleanup only switches the notifiers off and forgets the
 * context: it may run from inside a notifier's own signal, where deleting the notifier
 * is not safe; they go with the adapter (their parent), or (deleteLater) when it takes a
 * new context.
 * Destroying the adapter while its context lives detaches it (ev.data and hooks cleared). */
#ifndef __HIREDIS_QT_H__
#define __HIREDIS_QT_H__

#include <QAbstractEventDispatcher>
#include <QObject>
#include <QPointer>
#include <QSocketNotifier>
#include "../async.h"

class RedisQtAdapter : public QObject {

    Q_OBJECT

public:
    RedisQtAdapter(QObject *parent = 0)
        : QObject(parent), m_ctx(0), m_read(0), m_write(0), m_flush(false), m_flushing(false) {}

    ~RedisQtAdapter() { detach(); }

    int setContext(redisAsyncContext *ac) {
        /* hiredis would crash on NULL; a context with an adapter, or a second live context
         * for this one, is refused. */
        if (ac == 0 || ac->ev.data != 0 || m_ctx != 0)
            return REDIS_ERR;
        dropNotifiers();
        m_ctx = ac;
        ac->ev.data = this;
        ac->ev.addRead = hookAddRead;
        ac->ev.delRead = hookDelRead;
        ac->ev.addWrite = hookAddWrite;
        ac->ev.delWrite = hookDelWrite;
        ac->ev.cleanup = hookCleanup;
        return REDIS_OK;
    }

private:
    static RedisQtAdapter *self(void *privdata) { return static_cast<RedisQtAdapter *>(privdata); }
    static void hookAddRead(void *privdata) { self(privdata)->watch(&self(privdata)->m_read, QSocketNotifier::Read, true); }
    static void hookDelRead(void *privdata) { self(privdata)->watch(&self(privdata)->m_read, QSocketNotifier::Read, false); }
    static void hookAddWrite(void *privdata) { self(privdata)->addWrite(); }
    static void hookDelWrite(void *privdata) { self(privdata)->watch(&self(privdata)->m_write, QSocketNotifier::Write, false); }
    static void hookCleanup(void *privdata) {
        RedisQtAdapter *a = self(privdata);
        if (a == 0)
            return;
        a->quiet();
        a->m_ctx = 0;
    }

    void watch(QSocketNotifier **slot, QSocketNotifier::Type type, bool on) {
        if (*slot == 0) {
            if (!on || m_ctx == 0)
                return;
            *slot = new QSocketNotifier(m_ctx->c.fd, type, this);
            if (type == QSocketNotifier::Read)
                connect(*slot, SIGNAL(activated(int)), this, SLOT(read()));
            else
                connect(*slot, SIGNAL(activated(int)), this, SLOT(write()));
            return; /* a new notifier starts enabled */
        }
        (*slot)->setEnabled(on); /* does nothing when it already is */
    }

    bool writeWatched() const { return m_write != 0 && m_write->isEnabled(); }

    /* A command: written when the loop is about to block. A write that stopped short
     * (addWrite from inside our own write) or a pending connect: wait for room. */
    void addWrite() {
        if (m_ctx == 0)
            return;
        if (m_flushing || !(m_ctx->c.flags & REDIS_CONNECTED)) {
            watch(&m_write, QSocketNotifier::Write, true);
            return;
        }
        if (m_flush || writeWatched())
            return;
        QAbstractEventDispatcher *d = QAbstractEventDispatcher::instance(thread());
        if (d == 0) { /* no loop yet: the notifier will do */
            watch(&m_write, QSocketNotifier::Write, true);
            return;
        }
        m_flush = true;
        connect(d, SIGNAL(aboutToBlock()), this, SLOT(flush()), Qt::UniqueConnection);
        connect(d, SIGNAL(awake()), this, SLOT(flush()), Qt::UniqueConnection);
    }

    /* Writes, noting that an addWrite from inside means the socket is full. A callback
     * may delete this adapter (guard). */
    void doWrite() {
        QPointer<RedisQtAdapter> guard(this);
        m_flushing = true;
        redisAsyncHandleWrite(m_ctx);
        if (guard)
            m_flushing = false;
    }

    void quiet() {
        if (m_read != 0)
            m_read->setEnabled(false);
        if (m_write != 0)
            m_write->setEnabled(false);
    }

    /* deleteLater: setContext may run inside an old notifier's signal (a reconnect from a
     * callback). */
    void dropNotifiers() {
        if (m_read != 0)
            m_read->deleteLater();
        if (m_write != 0)
            m_write->deleteLater();
        m_read = m_write = 0;
    }

    void detach() {
        if (m_ctx == 0)
            return;
        quiet();
        m_ctx->ev.data = 0;
        m_ctx->ev.addRead = 0;
        m_ctx->ev.delRead = 0;
        m_ctx->ev.addWrite = 0;
        m_ctx->ev.delWrite = 0;
        m_ctx->ev.cleanup = 0;
        m_ctx = 0;
    }

private slots:
    void read() {
        if (m_ctx != 0)
            redisAsyncHandleRead(m_ctx);
    }
    void write() {
        if (m_ctx != 0)
            doWrite();
    }
    void flush() {
        QAbstractEventDispatcher *d = QAbstractEventDispatcher::instance(thread());
        if (d != 0)
            disconnect(d, 0, this, 0);
        if (!m_flush)
            return;
        m_flush = false;
        if (m_ctx != 0 && !writeWatched())
            doWrite();
    }

private:
    redisAsyncContext *m_ctx;
    QSocketNotifier *m_read;
    QSocketNotifier *m_write;
    bool m_flush;    /* a command waits for the next aboutToBlock / awake */
    bool m_flushing; /* inside redisAsyncHandleWrite */
};

#endif /* __HIREDIS_QT_H__ */
