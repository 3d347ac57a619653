//! The flags of `pra-restore --physical` (flattened into [`crate::Args`]): the data
//! directory, the recovery target, and whether to start the server.

use std::path::PathBuf;

/// What the server does once it reaches the recovery target (`recovery_target_action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TargetAction {
    /// End recovery and accept writes on a new timeline.
    Promote,
    /// Stay in recovery, paused, read-only (inspect, then `SELECT pg_wal_replay_resume()`).
    Pause,
    /// Stop the server.
    Shutdown,
}

impl TargetAction {
    /// PostgreSQL's word.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetAction::Promote => "promote",
            TargetAction::Pause => "pause",
            TargetAction::Shutdown => "shutdown",
        }
    }
}

/// `--physical` and its companions.
#[derive(Debug, Clone, clap::Args)]
pub struct PhysicalArgs {
    /// Restore a physical backup (pra-backup --physical) into a data directory
    /// (--pgdata) instead of a logical one into a database; WAL is fetched from the
    /// repository by `pra-wal fetch` as restore_command, up to the target
    /// (docs/PHYSICAL.md). Run as the OS user the server runs as. An encrypted backup
    /// or WAL needs --identity FILE, checked before anything is written; restore_command
    /// gets the identity file's absolute path (never its contents), so the server's
    /// user must be able to read it.
    #[arg(long, requires = "pgdata", conflicts_with_all = ["all_stanzas", "target_db"])]
    pub physical: bool,

    /// With --physical: the data directory to write (created 0700). Must be empty or
    /// absent, unless --force.
    #[arg(long, env = "PRA_PGDATA", value_name = "DIR", requires = "physical")]
    pub pgdata: Option<PathBuf>,

    /// With --physical: empty a non-empty --pgdata first (the server must be stopped).
    #[arg(long, requires = "physical")]
    pub force: bool,

    /// Recover up to this time (recovery_target_time, e.g. `2026-11-26 15:42:00+00`);
    /// the newest backup finished before it is picked.
    #[arg(
        long,
        value_name = "TIME",
        group = "recovery_target",
        requires = "physical"
    )]
    pub target_time: Option<String>,

    /// Recover up to this WAL position (recovery_target_lsn, e.g. `0/3000060`).
    #[arg(
        long,
        value_name = "LSN",
        group = "recovery_target",
        requires = "physical"
    )]
    pub target_lsn: Option<String>,

    /// Recover up to this transaction id (recovery_target_xid).
    #[arg(
        long,
        value_name = "XID",
        group = "recovery_target",
        requires = "physical"
    )]
    pub target_xid: Option<String>,

    /// Recover up to this restore point (recovery_target_name, made with
    /// `SELECT pg_create_restore_point('name')`).
    #[arg(
        long,
        value_name = "NAME",
        group = "recovery_target",
        requires = "physical"
    )]
    pub target_name: Option<String>,

    /// `immediate`: stop as soon as the backup is consistent (its own state, no later WAL).
    #[arg(long = "target", value_name = "immediate", value_parser = ["immediate"],
          group = "recovery_target", requires = "physical")]
    pub target_immediate: Option<String>,

    /// With --physical: restore tablespace OID into DIR (absolute) instead of its
    /// recorded location, e.g. a copy beside the running source on the same host
    /// (repeatable; default: each where it was). tablespace_map is written to match.
    #[arg(long, value_name = "OID=DIR", requires = "physical",
          value_parser = crate::physical_tablespaces::parse_tablespace_map)]
    pub tablespace_map: Vec<(u32, PathBuf)>,

    /// Restore a warm standby instead of recovering to a target: `standby.signal` and
    /// primary_conninfo, so that the copy replays the archive, then streams from the
    /// primary (promote it with `pg_ctl promote`, docs/RUNBOOK.md).
    #[arg(long, requires_all = ["physical", "primary_conninfo"], conflicts_with = "recovery_target")]
    pub standby: bool,

    /// With --standby: how to reach the primary (`host=db1 port=5432 user=replicator`).
    /// No password here: it would sit in postgresql.auto.conf; give the standby's OS
    /// user a pgpass file (or `passfile=`) instead.
    #[arg(long, value_name = "CONNINFO", requires = "standby")]
    pub primary_conninfo: Option<String>,

    /// What the server does at the target.
    #[arg(long, value_enum, default_value_t = TargetAction::Promote, requires = "physical")]
    pub target_action: TargetAction,

    /// Start the server (pg_ctl, from --pg-bindir) and wait until recovery reached
    /// the target and queries are accepted: the event's rto_s is "to first query".
    /// With --target-action pause: until replay is paused at the target (read-only
    /// queries); with shutdown: until the server has stopped at the target (rto_s is
    /// then "to the target", and nothing answers).
    #[arg(long, requires = "physical")]
    pub start: bool,

    /// With --start: the port to start on (default: the restored configuration's).
    #[arg(long, value_name = "PORT", requires = "start")]
    pub port: Option<u16>,

    /// `off`: write `archive_mode = off`, so that a copy restored for a test or an
    /// inspection never archives its new timeline into the stanza (PostgreSQL would
    /// otherwise follow it in later recoveries); `preserve` (default): keep the
    /// backup's setting, for a copy that becomes the new primary.
    #[arg(long, value_name = "MODE", value_parser = ["preserve", "off"],
          default_value = "preserve", requires = "physical")]
    pub archive_mode: String,

    /// The pra-wal program restore_command runs (default: pra-wal, on the server's PATH).
    #[arg(
        long,
        env = "PRA_WAL_BIN",
        value_name = "PATH",
        default_value = "pra-wal",
        requires = "physical"
    )]
    pub pra_wal: String,

    /// With --start: how long to wait for recovery to reach the target.
    #[arg(long, value_name = "DURATION", default_value = "10m",
          value_parser = pra_core::time::parse_duration, requires = "start")]
    pub recovery_timeout: std::time::Duration,
}
