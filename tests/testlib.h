/* A tiny pass/fail harness for the C tests. Each test program prints one line per check and
 * ends with "N passed, M failed", exiting non-zero when anything failed. */
#ifndef HIREDIS_RS_TESTLIB_H
#define HIREDIS_RS_TESTLIB_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tl_passed, tl_failed;

#define CHECK(cond, ...) do {                                   \
        if (cond) { tl_passed++; }                              \
        else {                                                  \
            tl_failed++;                                        \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);         \
            printf(__VA_ARGS__);                                \
            printf("  [%s]\n", #cond);                          \
        }                                                       \
    } while (0)

#define SECTION(name) printf("-- %s\n", name)

static inline int tl_done(void) {
    printf("%d passed, %d failed\n", tl_passed, tl_failed);
    return tl_failed ? 1 : 0;
}

static inline const char *tl_env(const char *name, const char *dflt) {
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

/* Under valgrind (its preload library is in LD_PRELOAD) everything is ~30x slower. */
static inline int tl_under_valgrind(void) {
    const char *pre = getenv("LD_PRELOAD");
    return pre != NULL && strstr(pre, "vgpreload") != NULL;
}

/* The length of the big async pipelines: ASYNC_PIPELINE_N, else a million (a tenth under
 * valgrind). */
static inline long tl_async_pipeline_n(void) {
    return atol(tl_env("ASYNC_PIPELINE_N", tl_under_valgrind() ? "100000" : "1000000"));
}

#endif
