//! Reply exports of `hiredis.h`: `freeReplyObject`, `redisReaderCreate` and the default
//! reply builders.
