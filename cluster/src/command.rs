//! Finding the keys of a command (spec §3.6): the RESP array a keyed API call was formatted
//! to, looked up in hiredis-cluster 0.14.0's command table (name, subcommand, arity and where
//! the keys are: the facts of spec Appendix A, sorted by name then subcommand).

use crate::hiutil::key_hash_slot;
use crate::scratch::{Scratch, Small};

/// Where a command's keys are.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum KeyMethod {
    /// No keys.
    None,
    /// The key is argument `pos`.
    Index,
    /// Argument `pos` is numkeys; the first key follows it.
    Keynum,
    /// Found after the `STREAMS` keyword (XREAD, XREADGROUP).
    Unknown,
}
use KeyMethod::{Index as INDEX, Keynum as KEYNUM, None as NONE, Unknown as UNKNOWN};

struct Entry {
    name: &'static [u8],
    sub: &'static [u8],
    arity: i32,
    method: KeyMethod,
    pos: u8,
}

const fn c(
    name: &'static [u8],
    sub: &'static [u8],
    arity: i32,
    method: KeyMethod,
    pos: u8,
) -> Entry {
    Entry {
        name,
        sub,
        arity,
        method,
        pos,
    }
}

const TABLE_LEN: usize = 376;

/// hiredis-cluster 0.14.0's command table, in its byte order.
static TABLE: &[Entry; TABLE_LEN] = &[
    c(b"ACL", b"CAT", -2, NONE, 0),
    c(b"ACL", b"DELUSER", -3, NONE, 0),
    c(b"ACL", b"DRYRUN", -4, NONE, 0),
    c(b"ACL", b"GENPASS", -2, NONE, 0),
    c(b"ACL", b"GETUSER", 3, NONE, 0),
    c(b"ACL", b"HELP", 2, NONE, 0),
    c(b"ACL", b"LIST", 2, NONE, 0),
    c(b"ACL", b"LOAD", 2, NONE, 0),
    c(b"ACL", b"LOG", -2, NONE, 0),
    c(b"ACL", b"SAVE", 2, NONE, 0),
    c(b"ACL", b"SETUSER", -3, NONE, 0),
    c(b"ACL", b"USERS", 2, NONE, 0),
    c(b"ACL", b"WHOAMI", 2, NONE, 0),
    c(b"APPEND", b"", 3, INDEX, 1),
    c(b"ASKING", b"", 1, NONE, 0),
    c(b"AUTH", b"", -2, NONE, 0),
    c(b"BGREWRITEAOF", b"", 1, NONE, 0),
    c(b"BGSAVE", b"", -1, NONE, 0),
    c(b"BITCOUNT", b"", -2, INDEX, 1),
    c(b"BITFIELD", b"", -2, INDEX, 1),
    c(b"BITFIELD_RO", b"", -2, INDEX, 1),
    c(b"BITOP", b"", -4, INDEX, 2),
    c(b"BITPOS", b"", -3, INDEX, 1),
    c(b"BLMOVE", b"", 6, INDEX, 1),
    c(b"BLMPOP", b"", -5, KEYNUM, 2),
    c(b"BLPOP", b"", -3, INDEX, 1),
    c(b"BRPOP", b"", -3, INDEX, 1),
    c(b"BRPOPLPUSH", b"", 4, INDEX, 1),
    c(b"BZMPOP", b"", -5, KEYNUM, 2),
    c(b"BZPOPMAX", b"", -3, INDEX, 1),
    c(b"BZPOPMIN", b"", -3, INDEX, 1),
    c(b"CLIENT", b"CACHING", 3, NONE, 0),
    c(b"CLIENT", b"GETNAME", 2, NONE, 0),
    c(b"CLIENT", b"GETREDIR", 2, NONE, 0),
    c(b"CLIENT", b"HELP", 2, NONE, 0),
    c(b"CLIENT", b"ID", 2, NONE, 0),
    c(b"CLIENT", b"INFO", 2, NONE, 0),
    c(b"CLIENT", b"KILL", -3, NONE, 0),
    c(b"CLIENT", b"LIST", -2, NONE, 0),
    c(b"CLIENT", b"NO-EVICT", 3, NONE, 0),
    c(b"CLIENT", b"NO-TOUCH", 3, NONE, 0),
    c(b"CLIENT", b"PAUSE", -3, NONE, 0),
    c(b"CLIENT", b"REPLY", 3, NONE, 0),
    c(b"CLIENT", b"SETINFO", 4, NONE, 0),
    c(b"CLIENT", b"SETNAME", 3, NONE, 0),
    c(b"CLIENT", b"TRACKING", -3, NONE, 0),
    c(b"CLIENT", b"TRACKINGINFO", 2, NONE, 0),
    c(b"CLIENT", b"UNBLOCK", -3, NONE, 0),
    c(b"CLIENT", b"UNPAUSE", 2, NONE, 0),
    c(b"CLUSTER", b"ADDSLOTS", -3, NONE, 0),
    c(b"CLUSTER", b"ADDSLOTSRANGE", -4, NONE, 0),
    c(b"CLUSTER", b"BUMPEPOCH", 2, NONE, 0),
    c(b"CLUSTER", b"COUNT-FAILURE-REPORTS", 3, NONE, 0),
    c(b"CLUSTER", b"COUNTKEYSINSLOT", 3, NONE, 0),
    c(b"CLUSTER", b"DELSLOTS", -3, NONE, 0),
    c(b"CLUSTER", b"DELSLOTSRANGE", -4, NONE, 0),
    c(b"CLUSTER", b"FAILOVER", -2, NONE, 0),
    c(b"CLUSTER", b"FLUSHSLOTS", 2, NONE, 0),
    c(b"CLUSTER", b"FORGET", 3, NONE, 0),
    c(b"CLUSTER", b"GETKEYSINSLOT", 4, NONE, 0),
    c(b"CLUSTER", b"HELP", 2, NONE, 0),
    c(b"CLUSTER", b"INFO", 2, NONE, 0),
    c(b"CLUSTER", b"KEYSLOT", 3, NONE, 0),
    c(b"CLUSTER", b"LINKS", 2, NONE, 0),
    c(b"CLUSTER", b"MEET", -4, NONE, 0),
    c(b"CLUSTER", b"MYID", 2, NONE, 0),
    c(b"CLUSTER", b"MYSHARDID", 2, NONE, 0),
    c(b"CLUSTER", b"NODES", 2, NONE, 0),
    c(b"CLUSTER", b"REPLICAS", 3, NONE, 0),
    c(b"CLUSTER", b"REPLICATE", 3, NONE, 0),
    c(b"CLUSTER", b"RESET", -2, NONE, 0),
    c(b"CLUSTER", b"SAVECONFIG", 2, NONE, 0),
    c(b"CLUSTER", b"SET-CONFIG-EPOCH", 3, NONE, 0),
    c(b"CLUSTER", b"SETSLOT", -4, NONE, 0),
    c(b"CLUSTER", b"SHARDS", 2, NONE, 0),
    c(b"CLUSTER", b"SLAVES", 3, NONE, 0),
    c(b"CLUSTER", b"SLOTS", 2, NONE, 0),
    c(b"COMMAND", b"COUNT", 2, NONE, 0),
    c(b"COMMAND", b"DOCS", -2, NONE, 0),
    c(b"COMMAND", b"GETKEYS", -3, NONE, 0),
    c(b"COMMAND", b"GETKEYSANDFLAGS", -3, NONE, 0),
    c(b"COMMAND", b"HELP", 2, NONE, 0),
    c(b"COMMAND", b"INFO", -2, NONE, 0),
    c(b"COMMAND", b"LIST", -2, NONE, 0),
    c(b"CONFIG", b"GET", -3, NONE, 0),
    c(b"CONFIG", b"HELP", 2, NONE, 0),
    c(b"CONFIG", b"RESETSTAT", 2, NONE, 0),
    c(b"CONFIG", b"REWRITE", 2, NONE, 0),
    c(b"CONFIG", b"SET", -4, NONE, 0),
    c(b"COPY", b"", -3, INDEX, 1),
    c(b"DBSIZE", b"", 1, NONE, 0),
    c(b"DEBUG", b"", -2, NONE, 0),
    c(b"DECR", b"", 2, INDEX, 1),
    c(b"DECRBY", b"", 3, INDEX, 1),
    c(b"DEL", b"", -2, INDEX, 1),
    c(b"DISCARD", b"", 1, NONE, 0),
    c(b"DUMP", b"", 2, INDEX, 1),
    c(b"ECHO", b"", 2, NONE, 0),
    c(b"EVAL", b"", -3, KEYNUM, 2),
    c(b"EVALSHA", b"", -3, KEYNUM, 2),
    c(b"EVALSHA_RO", b"", -3, KEYNUM, 2),
    c(b"EVAL_RO", b"", -3, KEYNUM, 2),
    c(b"EXEC", b"", 1, NONE, 0),
    c(b"EXISTS", b"", -2, INDEX, 1),
    c(b"EXPIRE", b"", -3, INDEX, 1),
    c(b"EXPIREAT", b"", -3, INDEX, 1),
    c(b"EXPIRETIME", b"", 2, INDEX, 1),
    c(b"FAILOVER", b"", -1, NONE, 0),
    c(b"FCALL", b"", -3, KEYNUM, 2),
    c(b"FCALL_RO", b"", -3, KEYNUM, 2),
    c(b"FLUSHALL", b"", -1, NONE, 0),
    c(b"FLUSHDB", b"", -1, NONE, 0),
    c(b"FUNCTION", b"DELETE", 3, NONE, 0),
    c(b"FUNCTION", b"DUMP", 2, NONE, 0),
    c(b"FUNCTION", b"FLUSH", -2, NONE, 0),
    c(b"FUNCTION", b"HELP", 2, NONE, 0),
    c(b"FUNCTION", b"KILL", 2, NONE, 0),
    c(b"FUNCTION", b"LIST", -2, NONE, 0),
    c(b"FUNCTION", b"LOAD", -3, NONE, 0),
    c(b"FUNCTION", b"RESTORE", -3, NONE, 0),
    c(b"FUNCTION", b"STATS", 2, NONE, 0),
    c(b"GEOADD", b"", -5, INDEX, 1),
    c(b"GEODIST", b"", -4, INDEX, 1),
    c(b"GEOHASH", b"", -2, INDEX, 1),
    c(b"GEOPOS", b"", -2, INDEX, 1),
    c(b"GEORADIUS", b"", -6, INDEX, 1),
    c(b"GEORADIUSBYMEMBER", b"", -5, INDEX, 1),
    c(b"GEORADIUSBYMEMBER_RO", b"", -5, INDEX, 1),
    c(b"GEORADIUS_RO", b"", -6, INDEX, 1),
    c(b"GEOSEARCH", b"", -7, INDEX, 1),
    c(b"GEOSEARCHSTORE", b"", -8, INDEX, 1),
    c(b"GET", b"", 2, INDEX, 1),
    c(b"GETBIT", b"", 3, INDEX, 1),
    c(b"GETDEL", b"", 2, INDEX, 1),
    c(b"GETEX", b"", -2, INDEX, 1),
    c(b"GETRANGE", b"", 4, INDEX, 1),
    c(b"GETSET", b"", 3, INDEX, 1),
    c(b"HDEL", b"", -3, INDEX, 1),
    c(b"HELLO", b"", -1, NONE, 0),
    c(b"HEXISTS", b"", 3, INDEX, 1),
    c(b"HGET", b"", 3, INDEX, 1),
    c(b"HGETALL", b"", 2, INDEX, 1),
    c(b"HINCRBY", b"", 4, INDEX, 1),
    c(b"HINCRBYFLOAT", b"", 4, INDEX, 1),
    c(b"HKEYS", b"", 2, INDEX, 1),
    c(b"HLEN", b"", 2, INDEX, 1),
    c(b"HMGET", b"", -3, INDEX, 1),
    c(b"HMSET", b"", -4, INDEX, 1),
    c(b"HRANDFIELD", b"", -2, INDEX, 1),
    c(b"HSCAN", b"", -3, INDEX, 1),
    c(b"HSET", b"", -4, INDEX, 1),
    c(b"HSETNX", b"", 4, INDEX, 1),
    c(b"HSTRLEN", b"", 3, INDEX, 1),
    c(b"HVALS", b"", 2, INDEX, 1),
    c(b"INCR", b"", 2, INDEX, 1),
    c(b"INCRBY", b"", 3, INDEX, 1),
    c(b"INCRBYFLOAT", b"", 3, INDEX, 1),
    c(b"INFO", b"", -1, NONE, 0),
    c(b"KEYS", b"", 2, NONE, 0),
    c(b"LASTSAVE", b"", 1, NONE, 0),
    c(b"LATENCY", b"DOCTOR", 2, NONE, 0),
    c(b"LATENCY", b"GRAPH", 3, NONE, 0),
    c(b"LATENCY", b"HELP", 2, NONE, 0),
    c(b"LATENCY", b"HISTOGRAM", -2, NONE, 0),
    c(b"LATENCY", b"HISTORY", 3, NONE, 0),
    c(b"LATENCY", b"LATEST", 2, NONE, 0),
    c(b"LATENCY", b"RESET", -2, NONE, 0),
    c(b"LCS", b"", -3, INDEX, 1),
    c(b"LINDEX", b"", 3, INDEX, 1),
    c(b"LINSERT", b"", 5, INDEX, 1),
    c(b"LLEN", b"", 2, INDEX, 1),
    c(b"LMOVE", b"", 5, INDEX, 1),
    c(b"LMPOP", b"", -4, KEYNUM, 1),
    c(b"LOLWUT", b"", -1, NONE, 0),
    c(b"LPOP", b"", -2, INDEX, 1),
    c(b"LPOS", b"", -3, INDEX, 1),
    c(b"LPUSH", b"", -3, INDEX, 1),
    c(b"LPUSHX", b"", -3, INDEX, 1),
    c(b"LRANGE", b"", 4, INDEX, 1),
    c(b"LREM", b"", 4, INDEX, 1),
    c(b"LSET", b"", 4, INDEX, 1),
    c(b"LTRIM", b"", 4, INDEX, 1),
    c(b"MEMORY", b"DOCTOR", 2, NONE, 0),
    c(b"MEMORY", b"HELP", 2, NONE, 0),
    c(b"MEMORY", b"MALLOC-STATS", 2, NONE, 0),
    c(b"MEMORY", b"PURGE", 2, NONE, 0),
    c(b"MEMORY", b"STATS", 2, NONE, 0),
    c(b"MEMORY", b"USAGE", -3, INDEX, 2),
    c(b"MGET", b"", -2, INDEX, 1),
    c(b"MIGRATE", b"", -6, INDEX, 3),
    c(b"MODULE", b"HELP", 2, NONE, 0),
    c(b"MODULE", b"LIST", 2, NONE, 0),
    c(b"MODULE", b"LOAD", -3, NONE, 0),
    c(b"MODULE", b"LOADEX", -3, NONE, 0),
    c(b"MODULE", b"UNLOAD", 3, NONE, 0),
    c(b"MONITOR", b"", 1, NONE, 0),
    c(b"MOVE", b"", 3, INDEX, 1),
    c(b"MSET", b"", -3, INDEX, 1),
    c(b"MSETNX", b"", -3, INDEX, 1),
    c(b"MULTI", b"", 1, NONE, 0),
    c(b"OBJECT", b"ENCODING", 3, INDEX, 2),
    c(b"OBJECT", b"FREQ", 3, INDEX, 2),
    c(b"OBJECT", b"HELP", 2, NONE, 0),
    c(b"OBJECT", b"IDLETIME", 3, INDEX, 2),
    c(b"OBJECT", b"REFCOUNT", 3, INDEX, 2),
    c(b"PERSIST", b"", 2, INDEX, 1),
    c(b"PEXPIRE", b"", -3, INDEX, 1),
    c(b"PEXPIREAT", b"", -3, INDEX, 1),
    c(b"PEXPIRETIME", b"", 2, INDEX, 1),
    c(b"PFADD", b"", -2, INDEX, 1),
    c(b"PFCOUNT", b"", -2, INDEX, 1),
    c(b"PFDEBUG", b"", 3, INDEX, 2),
    c(b"PFMERGE", b"", -2, INDEX, 1),
    c(b"PFSELFTEST", b"", 1, NONE, 0),
    c(b"PING", b"", -1, NONE, 0),
    c(b"PSETEX", b"", 4, INDEX, 1),
    c(b"PSUBSCRIBE", b"", -2, NONE, 0),
    c(b"PSYNC", b"", -3, NONE, 0),
    c(b"PTTL", b"", 2, INDEX, 1),
    c(b"PUBLISH", b"", 3, NONE, 0),
    c(b"PUBSUB", b"CHANNELS", -2, NONE, 0),
    c(b"PUBSUB", b"HELP", 2, NONE, 0),
    c(b"PUBSUB", b"NUMPAT", 2, NONE, 0),
    c(b"PUBSUB", b"NUMSUB", -2, NONE, 0),
    c(b"PUBSUB", b"SHARDCHANNELS", -2, NONE, 0),
    c(b"PUBSUB", b"SHARDNUMSUB", -2, NONE, 0),
    c(b"PUNSUBSCRIBE", b"", -1, NONE, 0),
    c(b"QUIT", b"", -1, NONE, 0),
    c(b"RANDOMKEY", b"", 1, NONE, 0),
    c(b"READONLY", b"", 1, NONE, 0),
    c(b"READWRITE", b"", 1, NONE, 0),
    c(b"RENAME", b"", 3, INDEX, 1),
    c(b"RENAMENX", b"", 3, INDEX, 1),
    c(b"REPLCONF", b"", -1, NONE, 0),
    c(b"REPLICAOF", b"", 3, NONE, 0),
    c(b"RESET", b"", 1, NONE, 0),
    c(b"RESTORE", b"", -4, INDEX, 1),
    c(b"RESTORE-ASKING", b"", -4, INDEX, 1),
    c(b"ROLE", b"", 1, NONE, 0),
    c(b"RPOP", b"", -2, INDEX, 1),
    c(b"RPOPLPUSH", b"", 3, INDEX, 1),
    c(b"RPUSH", b"", -3, INDEX, 1),
    c(b"RPUSHX", b"", -3, INDEX, 1),
    c(b"SADD", b"", -3, INDEX, 1),
    c(b"SAVE", b"", 1, NONE, 0),
    c(b"SCAN", b"", -2, NONE, 0),
    c(b"SCARD", b"", 2, INDEX, 1),
    c(b"SCRIPT", b"DEBUG", 3, NONE, 0),
    c(b"SCRIPT", b"EXISTS", -3, NONE, 0),
    c(b"SCRIPT", b"FLUSH", -2, NONE, 0),
    c(b"SCRIPT", b"HELP", 2, NONE, 0),
    c(b"SCRIPT", b"KILL", 2, NONE, 0),
    c(b"SCRIPT", b"LOAD", 3, NONE, 0),
    c(b"SDIFF", b"", -2, INDEX, 1),
    c(b"SDIFFSTORE", b"", -3, INDEX, 1),
    c(b"SELECT", b"", 2, NONE, 0),
    c(b"SENTINEL", b"CKQUORUM", 3, NONE, 0),
    c(b"SENTINEL", b"CONFIG", -4, NONE, 0),
    c(b"SENTINEL", b"DEBUG", -2, NONE, 0),
    c(b"SENTINEL", b"FAILOVER", 3, NONE, 0),
    c(b"SENTINEL", b"FLUSHCONFIG", 2, NONE, 0),
    c(b"SENTINEL", b"GET-MASTER-ADDR-BY-NAME", 3, NONE, 0),
    c(b"SENTINEL", b"HELP", 2, NONE, 0),
    c(b"SENTINEL", b"INFO-CACHE", -3, NONE, 0),
    c(b"SENTINEL", b"IS-MASTER-DOWN-BY-ADDR", 6, NONE, 0),
    c(b"SENTINEL", b"MASTER", 3, NONE, 0),
    c(b"SENTINEL", b"MASTERS", 2, NONE, 0),
    c(b"SENTINEL", b"MONITOR", 6, NONE, 0),
    c(b"SENTINEL", b"MYID", 2, NONE, 0),
    c(b"SENTINEL", b"PENDING-SCRIPTS", 2, NONE, 0),
    c(b"SENTINEL", b"REMOVE", 3, NONE, 0),
    c(b"SENTINEL", b"REPLICAS", 3, NONE, 0),
    c(b"SENTINEL", b"RESET", 3, NONE, 0),
    c(b"SENTINEL", b"SENTINELS", 3, NONE, 0),
    c(b"SENTINEL", b"SET", -5, NONE, 0),
    c(b"SENTINEL", b"SIMULATE-FAILURE", -3, NONE, 0),
    c(b"SENTINEL", b"SLAVES", 3, NONE, 0),
    c(b"SET", b"", -3, INDEX, 1),
    c(b"SETBIT", b"", 4, INDEX, 1),
    c(b"SETEX", b"", 4, INDEX, 1),
    c(b"SETNX", b"", 3, INDEX, 1),
    c(b"SETRANGE", b"", 4, INDEX, 1),
    c(b"SHUTDOWN", b"", -1, NONE, 0),
    c(b"SINTER", b"", -2, INDEX, 1),
    c(b"SINTERCARD", b"", -3, KEYNUM, 1),
    c(b"SINTERSTORE", b"", -3, INDEX, 1),
    c(b"SISMEMBER", b"", 3, INDEX, 1),
    c(b"SLAVEOF", b"", 3, NONE, 0),
    c(b"SLOWLOG", b"GET", -2, NONE, 0),
    c(b"SLOWLOG", b"HELP", 2, NONE, 0),
    c(b"SLOWLOG", b"LEN", 2, NONE, 0),
    c(b"SLOWLOG", b"RESET", 2, NONE, 0),
    c(b"SMEMBERS", b"", 2, INDEX, 1),
    c(b"SMISMEMBER", b"", -3, INDEX, 1),
    c(b"SMOVE", b"", 4, INDEX, 1),
    c(b"SORT", b"", -2, INDEX, 1),
    c(b"SORT_RO", b"", -2, INDEX, 1),
    c(b"SPOP", b"", -2, INDEX, 1),
    c(b"SPUBLISH", b"", 3, INDEX, 1),
    c(b"SRANDMEMBER", b"", -2, INDEX, 1),
    c(b"SREM", b"", -3, INDEX, 1),
    c(b"SSCAN", b"", -3, INDEX, 1),
    c(b"SSUBSCRIBE", b"", -2, INDEX, 1),
    c(b"STRLEN", b"", 2, INDEX, 1),
    c(b"SUBSCRIBE", b"", -2, NONE, 0),
    c(b"SUBSTR", b"", 4, INDEX, 1),
    c(b"SUNION", b"", -2, INDEX, 1),
    c(b"SUNIONSTORE", b"", -3, INDEX, 1),
    c(b"SUNSUBSCRIBE", b"", -1, INDEX, 1),
    c(b"SWAPDB", b"", 3, NONE, 0),
    c(b"SYNC", b"", 1, NONE, 0),
    c(b"TIME", b"", 1, NONE, 0),
    c(b"TOUCH", b"", -2, INDEX, 1),
    c(b"TTL", b"", 2, INDEX, 1),
    c(b"TYPE", b"", 2, INDEX, 1),
    c(b"UNLINK", b"", -2, INDEX, 1),
    c(b"UNSUBSCRIBE", b"", -1, NONE, 0),
    c(b"UNWATCH", b"", 1, NONE, 0),
    c(b"WAIT", b"", 3, NONE, 0),
    c(b"WAITAOF", b"", 4, NONE, 0),
    c(b"WATCH", b"", -2, INDEX, 1),
    c(b"XACK", b"", -4, INDEX, 1),
    c(b"XADD", b"", -5, INDEX, 1),
    c(b"XAUTOCLAIM", b"", -6, INDEX, 1),
    c(b"XCLAIM", b"", -6, INDEX, 1),
    c(b"XDEL", b"", -3, INDEX, 1),
    c(b"XGROUP", b"CREATE", -5, INDEX, 2),
    c(b"XGROUP", b"CREATECONSUMER", 5, INDEX, 2),
    c(b"XGROUP", b"DELCONSUMER", 5, INDEX, 2),
    c(b"XGROUP", b"DESTROY", 4, INDEX, 2),
    c(b"XGROUP", b"HELP", 2, NONE, 0),
    c(b"XGROUP", b"SETID", -5, INDEX, 2),
    c(b"XINFO", b"CONSUMERS", 4, INDEX, 2),
    c(b"XINFO", b"GROUPS", 3, INDEX, 2),
    c(b"XINFO", b"HELP", 2, NONE, 0),
    c(b"XINFO", b"STREAM", -3, INDEX, 2),
    c(b"XLEN", b"", 2, INDEX, 1),
    c(b"XPENDING", b"", -3, INDEX, 1),
    c(b"XRANGE", b"", -4, INDEX, 1),
    c(b"XREAD", b"", -4, UNKNOWN, 0),
    c(b"XREADGROUP", b"", -7, UNKNOWN, 0),
    c(b"XREVRANGE", b"", -4, INDEX, 1),
    c(b"XSETID", b"", -3, INDEX, 1),
    c(b"XTRIM", b"", -4, INDEX, 1),
    c(b"ZADD", b"", -4, INDEX, 1),
    c(b"ZCARD", b"", 2, INDEX, 1),
    c(b"ZCOUNT", b"", 4, INDEX, 1),
    c(b"ZDIFF", b"", -3, KEYNUM, 1),
    c(b"ZDIFFSTORE", b"", -4, INDEX, 1),
    c(b"ZINCRBY", b"", 4, INDEX, 1),
    c(b"ZINTER", b"", -3, KEYNUM, 1),
    c(b"ZINTERCARD", b"", -3, KEYNUM, 1),
    c(b"ZINTERSTORE", b"", -4, INDEX, 1),
    c(b"ZLEXCOUNT", b"", 4, INDEX, 1),
    c(b"ZMPOP", b"", -4, KEYNUM, 1),
    c(b"ZMSCORE", b"", -3, INDEX, 1),
    c(b"ZPOPMAX", b"", -2, INDEX, 1),
    c(b"ZPOPMIN", b"", -2, INDEX, 1),
    c(b"ZRANDMEMBER", b"", -2, INDEX, 1),
    c(b"ZRANGE", b"", -4, INDEX, 1),
    c(b"ZRANGEBYLEX", b"", -4, INDEX, 1),
    c(b"ZRANGEBYSCORE", b"", -4, INDEX, 1),
    c(b"ZRANGESTORE", b"", -5, INDEX, 1),
    c(b"ZRANK", b"", -3, INDEX, 1),
    c(b"ZREM", b"", -3, INDEX, 1),
    c(b"ZREMRANGEBYLEX", b"", 4, INDEX, 1),
    c(b"ZREMRANGEBYRANK", b"", 4, INDEX, 1),
    c(b"ZREMRANGEBYSCORE", b"", 4, INDEX, 1),
    c(b"ZREVRANGE", b"", -4, INDEX, 1),
    c(b"ZREVRANGEBYLEX", b"", -4, INDEX, 1),
    c(b"ZREVRANGEBYSCORE", b"", -4, INDEX, 1),
    c(b"ZREVRANK", b"", -3, INDEX, 1),
    c(b"ZSCAN", b"", -3, INDEX, 1),
    c(b"ZSCORE", b"", 3, INDEX, 1),
    c(b"ZUNION", b"", -3, KEYNUM, 1),
    c(b"ZUNIONSTORE", b"", -4, INDEX, 1),
];

/// The multi-key commands whose keys are all collected (and split across slots).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum MultiKey {
    Exists,
    Mget,
    Del,
    Mset,
}

impl MultiKey {
    /// The lowercase name the sub-commands are sent with.
    pub(crate) fn name(self) -> &'static [u8] {
        match self {
            MultiKey::Exists => b"exists",
            MultiKey::Mget => b"mget",
            MultiKey::Del => b"del",
            MultiKey::Mset => b"mset",
        }
    }
}

/// Why a command could not be routed; the error texts of spec §3.6/§3.6.7.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ParseError {
    /// Not a RESP array of bulk strings: "Command parse error".
    NotResp,
    /// "Failed to find keys of command ..." (PROTOCOL).
    Keys(Vec<u8>),
    /// "Unknown command ..." (PROTOCOL).
    Unknown(Vec<u8>),
    /// A known command without keys (OTHER).
    NoKeys,
    /// No room for the arguments: "Out of memory" (OOM).
    Oom,
}

/// The parser texts go through a 100-byte buffer in hiredis-cluster: 99 bytes at most.
fn cut99(mut v: Vec<u8>) -> Vec<u8> {
    v.truncate(99);
    v
}

/// Arguments kept inline by `Args`; a command with more leases room from the context's
/// scratch area for the call.
const INLINE_ARGS: usize = 32;

/// The arguments of a RESP command, borrowed from it: inline for up to `INLINE_ARGS`
/// (nothing allocated for the common command), in the scratch area beyond. Filled in place by
/// `split_args`, so the caller keeps it on its stack and nothing large is moved.
pub(crate) type Args<'a> = Small<&'a [u8], INLINE_ARGS>;

/// The smallest RESP argument: `$0\r\n\r\n`.
const MIN_ARG: usize = 6;

/// A decimal number ended by CRLF at `*at` (advanced past the CRLF).
fn number(s: &[u8], at: &mut usize) -> Option<usize> {
    let start = *at;
    let mut v: usize = 0;
    while *at < s.len() && s[*at].is_ascii_digit() {
        v = v.checked_mul(10)?.checked_add((s[*at] - b'0') as usize)?;
        *at += 1;
    }
    if *at == start || s.get(*at..*at + 2)? != b"\r\n" {
        return None;
    }
    *at += 2;
    Some(v)
}

/// Why `split_args` failed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SplitError {
    /// Not a RESP array of bulk strings.
    NotResp,
    /// No room for its arguments.
    Oom,
}

/// The argument count of a RESP command (`*N\r\n` then N bulk strings) and where its first
/// argument starts; None when the header is not one, or claims more arguments than the bytes
/// could hold.
#[inline(always)]
fn header(cmd: &[u8]) -> Option<(usize, usize)> {
    if cmd.first() != Some(&b'*') {
        return None;
    }
    let mut at = 1;
    let n = number(cmd, &mut at).filter(|&n| n > 0)?;
    (n <= (cmd.len() - at) / MIN_ARG).then_some((n, at))
}

/// The bulk string at `*at` (advanced past it).
#[inline(always)]
fn next_arg<'a>(cmd: &'a [u8], at: &mut usize) -> Option<&'a [u8]> {
    if cmd.get(*at) != Some(&b'$') {
        return None;
    }
    *at += 1;
    let len = number(cmd, at)?;
    let end = at.checked_add(len)?;
    if cmd.get(end..end + 2) != Some(b"\r\n") {
        return None;
    }
    let arg = &cmd[*at..end];
    *at = end + 2;
    Some(arg)
}

/// The arguments of a RESP command, borrowed from it, into `args` (room for more than
/// `INLINE_ARGS` leased from `scratch`).
///
/// # Safety
/// `scratch` as for `Lease::new` (the context's, outliving `args`).
pub(crate) unsafe fn split_args<'a>(
    cmd: &'a [u8],
    args: &mut Args<'a>,
    scratch: *mut Scratch,
) -> Result<(), SplitError> {
    args.clear();
    let Some((n, mut at)) = header(cmd) else {
        return Err(SplitError::NotResp);
    };
    // SAFETY: caller's promise.
    if !unsafe { args.reserve(scratch, n) } {
        return Err(SplitError::Oom);
    }
    let room = args.as_mut_ptr();
    for i in 0..n {
        let arg = next_arg(cmd, &mut at).ok_or(SplitError::NotResp)?;
        // SAFETY: i < n, the room reserved above.
        unsafe { room.add(i).write(arg) };
    }
    // SAFETY: the first `n` values were written above.
    unsafe { args.set_len(n) };
    Ok(())
}

/// The first argument (the command's name) of a well-formed RESP command, None otherwise;
/// nothing is kept of the others.
pub(crate) fn command_name(cmd: &[u8]) -> Option<&[u8]> {
    let (n, mut at) = header(cmd)?;
    let name = next_arg(cmd, &mut at)?;
    for _ in 1..n {
        next_arg(cmd, &mut at)?;
    }
    Some(name)
}

/// Whether a command name is SUBSCRIBE, PSUBSCRIBE or SSUBSCRIBE (any case, whole name).
pub(crate) fn is_subscribe(name: &[u8]) -> bool {
    [&b"subscribe"[..], b"psubscribe", b"ssubscribe"]
        .iter()
        .any(|n| name.eq_ignore_ascii_case(n))
}

/// Whether a command name is UNSUBSCRIBE, PUNSUBSCRIBE or SUNSUBSCRIBE (any case, whole name).
pub(crate) fn is_unsubscribe(name: &[u8]) -> bool {
    [&b"unsubscribe"[..], b"punsubscribe", b"sunsubscribe"]
        .iter()
        .any(|n| name.eq_ignore_ascii_case(n))
}

/// Where the keys are among the arguments: `count` keys, the first at `first`, every
/// `step` arguments.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Keys {
    first: usize,
    step: usize,
    count: usize,
}

/// What routing needs of a command: its arguments, its keys (argument indexes) and whether
/// it is split.
#[derive(Debug)]
pub(crate) struct Parsed<'x, 'a> {
    pub(crate) args: &'x [&'a [u8]],
    keys: Keys,
    pub(crate) multi: Option<MultiKey>,
}

impl Parsed<'_, '_> {
    /// The number of keys (one, or all keys of a multi-key command).
    pub(crate) fn nkeys(&self) -> usize {
        self.keys.count
    }

    /// The argument index of key number `i`.
    pub(crate) fn key_arg(&self, i: usize) -> usize {
        self.keys.first + i * self.keys.step
    }

    /// The slot of key number `i`.
    pub(crate) fn slot(&self, i: usize) -> u32 {
        key_hash_slot(self.args[self.key_arg(i)])
    }
}

/// The longest name or subcommand in the table fits (checked by a test).
const NAME_MAX: usize = 32;

/// `a` upper-cased into `buf`, cut at a NUL (hiredis-cluster compares names as C strings);
/// None when longer than any name in the table.
fn upper_c<'b>(a: &[u8], buf: &'b mut [u8; NAME_MAX]) -> Option<&'b [u8]> {
    let end = memchr_nul(a);
    if end > NAME_MAX {
        return None;
    }
    for (d, s) in buf.iter_mut().zip(&a[..end]) {
        *d = s.to_ascii_uppercase();
    }
    Some(&buf[..end])
}

fn memchr_nul(a: &[u8]) -> usize {
    a.iter().position(|&b| b == 0).unwrap_or(a.len())
}

/// A name as four big-endian words, zero-padded: ordered as the bytes are (names have no NUL,
/// so a shorter name sorts before the longer names it starts).
type NameKey = [u64; NAME_MAX / 8];

const fn name_key(name: &[u8]) -> NameKey {
    let mut k = [0u64; NAME_MAX / 8];
    let mut i = 0;
    while i < name.len() {
        k[i / 8] |= (name[i] as u64) << (56 - 8 * (i % 8));
        i += 1;
    }
    k
}

/// The table's names as keys, for the binary search.
static NAME_KEYS: [NameKey; TABLE_LEN] = {
    let mut keys = [[0u64; NAME_MAX / 8]; TABLE_LEN];
    let mut i = 0;
    while i < TABLE_LEN {
        keys[i] = name_key(TABLE[i].name);
        i += 1;
    }
    keys
};

fn lookup(args: &[&[u8]]) -> Option<&'static Entry> {
    let mut nb = [0u8; NAME_MAX];
    let name = upper_c(args[0], &mut nb)?;
    let key = name_key(name);
    let first = NAME_KEYS.partition_point(|k| *k < key);
    let e = TABLE.get(first).filter(|_| NAME_KEYS[first] == key)?;
    // A name's entry without subcommand sorts first.
    if e.sub.is_empty() {
        return Some(e);
    }
    let mut sb = [0u8; NAME_MAX];
    let sub = upper_c(args.get(1)?, &mut sb)?;
    TABLE[first..]
        .iter()
        .take_while(|e| e.name == name)
        .find(|e| e.sub == sub)
}

/// Whether `arg` names the STREAMS keyword (case-insensitive, whole word).
fn is_streams(arg: &[u8]) -> bool {
    arg.eq_ignore_ascii_case(b"STREAMS")
}

/// The keys of a RESP command, per the command table. A fix over 0.14.0 (issue 11): XREAD and
/// XREADGROUP find their first stream after a whole-word `STREAMS` (0.14.0 prefix-matched
/// from one argument too far on).
///
/// # Safety
/// `scratch` as for `split_args`.
pub(crate) unsafe fn parse<'x, 'a>(
    cmd: &'a [u8],
    store: &'x mut Args<'a>,
    scratch: *mut Scratch,
) -> Result<Parsed<'x, 'a>, ParseError> {
    // SAFETY: caller's promise.
    match unsafe { split_args(cmd, store, scratch) } {
        Ok(()) => {}
        Err(SplitError::NotResp) => return Err(ParseError::NotResp),
        Err(SplitError::Oom) => return Err(ParseError::Oom),
    }
    let args: &'x [&'a [u8]] = store.as_slice();
    let Some(e) = lookup(args) else {
        let mut t = b"Unknown command ".to_vec();
        t.extend_from_slice(args[0]);
        if let Some(a1) = args.get(1) {
            t.push(b' ');
            t.extend_from_slice(a1);
        }
        return Err(ParseError::Unknown(cut99(t)));
    };
    let keys_error = || {
        let mut t = b"Failed to find keys of command ".to_vec();
        t.extend_from_slice(e.name);
        if !e.sub.is_empty() {
            t.push(b' ');
            t.extend_from_slice(e.sub);
        }
        ParseError::Keys(cut99(t))
    };
    let n = args.len();
    let arity_ok = if e.arity >= 0 {
        n == e.arity as usize
    } else {
        n >= (-e.arity) as usize
    };
    if !arity_ok {
        return Err(keys_error());
    }
    let pos = e.pos as usize;
    let multi = match (e.name, e.sub) {
        (b"EXISTS", b"") => Some(MultiKey::Exists),
        (b"MGET", b"") => Some(MultiKey::Mget),
        (b"DEL", b"") => Some(MultiKey::Del),
        (b"MSET", b"") => Some(MultiKey::Mset),
        _ => None,
    };
    let one = |at: usize| Keys {
        first: at,
        step: 1,
        count: 1,
    };
    let keys = match (e.method, multi) {
        (NONE, _) => return Err(ParseError::NoKeys),
        (INDEX, Some(MultiKey::Mset)) => {
            if n % 2 == 0 {
                return Err(keys_error());
            }
            Keys {
                first: 1,
                step: 2,
                count: n / 2,
            }
        }
        (INDEX, Some(_)) => Keys {
            first: 1,
            step: 1,
            count: n - 1,
        },
        (INDEX, None) => {
            if pos >= n || (e.name == b"MIGRATE" && args[pos].is_empty()) {
                return Err(keys_error());
            }
            one(pos)
        }
        (KEYNUM, _) => {
            let numkeys = args.get(pos).ok_or_else(keys_error)?;
            // Only the argument's own bytes are compared with "0": "" counts as zero too.
            if b"0".starts_with(numkeys) {
                return Err(ParseError::NoKeys);
            } else if pos + 1 < n {
                one(pos + 1)
            } else {
                return Err(keys_error());
            }
        }
        (UNKNOWN, _) => {
            let from = if e.name == b"XREADGROUP" { 4 } else { 1 };
            let at = (from..n)
                .find(|&i| is_streams(args[i]))
                .ok_or_else(keys_error)?;
            if at + 1 >= n {
                return Err(keys_error());
            }
            one(at + 1)
        }
    };
    if keys.count == 0 {
        return Err(ParseError::NoKeys);
    }
    Ok(Parsed { args, keys, multi })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RESP for the given arguments.
    fn resp(args: &[&str]) -> Vec<u8> {
        let mut v = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            v.extend_from_slice(format!("${}\r\n{}\r\n", a.len(), a).as_bytes());
        }
        v
    }

    fn key_of(args: &[&str]) -> Result<Vec<String>, ParseError> {
        let cmd = resp(args);
        let mut scratch = Scratch::new();
        let mut store = Args::new();
        // SAFETY: `scratch` outlives `store`, released once `store` is gone.
        let keys = unsafe { parse(&cmd, &mut store, &mut scratch) }.map(|p| {
            (0..p.nkeys())
                .map(|k| String::from_utf8(p.args[p.key_arg(k)].to_vec()).unwrap())
                .collect()
        });
        drop(store);
        scratch.release();
        keys
    }

    fn parse_err(cmd: &[u8]) -> ParseError {
        let mut scratch = Scratch::new();
        let mut store = Args::new();
        // SAFETY: as in `key_of` (no room is taken for a command that fails to parse).
        let e = unsafe { parse(cmd, &mut store, &mut scratch) }.unwrap_err();
        drop(store);
        scratch.release();
        e
    }

    fn text(e: ParseError) -> String {
        match e {
            ParseError::Keys(t) | ParseError::Unknown(t) => String::from_utf8(t).unwrap(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn table_is_sorted_and_complete() {
        assert_eq!(TABLE.len(), 376);
        assert!(
            TABLE
                .iter()
                .all(|e| e.name.len() <= NAME_MAX && e.sub.len() <= NAME_MAX)
        );
        for w in TABLE.windows(2) {
            assert!((w[0].name, w[0].sub) < (w[1].name, w[1].sub));
        }
        // The keys order names as their bytes do.
        for (i, e) in TABLE.iter().enumerate() {
            assert!(!e.name.contains(&0));
            for (j, f) in TABLE.iter().enumerate() {
                assert_eq!(NAME_KEYS[i].cmp(&NAME_KEYS[j]), e.name.cmp(f.name));
            }
        }
    }

    #[test]
    fn single_keys() {
        assert_eq!(key_of(&["get", "foo"]).unwrap(), ["foo"]);
        assert_eq!(key_of(&["SET", "k", "v", "EX", "10"]).unwrap(), ["k"]);
        assert_eq!(key_of(&["bitop", "and", "dest", "a"]).unwrap(), ["dest"]);
        assert_eq!(key_of(&["xinfo", "stream", "s"]).unwrap(), ["s"]);
        assert_eq!(
            key_of(&["migrate", "h", "1", "k", "0", "5"]).unwrap(),
            ["k"]
        );
        assert_eq!(key_of(&["eval", "return 1", "2", "a", "b"]).unwrap(), ["a"]);
        assert_eq!(key_of(&["zunion", "2", "a", "b"]).unwrap(), ["a"]);
        assert_eq!(key_of(&["unlink", "a", "b"]).unwrap(), ["a"]);
        assert_eq!(key_of(&["GET\0X", "k"]).unwrap(), ["k"]);
    }

    #[test]
    fn multi_keys() {
        assert_eq!(key_of(&["mget", "a", "b", "c"]).unwrap(), ["a", "b", "c"]);
        assert_eq!(key_of(&["MSET", "a", "1", "b", "2"]).unwrap(), ["a", "b"]);
        assert_eq!(key_of(&["exists", "a", "a"]).unwrap(), ["a", "a"]);
        assert_eq!(key_of(&["del", "x"]).unwrap(), ["x"]);
        // More arguments than kept inline.
        let many: Vec<String> = (0..40).map(|i| format!("k{i}")).collect();
        let mut cmd = vec!["MGET"];
        cmd.extend(many.iter().map(String::as_str));
        assert_eq!(key_of(&cmd).unwrap(), many);
    }

    #[test]
    fn many_arguments_lease_and_give_back() {
        let keys: Vec<String> = (0..40).map(|i| format!("k{i}")).collect();
        let mut args = vec!["MGET"];
        args.extend(keys.iter().map(String::as_str));
        let cmd = resp(&args);
        let mut scratch = Scratch::new();
        let sp: *mut Scratch = &mut scratch;
        // SAFETY: `scratch` outlives the leases (they end with the blocks).
        unsafe {
            {
                let mut store = Args::new();
                let p = parse(&cmd, &mut store, sp).unwrap();
                assert_eq!((p.nkeys(), p.args[40]), (40, &b"k39"[..]));
                assert_eq!((*sp).live(), 1);
            }
            assert_eq!((*sp).live(), 0);
            let get = resp(&["GET", "k"]);
            {
                let mut store = Args::new();
                parse(&get, &mut store, sp).unwrap();
                assert_eq!((*sp).live(), 0);
            }
            (*sp).release();
        }
    }

    #[test]
    fn command_names() {
        assert_eq!(
            command_name(&resp(&["SUBSCRIBE", "a", "b"])),
            Some(&b"SUBSCRIBE"[..])
        );
        let keys: Vec<String> = (0..40).map(|i| format!("c{i}")).collect();
        let mut args = vec!["sunsubscribe"];
        args.extend(keys.iter().map(String::as_str));
        assert_eq!(command_name(&resp(&args)), Some(&b"sunsubscribe"[..]));
        // Only a whole, well-formed command has a name.
        assert_eq!(command_name(b"*2\r\n$9\r\nSUBSCRIBE\r\n"), None);
        assert_eq!(command_name(b"*2\r\n$9\r\nSUBSCRIBE\r\n$1\r\nab\r\n"), None);
        assert_eq!(command_name(b"SUBSCRIBE a\r\n"), None);
    }

    #[test]
    fn streams_keyword() {
        assert_eq!(key_of(&["XREAD", "STREAMS", "s", "0"]).unwrap(), ["s"]);
        assert_eq!(
            key_of(&["xread", "COUNT", "1", "streams", "k", "0"]).unwrap(),
            ["k"]
        );
        assert_eq!(
            key_of(&["XREADGROUP", "GROUP", "g", "c", "STREAMS", "k", ">"]).unwrap(),
            ["k"]
        );
        assert_eq!(
            text(key_of(&["XREAD", "COUNT", "1", "k", "0"]).unwrap_err()),
            "Failed to find keys of command XREAD"
        );
    }

    #[test]
    fn errors() {
        assert_eq!(
            text(key_of(&["GET"]).unwrap_err()),
            "Failed to find keys of command GET"
        );
        assert_eq!(
            text(key_of(&["GET", "a", "b"]).unwrap_err()),
            "Failed to find keys of command GET"
        );
        assert_eq!(
            text(key_of(&["MSET", "a", "1", "b"]).unwrap_err()),
            "Failed to find keys of command MSET"
        );
        assert_eq!(
            text(key_of(&["xgroup", "destroy"]).unwrap_err()),
            "Failed to find keys of command XGROUP DESTROY"
        );
        assert_eq!(
            text(key_of(&["CLUSTER", "NODES", "extra"]).unwrap_err()),
            "Failed to find keys of command CLUSTER NODES"
        );
        assert_eq!(
            text(key_of(&["SUNSUBSCRIBE"]).unwrap_err()),
            "Failed to find keys of command SUNSUBSCRIBE"
        );
        assert_eq!(
            text(key_of(&["FOO", "bar"]).unwrap_err()),
            "Unknown command FOO bar"
        );
        assert_eq!(
            text(key_of(&["CLUSTER"]).unwrap_err()),
            "Unknown command CLUSTER"
        );
        assert_eq!(
            text(key_of(&["CLUSTER", "FOO"]).unwrap_err()),
            "Unknown command CLUSTER FOO"
        );
        assert_eq!(
            text(key_of(&["XGROUP"]).unwrap_err()),
            "Unknown command XGROUP"
        );
        assert_eq!(key_of(&["PING"]).unwrap_err(), ParseError::NoKeys);
        assert_eq!(key_of(&["eval", "s", "0"]).unwrap_err(), ParseError::NoKeys);
        assert_eq!(key_of(&["eval", "s", ""]).unwrap_err(), ParseError::NoKeys);
        assert_eq!(
            text(key_of(&["migrate", "h", "1", "", "0", "5", "KEYS", "a"]).unwrap_err()),
            "Failed to find keys of command MIGRATE"
        );
        assert_eq!(parse_err(b"GET foo\r\n"), ParseError::NotResp);
        assert_eq!(
            parse_err(b"*2\r\n$3\r\nGET\r\n$9\r\nfoo\r\n"),
            ParseError::NotResp
        );
        // More arguments claimed than the bytes could hold: refused before any room is taken.
        assert_eq!(
            parse_err(b"*1000000000000\r\n$3\r\nGET\r\n$3\r\nfoo\r\n"),
            ParseError::NotResp
        );
        assert_eq!(
            parse_err(b"*3\r\n$3\r\nGET\r\n$0\r\n\r\n"),
            ParseError::NotResp
        );
        let long = "x".repeat(200);
        assert_eq!(text(key_of(&[&long]).unwrap_err()).len(), 99);
    }
}
