/* The variadic entry points of hiredis-rs.
 *
 * Stable Rust can neither define a C-variadic function nor read a va_list, so this file does
 * only that: each `...` function starts a va_list and calls its `v` twin; each `v` function
 * hands Rust a handle from which Rust pulls one argument at a time, by the type the format
 * string dictates. Parsing, formatting and everything else happen in Rust.
 */
#include <stdarg.h>
#include <stddef.h>

#include "hiredis.h"
#include "async.h"
#include "sds.h"

#define HIRS_HIDDEN __attribute__((visibility("hidden")))

/* Argument kinds; keep in sync with src/ffi/variadic.rs. */
enum {
    HIRS_ARG_PTR = 1,   /* const char * / const void * */
    HIRS_ARG_SIZE,      /* size_t */
    HIRS_ARG_INT,       /* int (also char and short after promotion) */
    HIRS_ARG_UINT,      /* unsigned int */
    HIRS_ARG_LONG,      /* long */
    HIRS_ARG_LLONG,     /* long long */
    HIRS_ARG_ULLONG,    /* unsigned long long */
    HIRS_ARG_DOUBLE     /* double (float after promotion) */
};

typedef union hirs_arg {
    const void *ptr;
    size_t size;
    int i;
    unsigned int u;
    long l;
    long long ll;
    unsigned long long ull;
    double d;
} hirs_arg;

typedef struct hirs_args {
    va_list ap;
} hirs_args;

HIRS_HIDDEN void hirs_args_next(hirs_args *a, int kind, hirs_arg *out);

/* Implemented in Rust (hidden: not part of the exported surface). */
HIRS_HIDDEN long long hirs_format_command(char **target, const char *format, hirs_args *args);
HIRS_HIDDEN int hirs_append_command(redisContext *c, const char *format, hirs_args *args);
HIRS_HIDDEN void *hirs_command(redisContext *c, const char *format, hirs_args *args);
HIRS_HIDDEN int hirs_async_command(redisAsyncContext *ac, redisCallbackFn *fn, void *privdata,
                                   const char *format, hirs_args *args);
HIRS_HIDDEN sds hirs_sdscatfmt(sds s, const char *fmt, hirs_args *args);
HIRS_HIDDEN sds hirs_sdscatvprintf(sds s, const char *fmt, hirs_args *args);
HIRS_HIDDEN int hirs_vsnprintf(char *buf, size_t cap, const char *fmt, hirs_args *args);

void hirs_args_next(hirs_args *a, int kind, hirs_arg *out) {
    switch (kind) {
    case HIRS_ARG_PTR: out->ptr = va_arg(a->ap, const void *); break;
    case HIRS_ARG_SIZE: out->size = va_arg(a->ap, size_t); break;
    case HIRS_ARG_INT: out->i = va_arg(a->ap, int); break;
    case HIRS_ARG_UINT: out->u = va_arg(a->ap, unsigned int); break;
    case HIRS_ARG_LONG: out->l = va_arg(a->ap, long); break;
    case HIRS_ARG_LLONG: out->ll = va_arg(a->ap, long long); break;
    case HIRS_ARG_ULLONG: out->ull = va_arg(a->ap, unsigned long long); break;
    case HIRS_ARG_DOUBLE: out->d = va_arg(a->ap, double); break;
    default: out->ull = 0; break;
    }
}

/* sdscatvprintf needs the C library's printf on a whole va_list: Rust asks for it through
 * this helper (a fresh copy per call, so Rust may measure first and print second). */
int hirs_vsnprintf(char *buf, size_t cap, const char *fmt, hirs_args *args) {
    va_list cpy;
    int n;
    va_copy(cpy, args->ap);
    n = vsnprintf(buf, cap, fmt, cpy);
    va_end(cpy);
    return n;
}

int redisvFormatCommand(char **target, const char *format, va_list ap) {
    hirs_args a;
    long long n;
    va_copy(a.ap, ap);
    n = hirs_format_command(target, format, &a);
    va_end(a.ap);
    return (int)n;
}

int redisFormatCommand(char **target, const char *format, ...) {
    va_list ap;
    int n;
    va_start(ap, format);
    n = redisvFormatCommand(target, format, ap);
    va_end(ap);
    return n < 0 ? -1 : n;
}

int redisvAppendCommand(redisContext *c, const char *format, va_list ap) {
    hirs_args a;
    int r;
    va_copy(a.ap, ap);
    r = hirs_append_command(c, format, &a);
    va_end(a.ap);
    return r;
}

int redisAppendCommand(redisContext *c, const char *format, ...) {
    va_list ap;
    int r;
    va_start(ap, format);
    r = redisvAppendCommand(c, format, ap);
    va_end(ap);
    return r;
}

void *redisvCommand(redisContext *c, const char *format, va_list ap) {
    hirs_args a;
    void *r;
    va_copy(a.ap, ap);
    r = hirs_command(c, format, &a);
    va_end(a.ap);
    return r;
}

void *redisCommand(redisContext *c, const char *format, ...) {
    va_list ap;
    void *r;
    va_start(ap, format);
    r = redisvCommand(c, format, ap);
    va_end(ap);
    return r;
}

int redisvAsyncCommand(redisAsyncContext *ac, redisCallbackFn *fn, void *privdata,
                       const char *format, va_list ap) {
    hirs_args a;
    int r;
    va_copy(a.ap, ap);
    r = hirs_async_command(ac, fn, privdata, format, &a);
    va_end(a.ap);
    return r;
}

int redisAsyncCommand(redisAsyncContext *ac, redisCallbackFn *fn, void *privdata,
                      const char *format, ...) {
    va_list ap;
    int r;
    va_start(ap, format);
    r = redisvAsyncCommand(ac, fn, privdata, format, ap);
    va_end(ap);
    return r;
}

sds sdscatvprintf(sds s, const char *fmt, va_list ap) {
    hirs_args a;
    sds r;
    va_copy(a.ap, ap);
    r = hirs_sdscatvprintf(s, fmt, &a);
    va_end(a.ap);
    return r;
}

sds sdscatprintf(sds s, const char *fmt, ...) {
    va_list ap;
    sds r;
    va_start(ap, fmt);
    r = sdscatvprintf(s, fmt, ap);
    va_end(ap);
    return r;
}

sds sdscatfmt(sds s, char const *fmt, ...) {
    va_list ap;
    sds r;
    va_start(ap, fmt);
    {
        hirs_args a;
        va_copy(a.ap, ap);
        r = hirs_sdscatfmt(s, fmt, &a);
        va_end(a.ap);
    }
    va_end(ap);
    return r;
}
