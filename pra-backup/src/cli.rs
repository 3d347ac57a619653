//! The flags of pra-backup (clap derive); the help text is the man page.

use pra_core::cli::{DbArgs, OutputArgs, PgBinArgs, RepoArgs};
use pra_core::codec::Codec;
use std::time::Duration;

/// Which tables get an exact row count in the dump's snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum CountRows {
    /// Every user table (the default): verification can compare them all.
    #[default]
    All,
    /// Only the `--critical-table` tables (for very large databases).
    None,
}

/// pra-backup: take a snapshot-consistent logical backup of a PostgreSQL database.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "pra-backup",
    version,
    about = "Take a snapshot-consistent logical backup of PostgreSQL into a pra repository",
    long_about = "Take a snapshot-consistent logical backup of PostgreSQL into a pra repository.\n\n\
        pra-backup opens a REPEATABLE READ transaction, exports its snapshot, records in it the \
        server version, system identifier, database size and WAL position, then runs \
        `pg_dump --format=custom --snapshot` in that same snapshot. The dump is streamed \
        through sha256, the codec (zstd by default) and sha256 again into the repository, in \
        bounded memory, and the exact row count of every table is read from it on the way. \
        The cluster's globals (roles, tablespaces) are stored beside it. The manifest is written last: a backup without a manifest is \
        incomplete and ignored by the other tools.\n\n\
        Events (pra.v1 JSON lines) read on stdin are forwarded first; then one `backup` event \
        per database is written on stdout.",
    after_help = "Examples:\n  \
        pra-backup -d app --repo /var/backups/pra --init\n  \
        pra-backup -d 'host=/run/postgresql user=postgres dbname=app' --repo /var/backups/pra --compress gzip\n  \
        pra-backup --all-databases --init --repo /mnt/a --repo /mnt/b | pra-verify | pra-notify\n\n\
        Exit codes: 0 backup complete, 2 bad flag or configuration, 3 runtime failure \
        (database unreachable, pg_dump failed, storage error, stanza locked, no repository \
        at --repo without --init), \
        130/143 interrupted by SIGINT/SIGTERM (the partial backup is removed)."
)]
pub struct Args {
    /// Repository and stanza.
    #[command(flatten)]
    pub repo: RepoArgs,

    /// Database connection.
    #[command(flatten)]
    pub db: DbArgs,

    /// Output and logging.
    #[command(flatten)]
    pub output: OutputArgs,

    /// Compression of the stored files.
    #[arg(long, env = "PRA_COMPRESS", value_enum, default_value_t = Codec::Zstd)]
    pub compress: Codec,

    /// Compression level (zstd 1-19, default 3; gzip 1-9, default 6).
    #[arg(long, env = "PRA_LEVEL", value_name = "N")]
    pub level: Option<i32>,

    /// zstd worker threads (0: compress on the streaming thread; at most 64).
    #[arg(long, env = "PRA_THREADS", value_name = "N", default_value_t = 2,
          value_parser = clap::value_parser!(u32).range(0..=64))]
    pub threads: u32,

    /// Encryption of the stored files (docs/SECURITY.md).
    #[command(flatten)]
    pub encrypt: pra_core::crypt::args::EncryptArgs,

    /// Which tables get an exact row count in the dump's snapshot.
    #[arg(long, env = "PRA_COUNT_ROWS", value_enum, default_value_t = CountRows::All)]
    pub count_rows: CountRows,

    /// A table that is always counted, even with --count-rows none
    /// (`schema.table`, or `table` in any schema). Repeatable.
    #[arg(
        long = "critical-table",
        env = "PRA_CRITICAL_TABLES",
        value_delimiter = ',',
        value_name = "TABLE"
    )]
    pub critical_tables: Vec<String>,

    /// Back up every connectable non-template database of the server, one stanza each
    /// (named after the database; --stanza is refused).
    #[arg(long, conflicts_with = "stanza")]
    pub all_databases: bool,

    /// Retries of a backup that failed for a transient reason (connection refused or
    /// reset, server starting up). Permanent errors fail at once.
    #[arg(long, env = "PRA_RETRIES", value_name = "N", default_value_t = 2,
          value_parser = clap::value_parser!(u32).range(0..=100))]
    pub retries: u32,

    /// Delay before a retry.
    #[arg(long, env = "PRA_RETRY_DELAY", value_name = "DURATION", default_value = "5s",
          value_parser = pra_core::time::parse_duration)]
    pub retry_delay: Duration,

    /// Wait this long for the stanza lock held by another backup instead of failing at once.
    #[arg(long, env = "PRA_WAIT", value_name = "DURATION", default_value = "0s",
          value_parser = pra_core::time::parse_duration)]
    pub wait: Duration,

    /// Create the repository if it does not exist (its directory, never the parents;
    /// then pra.json); a no-op on an existing repository, so scripts may always pass it.
    /// Without it a missing location, an empty directory (an unmounted disk) or one
    /// without pra.json is refused (exit 3), so a typo never becomes a new repository.
    #[arg(long, env = "PRA_INIT")]
    pub init: bool,

    /// With --init: files group-readable (0640, directories 0750) instead of private,
    /// for a monitoring user in the owner's group running pra-status or pra-info.
    /// Recorded in pra.json, so every later writer keeps it.
    #[arg(long, env = "PRA_REPO_GROUP_READABLE", requires = "init")]
    pub group_readable: bool,

    /// Physical backup of the whole cluster (data directory and tablespaces, one object
    /// per file) instead of a logical dump: pg_backup_start, copy, pg_backup_stop, then a
    /// wait until the last WAL segment is archived. Run on the database host with read
    /// access to the data directory; needs archive_mode = on with pra-wal as
    /// archive_command and PostgreSQL 15 or newer (docs/PHYSICAL.md). --stanza is required.
    /// With --encrypt-to or --passphrase-file every file (backup_label and
    /// tablespace_map included) is encrypted like a logical backup's; give pra-wal push
    /// the same keys so that the WAL is too (docs/SECURITY.md).
    #[arg(
        long,
        env = "PRA_PHYSICAL",
        conflicts_with = "all_databases",
        requires = "stanza"
    )]
    pub physical: bool,

    /// With --physical: how long to wait for the backup's last WAL segment to be archived
    /// before failing (archiving broken).
    #[arg(long, env = "PRA_ARCHIVE_TIMEOUT", value_name = "DURATION", default_value = "60s",
          value_parser = pra_core::time::parse_duration)]
    pub archive_timeout: Duration,

    /// Where pg_dump and pg_dumpall are.
    #[command(flatten)]
    pub pg_bin: PgBinArgs,

    /// When a dump counts as stalled.
    #[command(flatten)]
    pub stall: pra_core::cli::StallArgs,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    #[test]
    fn flags_parse_and_help_is_consistent() {
        Args::command().debug_assert();
        let a = Args::try_parse_from([
            "pra-backup",
            "--repo",
            "/r",
            "-d",
            "app",
            "--compress",
            "gzip",
            "--critical-table",
            "public.t",
            "--critical-table",
            "u",
            "--wait",
            "10s",
        ])
        .unwrap();
        assert_eq!(a.compress, Codec::Gzip);
        assert_eq!(a.critical_tables, ["public.t", "u"]);
        assert_eq!(a.wait, Duration::from_secs(10));
        assert_eq!(a.retries, 2);
        assert!(Args::try_parse_from(["pra-backup", "--repo", "/r", "--compress", "xz"]).is_err());
        assert!(Args::try_parse_from([
            "pra-backup",
            "--repo",
            "/r",
            "--all-databases",
            "--stanza",
            "s"
        ])
        .is_err());
    }

    /// A physical backup takes the encryption flags like a logical one.
    #[test]
    fn physical_takes_the_encryption_flags() {
        let base = ["pra-backup", "--repo", "/r", "--stanza", "s", "--physical"];
        let key = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p";
        let a = Args::try_parse_from(base.iter().copied().chain(["--encrypt-to", key])).unwrap();
        assert!(a.physical && a.encrypt.encrypt_to == [key]);
        let a =
            Args::try_parse_from(base.iter().copied().chain(["--passphrase-file", "/k"])).unwrap();
        assert!(a.physical && a.encrypt.passphrase_file.is_some());
    }
}
