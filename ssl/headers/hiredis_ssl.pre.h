/* OpenSSL's SSL object, left opaque so this header needs no OpenSSL headers. */
struct ssl_st;

/* Verify modes, equal to OpenSSL's SSL_VERIFY_* (redisCreateSSLContext uses PEER). */
#define REDIS_SSL_VERIFY_NONE 0x00
#define REDIS_SSL_VERIFY_PEER 0x01
#define REDIS_SSL_VERIFY_FAIL_IF_NO_PEER_CERT 0x02
#define REDIS_SSL_VERIFY_CLIENT_ONCE 0x04
#define REDIS_SSL_VERIFY_POST_HANDSHAKE 0x08

/* Like hiredis's, this header uses redisContext without including hiredis.h: include
 * <hiredis/hiredis.h> (or <hiredis.h>) first. */
