/* Variadic entry points (implemented in src/ffi/variadic.c). */
#ifdef __cplusplus
extern "C" {
#endif

int redisvAsyncCommand(redisAsyncContext *ac, redisCallbackFn *fn, void *privdata, const char *format, va_list ap);
int redisAsyncCommand(redisAsyncContext *ac, redisCallbackFn *fn, void *privdata, const char *format, ...);

#ifdef __cplusplus
}
#endif
