//! The checks, one module per thing checked. Each module builds the [`Job`](crate::runner::Job)s
//! that the runner executes in parallel.

pub mod backup;
pub mod database;
pub mod disk;
pub mod http;
pub mod recovery_point;
pub mod server;
