/* hiredis-rs cluster TLS: hiredis-cluster 0.14.0's hircluster_ssl.h, for
 * libhiredis_rs_cluster_ssl (libhiredis_cluster_ssl). Hand-written; installed as is. */
#ifndef __HIRCLUSTER_SSL_H
#define __HIRCLUSTER_SSL_H

#include "hircluster.h" /* first: hiredis_ssl.h uses hiredis.h's redisContext */
#include <hiredis/hiredis_ssl.h>

#ifdef __cplusplus
extern "C" {
#endif

/* TLS on every connection the cluster context makes (sync and async), with a hiredis_ssl
 * context made by redisCreateSSLContext. The context stays the caller's: free it after
 * redisClusterFree / redisClusterAsyncFree. REDIS_ERR if cc or ssl is NULL. */
int redisClusterSetOptionEnableSSL(redisClusterContext *cc, redisSSLContext *ssl);

#ifdef __cplusplus
}
#endif

#endif /* __HIRCLUSTER_SSL_H */
