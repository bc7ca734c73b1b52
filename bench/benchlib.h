/* Shared helpers for the benchmark programs in bench/.
 *
 * The programs use only the public hiredis API, so one source builds against hiredis-rs
 * (staged install) and against the system hiredis. Every result is one line on stdout:
 *
 *     R <program> <case> <metric> <value>
 *
 * which bench/bench.py collects; everything else on stdout is ignored.
 *
 * Under callgrind (bench-instr) the measured loops are bracketed with client requests:
 * statistics are zeroed before a loop and dumped after it, labelled "<case>|<ops>", so the
 * driver divides each dump's instruction total by the number of operations. Outside
 * valgrind those requests cost a few instructions and do nothing. */
#ifndef BENCHLIB_H
#define BENCHLIB_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define BL_HAVE_CALLGRIND 1
#endif
#endif

static inline double bl_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void bl_result(const char *prog, const char *cname, const char *metric, double v) {
    printf("R %s %s %s %.6g\n", prog, cname, metric, v);
    fflush(stdout);
}

/* Non-zero when running under valgrind: loops then use fixed, small iteration counts.
 * BENCH_NO_MARKERS=1 keeps the timed loops (for a whole-program profile). */
static inline int bl_instr_mode(void) {
#ifdef BL_HAVE_CALLGRIND
    const char *no = getenv("BENCH_NO_MARKERS");
    if (no && *no == '1') return 0;
    return RUNNING_ON_VALGRIND ? 1 : 0;
#else
    return 0;
#endif
}

static inline void bl_instr_start(void) {
#ifdef BL_HAVE_CALLGRIND
    CALLGRIND_ZERO_STATS;
#endif
}

static inline void bl_instr_stop(const char *cname, long ops) {
#ifdef BL_HAVE_CALLGRIND
    char label[256];
    snprintf(label, sizeof label, "%s|%ld", cname, ops);
    CALLGRIND_DUMP_STATS_AT(label);
#else
    (void)cname;
    (void)ops;
#endif
}

/* Seconds each timed case aims for (BENCH_SECONDS, default 0.2). */
static inline double bl_target_seconds(void) {
    const char *s = getenv("BENCH_SECONDS");
    double v = s ? atof(s) : 0.2;
    return v > 0 ? v : 0.2;
}

#endif
