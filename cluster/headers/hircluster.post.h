
/* The asynchronous cluster context: written by hand, its last field exists only when the
 * hiredis headers in use have non-const connect callbacks. */
typedef struct redisClusterAsyncContext {
    redisClusterContext *cc;
    int err;
    char errstr[128];
    int64_t lastSlotmapUpdateAttempt;
    void *adapter;
    adapterAttachFn *attach_fn;
    redisDisconnectCallback *onDisconnect;
    redisConnectCallback *onConnect;
#ifndef HIRCLUSTER_NO_NONCONST_CONNECT_CB
    redisConnectCallbackNC *onConnectNC;
#endif
} redisClusterAsyncContext;

#ifdef __cplusplus
extern "C" {
#endif

/* Variadic entry points (implemented in cluster/src/variadic.c). */
void *redisClusterCommand(redisClusterContext *cc, const char *format, ...);
void *redisClustervCommand(redisClusterContext *cc, const char *format, va_list ap);
void *redisClusterCommandToNode(redisClusterContext *cc, redisClusterNode *node,
                                const char *format, ...);
void *redisClustervCommandToNode(redisClusterContext *cc, redisClusterNode *node,
                                 const char *format, va_list ap);
int redisClusterAppendCommand(redisClusterContext *cc, const char *format, ...);
int redisClustervAppendCommand(redisClusterContext *cc, const char *format, va_list ap);
int redisClusterAppendCommandToNode(redisClusterContext *cc, redisClusterNode *node,
                                    const char *format, ...);
int redisClustervAppendCommandToNode(redisClusterContext *cc, redisClusterNode *node,
                                     const char *format, va_list ap);
int redisClusterAsyncCommand(redisClusterAsyncContext *acc, redisClusterCallbackFn *fn,
                             void *privdata, const char *format, ...);
int redisClustervAsyncCommand(redisClusterAsyncContext *acc, redisClusterCallbackFn *fn,
                              void *privdata, const char *format, va_list ap);
int redisClusterAsyncCommandToNode(redisClusterAsyncContext *acc, redisClusterNode *node,
                                   redisClusterCallbackFn *fn, void *privdata,
                                   const char *format, ...);

#ifdef __cplusplus
}
#endif

/* Names of older hiredis-cluster releases. */
#ifndef HIRCLUSTER_NO_OLD_NAMES
#define cluster_update_route redisClusterUpdateSlotmap
#define initNodeIterator redisClusterInitNodeIterator
#define nodeNext redisClusterNodeNext
#define redisClusterConnectNonBlock redisClusterConnect
typedef struct redisClusterNode cluster_node;
typedef struct redisClusterNodeIterator nodeIterator;
#endif
