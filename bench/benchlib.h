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
#include <sys/resource.h>
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

/* The process's CPU time so far (user + system, getrusage), in seconds. */
static inline double bl_cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

static inline int bl_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts n round trips (seconds) and reports their p50 and p99 (nearest rank) in µs. */
static inline void bl_latency_results(const char *prog, const char *cname, double *v, long n) {
    static const struct { const char *metric; double q; } qs[] = {{"latency_p50_us", 0.50}, {"latency_p99_us", 0.99}};
    if (n <= 0) return;
    qsort(v, (size_t)n, sizeof *v, bl_cmp_double);
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        long k = (long)(qs[i].q * (double)n + 0.999999) - 1;
        bl_result(prog, cname, qs[i].metric, v[k < 0 ? 0 : k >= n ? n - 1 : k] * 1e6);
    }
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
