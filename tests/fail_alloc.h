/* Allocator hooks for the allocation-failure tests: arm(n) makes the nth hook allocation from
 * then on fail (once); `live` counts hook blocks not yet freed, `failed_once` says whether the
 * armed failure happened. Install with hiredisSetAllocators(&FAIL_ALLOC_FNS). */
#ifndef HIREDIS_RS_FAIL_ALLOC_H
#define HIREDIS_RS_FAIL_ALLOC_H

#include <hiredis/alloc.h>
#include <stdlib.h>
#include <string.h>

static long calls, fail_at = -1, live;
static int armed, failed_once;

static int should_fail(void) {
    if (!armed) return 0;
    if (++calls == fail_at) {
        failed_once = 1;
        return 1;
    }
    return 0;
}
static void *f_malloc(size_t n) {
    void *p = should_fail() ? NULL : malloc(n);
    if (p) live++;
    return p;
}
static void *f_calloc(size_t a, size_t b) {
    void *p = should_fail() ? NULL : calloc(a, b);
    if (p) live++;
    return p;
}
static void *f_realloc(void *p, size_t n) {
    void *q = should_fail() ? NULL : realloc(p, n);
    if (q && !p) live++;
    return q;
}
static char *f_strdup(const char *s) {
    char *p = should_fail() ? NULL : strdup(s);
    if (p) live++;
    return p;
}
static void f_free(void *p) {
    if (p) live--;
    free(p);
}

static void arm(long n) {
    calls = 0;
    fail_at = n;
    failed_once = 0;
    armed = 1;
}

static const hiredisAllocFuncs FAIL_ALLOC_FNS = {f_malloc, f_calloc, f_realloc, f_strdup, f_free};

#endif
