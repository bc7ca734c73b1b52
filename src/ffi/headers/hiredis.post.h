/* Variadic entry points (implemented in src/ffi/variadic.c). */
#ifdef __cplusplus
extern "C" {
#endif

int redisvFormatCommand(char **target, const char *format, va_list ap);
int redisFormatCommand(char **target, const char *format, ...);
int redisvAppendCommand(redisContext *c, const char *format, va_list ap);
int redisAppendCommand(redisContext *c, const char *format, ...);
void *redisvCommand(redisContext *c, const char *format, va_list ap);
void *redisCommand(redisContext *c, const char *format, ...);

#ifdef __cplusplus
}
#endif
