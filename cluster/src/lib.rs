//! libhiredis_rs_cluster: hiredis-cluster 0.14.0's API (Redis Cluster client) on the
//! hiredis-rs core, reached only through the core's exported C functions (`core`).
//!
//! `types` holds the public structs of `hircluster.h`; `dict`, `adlist`, `hiarray` and
//! `hiutil` the small exported helper libraries; `command` the key finder; `cluster` the
//! context, seeds, options, connections and slot map; `exec` the command paths. The
//! variadic entry points are C (`variadic.c`), handing their formatted commands to `exec`.

pub mod adlist;
pub mod async_api;
pub mod cluster;
mod command;
mod core;
pub mod dict;
pub mod exec;
pub mod hiarray;
pub mod hiutil;
mod scratch;
pub mod types;
