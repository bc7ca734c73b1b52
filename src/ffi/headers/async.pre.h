struct redisAsyncContext;
struct dict;

/* Callbacks are function types: callers declare `redisCallbackFn *fn`. */
typedef void (redisCallbackFn)(struct redisAsyncContext*, void*, void*);
typedef void (redisDisconnectCallback)(const struct redisAsyncContext*, int status);
typedef void (redisConnectCallback)(const struct redisAsyncContext*, int status);
typedef void (redisConnectCallbackNC)(struct redisAsyncContext *, int status);
typedef void (redisTimerCallback)(void *timer, void *privdata);
