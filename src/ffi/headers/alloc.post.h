/* Inline allocation helpers, compiled into the caller: they call through the exported
 * hiredisAllocFns table, so replacing the table with hiredisSetAllocators affects them too. */
#ifdef __cplusplus
extern "C" {
#endif

static inline void *hi_malloc(size_t size) {
    return hiredisAllocFns.mallocFn(size);
}

static inline void *hi_calloc(size_t nmemb, size_t size) {
    /* Refuse requests whose total size overflows, whatever allocator is installed. */
    if (SIZE_MAX / size < nmemb)
        return NULL;
    return hiredisAllocFns.callocFn(nmemb, size);
}

static inline void *hi_realloc(void *ptr, size_t size) {
    return hiredisAllocFns.reallocFn(ptr, size);
}

static inline char *hi_strdup(const char *str) {
    return hiredisAllocFns.strdupFn(str);
}

static inline void hi_free(void *ptr) {
    hiredisAllocFns.freeFn(ptr);
}

#ifdef __cplusplus
}
#endif
