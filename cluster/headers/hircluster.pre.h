#include "dict.h"
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

/* Version identity of hiredis-cluster, whose API this library provides. The SONAME token is
 * unquoted (build systems grep it out of this header). */
#define HIREDIS_CLUSTER_SONAME 0.14

#define UNUSED(x) (void)(x)

/* Non-const connect callbacks exist from hiredis 1.1 on (not on Windows). */
#if !(HIREDIS_MAJOR >= 1 && HIREDIS_MINOR >= 1) || _WIN32
#define HIRCLUSTER_NO_NONCONST_CONNECT_CB
#endif

struct dict;
struct hilist;
struct hiarray;
struct redisClusterAsyncContext;

typedef int(adapterAttachFn)(redisAsyncContext *, void *);
typedef int(sslInitFn)(redisContext *, void *);
typedef void(redisClusterCallbackFn)(struct redisClusterAsyncContext *, void *, void *);
