/* The variadic entry points of libhiredis_rs_cluster.
 *
 * Stable Rust cannot define C-variadic functions: each `...` function here starts a va_list
 * and calls its `v` twin, and each `v` function formats the command with the core's
 * redisvFormatCommand / redisvAppendCommand (as hiredis-cluster does on hiredis), then hands
 * the result to Rust (exec.rs), where routing, errors and everything else happen.
 */
#include <stdarg.h>
#include <stddef.h>

#include "hircluster.h"

#define HIRCL_HIDDEN __attribute__((visibility("hidden")))

/* Implemented in Rust (exec.rs); not part of the exported surface. */
HIRCL_HIDDEN void *hircl_command_result(redisClusterContext *cc, char *cmd, long long len);
HIRCL_HIDDEN int hircl_append_result(redisClusterContext *cc, char *cmd, long long len);
HIRCL_HIDDEN redisContext *hircl_node_context(redisClusterContext *cc, redisClusterNode *node);
HIRCL_HIDDEN void hircl_clear_error(redisClusterContext *cc);
HIRCL_HIDDEN void *hircl_to_node_finish(redisClusterContext *cc, redisContext *c, int appended);
HIRCL_HIDDEN int hircl_append_to_node(redisClusterContext *cc, redisClusterNode *node,
                                      redisContext *c, char *cmd, long long len);
HIRCL_HIDDEN int hircl_async_result(redisClusterAsyncContext *acc, redisClusterCallbackFn *fn,
                                    void *privdata, char *cmd, long long len);
HIRCL_HIDDEN int hircl_async_to_node_result(redisClusterAsyncContext *acc, redisClusterNode *node,
                                            redisClusterCallbackFn *fn, void *privdata, char *cmd,
                                            long long len);

void *redisClustervCommand(redisClusterContext *cc, const char *format, va_list ap) {
    char *cmd = NULL;
    int len;
    if (cc == NULL)
        return NULL;
    len = redisvFormatCommand(&cmd, format, ap);
    return hircl_command_result(cc, cmd, len);
}

void *redisClusterCommand(redisClusterContext *cc, const char *format, ...) {
    va_list ap;
    void *reply;
    va_start(ap, format);
    reply = redisClustervCommand(cc, format, ap);
    va_end(ap);
    return reply;
}

void *redisClustervCommandToNode(redisClusterContext *cc, redisClusterNode *node,
                                 const char *format, va_list ap) {
    redisContext *c = hircl_node_context(cc, node);
    int rc;
    if (c == NULL)
        return NULL;
    hircl_clear_error(cc);
    rc = redisvAppendCommand(c, format, ap);
    return hircl_to_node_finish(cc, c, rc);
}

void *redisClusterCommandToNode(redisClusterContext *cc, redisClusterNode *node,
                                const char *format, ...) {
    va_list ap;
    void *reply;
    va_start(ap, format);
    reply = redisClustervCommandToNode(cc, node, format, ap);
    va_end(ap);
    return reply;
}

int redisClustervAppendCommand(redisClusterContext *cc, const char *format, va_list ap) {
    char *cmd = NULL;
    int len;
    if (cc == NULL || format == NULL)
        return REDIS_ERR;
    len = redisvFormatCommand(&cmd, format, ap);
    return hircl_append_result(cc, cmd, len);
}

int redisClusterAppendCommand(redisClusterContext *cc, const char *format, ...) {
    va_list ap;
    int rc;
    if (cc == NULL || format == NULL)
        return REDIS_ERR;
    va_start(ap, format);
    rc = redisClustervAppendCommand(cc, format, ap);
    va_end(ap);
    return rc;
}

int redisClustervAppendCommandToNode(redisClusterContext *cc, redisClusterNode *node,
                                     const char *format, va_list ap) {
    redisContext *c;
    char *cmd = NULL;
    int len;
    if (cc == NULL || node == NULL || format == NULL)
        return REDIS_ERR;
    c = hircl_node_context(cc, node);
    if (c == NULL)
        return REDIS_ERR;
    len = redisvFormatCommand(&cmd, format, ap);
    return hircl_append_to_node(cc, node, c, cmd, len);
}

int redisClusterAppendCommandToNode(redisClusterContext *cc, redisClusterNode *node,
                                    const char *format, ...) {
    va_list ap;
    int rc;
    if (cc == NULL || node == NULL || format == NULL)
        return REDIS_ERR;
    va_start(ap, format);
    rc = redisClustervAppendCommandToNode(cc, node, format, ap);
    va_end(ap);
    return rc;
}

int redisClustervAsyncCommand(redisClusterAsyncContext *acc, redisClusterCallbackFn *fn,
                              void *privdata, const char *format, va_list ap) {
    char *cmd = NULL;
    int len;
    if (acc == NULL)
        return REDIS_ERR;
    len = redisvFormatCommand(&cmd, format, ap);
    return hircl_async_result(acc, fn, privdata, cmd, len);
}

int redisClusterAsyncCommand(redisClusterAsyncContext *acc, redisClusterCallbackFn *fn,
                             void *privdata, const char *format, ...) {
    va_list ap;
    int rc;
    va_start(ap, format);
    rc = redisClustervAsyncCommand(acc, fn, privdata, format, ap);
    va_end(ap);
    return rc;
}

int redisClusterAsyncCommandToNode(redisClusterAsyncContext *acc, redisClusterNode *node,
                                   redisClusterCallbackFn *fn, void *privdata,
                                   const char *format, ...) {
    va_list ap;
    char *cmd = NULL;
    int len;
    if (acc == NULL)
        return REDIS_ERR;
    va_start(ap, format);
    len = redisvFormatCommand(&cmd, format, ap);
    va_end(ap);
    return hircl_async_to_node_result(acc, node, fn, privdata, cmd, len);
}
