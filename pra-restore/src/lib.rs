//! pra-restore: restore a pra backup into a database in one command.
//!
//! The backup's stored files are checksummed before the server is touched; the
//! dump is restored under a temporary database name, validated (exact row counts
//! against the manifest, critical tables, ANALYZE, application URLs), and only
//! then renamed to the target. One `restore` event reports the phases and the
//! measured RTO. [`load_dump`] is the library entry other tools call.

mod cli;
mod dbstate;
mod error;
mod load;
mod overlap;
mod overlap_worker;
mod physical;
mod physical_args;
mod physical_keys;
mod physical_start;
mod physical_tablespaces;
mod programs;
mod progress;
mod report;
mod restore;
mod roles;
mod select;
mod server;
mod settled;
mod validate;
mod whole;

pub use cli::Args;
pub use error::Error;
pub use load::{load_dump, LoadOptions, LoadStats};
pub use physical_args::{PhysicalArgs, TargetAction};
pub use restore::{run, TOOL};
