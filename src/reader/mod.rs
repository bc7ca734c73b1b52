//! The RESP reader behind `redisReader` (hiredis 1.4.1 `read.c` semantics).
//!
//! - [`parser`]: the resumable RESP2/RESP3 parser, safe Rust (`forbid(unsafe_code)`), which
//!   hands items to a [`Builder`];
//! - [`driver`]: the `redisReader` C sees (buffer, feeding, trimming, error state, handing
//!   replies out) and the fast paths for whole top-level scalars;
//! - [`reply`]: the default builders (`redisReply` objects, hiredis's `defaultFunctions`) and
//!   freeing of reply trees;
//! - [`tasks`]: builders that call a C function table, with the `redisReadTask` chain they see.

pub(crate) mod driver;
pub(crate) mod parser;
pub(crate) mod reply;
pub(crate) mod tasks;

pub(crate) use driver::{Reader, create, create_default, free};
pub(crate) use reply::free_reply;
pub(crate) use tasks::free_object;
