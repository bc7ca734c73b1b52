/* Variadic entry points (implemented in src/ffi/variadic.c). */
#ifdef __cplusplus
extern "C" {
#endif

sds sdscatvprintf(sds s, const char *fmt, va_list ap);
#ifdef __GNUC__
sds sdscatprintf(sds s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
#else
sds sdscatprintf(sds s, const char *fmt, ...);
#endif
sds sdscatfmt(sds s, char const *fmt, ...);

#ifdef __cplusplus
}
#endif
