//! The flags of pra-verify (clap derive). The help text is the man page.

use pra_core::cli::{BackupArgs, DbArgs, OutputArgs, PgBinArgs, RepoArgs};
use pra_core::manifest::VerifyLevel;
use std::path::PathBuf;

/// Prove backups are intact and restorable.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "pra-verify",
    version,
    about = "Prove pra backups are intact and restorable",
    long_about = "Prove pra backups are intact and restorable.\n\n\
Which backups: those named by `backup` events on stdin (so `pra-backup | pra-verify` \
verifies what was just taken), else --backup (default: latest) of --stanza or, without it, of \
every stanza of the repository.\n\n\
Levels:\n  \
manifest  every file the manifest names exists with its stored size;\n  \
checksum  (default) the stored sha256 (for age files, age's own authentication of every chunk), the decoding with every zstd \
frame's content checksum, the raw size and sha256 (not for pra-backup's framed zstd files, whose frame checksums prove \
the decode, docs/VERIFY.md), and `pg_restore --list` reading the dump's table of contents, in one streaming pass;\n  \
restore   checksum (the same checks: a restore makes them too), then a test restore into a scratch database named \
pra_verify_<stanza>_<id> on the server given by -d, the exact row count of every \
table compared with the manifest, --check-sql assertions, and the scratch database \
dropped afterwards (also on failure and on SIGINT/SIGTERM; a server that does not \
answer then runs the drop queued on the run's connection when it resumes; leftovers of \
killed runs are dropped by the next run).\n\n\
A shared lock on each backup keeps pra-rotate from deleting it while it is verified. \
The result is recorded as verify.json beside the manifest. One `verify` event per \
backup on stdout.",
    after_help = "Examples:\n  \
pra-backup -d app | pra-verify\n  \
pra-verify --repo /var/backups/pra --stanza app --backup all --level manifest\n  \
pra-verify --all-stanzas --level restore -d 'host=/run/postgresql user=postgres dbname=postgres'\n  \
pra-verify --stanza app --level restore --check-sql /etc/pra/app-checks.sql\n\n\
Exit codes: 0 every backup verified, 1 a backup failed verification, 2 usage error, \
3 repository or server unreachable (or a lock held), 130/143 interrupted.",
    mut_arg("backup", |a| a.env("PRA_VERIFY_BACKUP")),
    mut_arg("since", |a| a.env("PRA_VERIFY_SINCE")),
    mut_arg("stanza", |a| a.help(
        "Stanza whose backups to verify (default: every stanza of the repository)."))
)]
pub struct Args {
    /// Repository and stanza.
    #[command(flatten)]
    pub repo: RepoArgs,

    /// Verify the backups of every stanza in the repository (also the default without
    /// --stanza).
    #[arg(long, env = "PRA_VERIFY_ALL_STANZAS", conflicts_with = "stanza")]
    pub all_stanzas: bool,

    /// Which backups (ignored when stdin carries `backup` events).
    #[command(flatten)]
    pub backups: BackupArgs,

    /// How deep to verify.
    #[arg(long, env = "PRA_VERIFY_LEVEL", value_enum, default_value_t = VerifyLevel::Checksum)]
    pub level: VerifyLevel,

    /// Server for the restore level (the scratch database is created there).
    #[command(flatten)]
    pub db: DbArgs,

    /// Restore level: a file of SQL queries run in the scratch database after the
    /// restore; each must return true (one row, one column), e.g.
    /// `SELECT count(*) > 0 FROM orders;`.
    #[arg(long, env = "PRA_VERIFY_CHECK_SQL", value_name = "FILE")]
    pub check_sql: Option<PathBuf>,

    /// Restore level: pg_restore jobs. 1 streams the decoded dump into pg_restore; more
    /// decode it to a temporary file first (it needs the dump's raw size in $TMPDIR).
    #[arg(long, env = "PRA_VERIFY_JOBS", value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=64))]
    pub jobs: u32,

    /// The keys of encrypted backups (the checksum and restore levels decode).
    #[command(flatten)]
    pub decrypt: pra_core::crypt::args::DecryptArgs,

    /// Where pg_restore is (checksum and restore levels).
    #[command(flatten)]
    pub pg_bin: PgBinArgs,

    /// Restore level: when the test restore counts as stalled.
    #[command(flatten)]
    pub stall: pra_core::cli::StallArgs,

    /// Output and logging.
    #[command(flatten)]
    pub out: OutputArgs,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};
    use pra_core::select::BackupSelector;

    #[test]
    fn flags_parse_and_help_is_consistent() {
        Args::command().debug_assert();
        let a = Args::try_parse_from(["pra-verify", "--repo", "/r", "--all-stanzas"]).unwrap();
        assert!(a.all_stanzas);
        assert_eq!(a.level, VerifyLevel::Checksum);
        assert_eq!(a.backups.backup, BackupSelector::Latest);
        let all = Args::try_parse_from([
            "pra-verify",
            "--repo",
            "/r",
            "--backup",
            "all",
            "--since",
            "7d",
        ])
        .unwrap();
        assert_eq!(all.backups.backup, BackupSelector::All);
        assert!(
            Args::try_parse_from(["pra-verify", "--repo", "/r", "--backup", "newest"]).is_err()
        );
        let help = Args::command().render_long_help().to_string();
        for needle in [
            "PRA_VERIFY_BACKUP",
            "PRA_VERIFY_SINCE",
            "PRA_PG_BINDIR",
            "every stanza of the repository",
        ] {
            assert!(help.contains(needle), "--help lacks {needle:?}");
        }
        assert!(!help.contains("default: the database name"));
        assert!(Args::try_parse_from([
            "pra-verify",
            "--repo",
            "/r",
            "--all-stanzas",
            "--stanza",
            "x"
        ])
        .is_err());
        let r = Args::try_parse_from([
            "pra-verify",
            "--repo",
            "/r",
            "--level",
            "restore",
            "-d",
            "postgres",
        ])
        .unwrap();
        assert_eq!(r.level, VerifyLevel::Restore);
        assert_eq!(r.db.dbname.as_deref(), Some("postgres"));
    }
}
