/* A second copy of the library, loaded with dlopen and used by a thread (which then holds a
 * reply cache that the library frees when the thread exits), is dlclose'd while that thread
 * still runs: the library must stay loaded, so the thread's exit does not call into unmapped
 * code. Needs no server. */
#define _GNU_SOURCE
#include <hiredis/hiredis.h>

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testlib.h"

typedef struct {
    redisReader *(*create)(void);
    int (*feed)(redisReader *, const char *, size_t);
    int (*get)(redisReader *, void **);
    void (*free_reply)(void *);
    void (*free_reader)(redisReader *);
} api;

static api lib;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int used, may_exit, replies;

static void *user(void *arg) {
    (void)arg;
    for (int k = 0; k < 10; k++) {
        redisReader *r = lib.create();
        void *reply = NULL;
        lib.feed(r, "*2\r\n+a\r\n$3\r\nbcd\r\n", 17);
        if (lib.get(r, &reply) == REDIS_OK && reply && ((redisReply *)reply)->elements == 2) replies++;
        lib.free_reply(reply);
        lib.free_reader(r);
    }
    pthread_mutex_lock(&mu);
    used = 1;
    pthread_cond_broadcast(&cv);
    while (!may_exit) pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    return NULL;
}

/* Copies the file at `from` to `to`; 0 on success. */
static int copy_file(const char *from, const char *to) {
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    int rc = -1;
    if (in && out) {
        char buf[65536];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, in)) > 0)
            if (fwrite(buf, 1, n, out) != n) break;
        rc = ferror(in) || ferror(out) ? -1 : 0;
    }
    if (in) fclose(in);
    if (out && fclose(out) != 0) rc = -1;
    return rc;
}

int main(void) {
    SECTION("dlclose while a thread holds a reply cache of that library");
    /* The library this program links, copied under another name: a different file is a
     * second, separately loaded instance, which dlclose can unload. */
    Dl_info info;
    CHECK(dladdr((void *)redisReaderCreate, &info) && info.dli_fname, "found the linked library");
    char dir[] = "/tmp/hiredis-rs-dlclose.XXXXXX", copy[256];
    CHECK(mkdtemp(dir) != NULL, "temp dir");
    snprintf(copy, sizeof copy, "%s/libcopy.so", dir);
    CHECK(copy_file(info.dli_fname, copy) == 0, "copied %s", info.dli_fname);

    void *h = dlopen(copy, RTLD_NOW | RTLD_LOCAL);
    CHECK(h != NULL, "dlopen the copy: %s", h ? "" : dlerror());
    if (h) {
        *(void **)&lib.create = dlsym(h, "redisReaderCreate");
        *(void **)&lib.feed = dlsym(h, "redisReaderFeed");
        *(void **)&lib.get = dlsym(h, "redisReaderGetReply");
        *(void **)&lib.free_reply = dlsym(h, "freeReplyObject");
        *(void **)&lib.free_reader = dlsym(h, "redisReaderFree");
        CHECK(lib.create && lib.feed && lib.get && lib.free_reply && lib.free_reader, "symbols");
        CHECK(lib.create != redisReaderCreate, "a second instance");

        pthread_t t;
        pthread_create(&t, NULL, user, NULL);
        pthread_mutex_lock(&mu);
        while (!used) pthread_cond_wait(&cv, &mu);
        pthread_mutex_unlock(&mu);
        CHECK(replies == 10, "%d of 10 replies read by the copy", replies);

        CHECK(dlclose(h) == 0, "dlclose");
        const char *off = getenv("HIREDIS_RS_REPLY_CACHE");
        if (!(off && !strcmp(off, "0"))) {
            /* The thread has a cache: the copy stays mapped for its exit. */
            void *again = dlopen(copy, RTLD_NOW | RTLD_NOLOAD);
            CHECK(again != NULL, "the copy is still loaded after dlclose");
            if (again) dlclose(again);
        }
        pthread_mutex_lock(&mu);
        may_exit = 1;
        pthread_cond_broadcast(&cv);
        pthread_mutex_unlock(&mu);
        pthread_join(t, NULL);
        CHECK(1, "the thread exited after dlclose");
    }
    unlink(copy);
    rmdir(dir);
    return tl_done();
}
