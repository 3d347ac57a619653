//! Test kit of the pra tools (dev-only): real PostgreSQL clusters started from
//! the machine's server binaries, the project's own sample-data generator, the
//! shared real-world datasets, per-table content digests, a runner that
//! executes a tool binary and decodes its events, loopback HTTP, SMTP and
//! S3-compatible servers, and the shared storage-driver test suite.
//!
//! Nothing here mocks PostgreSQL. A missing server is a loud failure, with the
//! command that installs it.
//!
//! This crate is for tests: it panics with a full explanation when something
//! it needs is not there, because that is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod archiving;
pub mod cluster;
pub mod datasets;
pub mod digest;
pub mod fidelity;
pub mod frames;
pub mod freeze;
pub mod http;
pub mod keys;
pub mod objstore;
pub mod recovered;
pub mod run;
pub mod sample;
pub mod secrets;
pub mod smtp;
pub mod store_suite;
pub mod tls;
pub mod trap;

pub use cluster::{free_port, ClusterOptions, PgCluster};
pub use datasets::{datasets_dir, load_dataset, Dataset};
pub use digest::{database_digest, database_settings, object_owners, DatabaseDigest};
pub use fidelity::{load_fidelity, FIDELITY_ROLES};
pub use freeze::{wait_until, Frozen};
pub use http::{HttpServer, Reply, Request};
pub use objstore::{AzuriteServer, S3Server};
pub use recovered::RecoveredServer;
pub use run::{tool, tool_as, Running, Tool, ToolRun};
pub use sample::{load_app, load_sample, sql_file};
pub use smtp::SmtpServer;
pub use trap::ConnectionTrap;
