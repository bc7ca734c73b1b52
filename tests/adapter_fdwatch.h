/* For adapter tests whose loop cannot list what it watches: asks the kernel instead.
 * fdwatch_init() remembers the epoll instances the process has; fdwatch_watched(fd) says
 * whether one of them still watches fd (from /proc/self/fdinfo). Called right after an
 * adapter's cleanup, before the library closes the socket, it catches a registration the
 * adapter left behind (the kernel would drop it silently at close).
 *
 * To check every cleanup that way, a test's adapter_attach returns
 * fdwatch_wrap(ac, <the adapter's attach>, checked), where its own cleanup hook `checked`
 * calls fdwatch_cleanup(privdata, fd): the adapter's cleanup runs, is counted in
 * fdwatch_cleanups, and in fdwatch_dirty when fd is still watched afterwards. */
#ifndef HIREDIS_RS_TEST_ADAPTER_FDWATCH_H
#define HIREDIS_RS_TEST_ADAPTER_FDWATCH_H

#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FDWATCH_MAX 8
static int fdwatch_epolls[FDWATCH_MAX];
static int fdwatch_n;

/* Returns how many epoll instances were found. */
static inline int fdwatch_init(void) {
    DIR *d = opendir("/proc/self/fd");
    struct dirent *de;
    char path[64], target[64];

    fdwatch_n = 0;
    if (d == NULL)
        return 0;
    while ((de = readdir(d)) != NULL && fdwatch_n < FDWATCH_MAX) {
        ssize_t n;
        if (de->d_name[0] < '0' || de->d_name[0] > '9')
            continue;
        snprintf(path, sizeof(path), "/proc/self/fd/%d", atoi(de->d_name));
        n = readlink(path, target, sizeof(target) - 1);
        if (n <= 0)
            continue;
        target[n] = '\0';
        if (strcmp(target, "anon_inode:[eventpoll]") == 0)
            fdwatch_epolls[fdwatch_n++] = atoi(de->d_name);
    }
    closedir(d);
    return fdwatch_n;
}

static inline int fdwatch_watched(int fd) {
    char path[64], line[256];
    for (int i = 0; i < fdwatch_n; i++) {
        FILE *f;
        snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fdwatch_epolls[i]);
        if ((f = fopen(path, "r")) == NULL)
            continue;
        while (fgets(line, sizeof(line), f) != NULL) {
            int tfd;
            if (sscanf(line, "tfd: %d", &tfd) == 1 && tfd == fd) {
                fclose(f);
                return 1;
            }
        }
        fclose(f);
    }
    return 0;
}

static void (*fdwatch_adapter_cleanup)(void *);
static long fdwatch_cleanups, fdwatch_dirty;

/* After an attach returned rc: on success, `checked` replaces the adapter's cleanup hook. */
static inline int fdwatch_wrap(redisAsyncContext *ac, int rc, void (*checked)(void *)) {
    if (rc == REDIS_OK) {
        fdwatch_adapter_cleanup = ac->ev.cleanup;
        ac->ev.cleanup = checked;
    }
    return rc;
}

/* Runs the adapter's cleanup (privdata may be gone afterwards), then checks fd left epoll. */
static inline void fdwatch_cleanup(void *privdata, int fd) {
    fdwatch_adapter_cleanup(privdata);
    fdwatch_cleanups++;
    if (fdwatch_watched(fd))
        fdwatch_dirty++;
}

#endif
