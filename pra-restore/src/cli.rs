//! The command line of pra-restore (clap derive). The help text is the man page.

use clap::Parser;
use pra_core::cli::{BackupArgs, DbArgs, OutputArgs, PgBinArgs, RepoArgs};
use std::path::PathBuf;
use std::time::Duration;

/// Restore a pra backup into a database in one command, validated, with the measured RTO.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "pra-restore",
    version,
    about = "Restore a pra backup into a database in one command, validated, with the measured RTO",
    long_about = "Restore a pra backup into a database in one command.\n\n\
        The backup's stored files are checksummed before the server is touched. The dump is \
        restored into a temporary database (<target>__pra_restore_<pid>), validated (the exact \
        row count of every table against the manifest, each --critical-table present and not \
        empty, ANALYZE, each --check-url answering 2xx), and only then renamed to the target: a \
        failed restore never leaves a half-restored database under the target name. A database \
        that fails validation is kept under its temporary name for inspection.\n\n\
        One `restore` event (JSON line on stdout) reports the backup, the target, the phase \
        timings (fetch_s, restore_s, validate_s) and the total rto_s; it is `warn` when over \
        --rto. Events read on stdin are forwarded first.\n\n\
        -d/--dbname (or PGHOST, PGPORT, PGUSER …) says which server; the database name in it \
        is not used: the maintenance connection goes to `postgres`.",
    after_help = "Examples:\n  \
        pra-restore --repo /var/backups/pra --all-stanzas --backup latest-verified --jobs 2\n  \
        pra-restore --repo /var/backups/pra --stanza app --target-db app_restored\n  \
        pra-restore --repo /var/backups/pra --stanza app --target-db app --clean --yes --globals --jobs 2 \\\n      \
        --critical-table public.payments --check-url http://127.0.0.1:8080/health --rto 30m --report restore.md\n  \
        pra-restore --repo /var/backups/pra --stanza app --backup latest-verified --target-db app_check --no-owner\n\n\
        Exit codes: 0 restored and validated (also when over --rto: the event says warn); \
        1 validation failed (database kept under its temporary name) or the backup is corrupt \
        (nothing created); 2 usage error, target database exists, or roles missing; \
        3 runtime failure (server unreachable, repository unreadable, pg_restore failed).",
    mut_arg("backup", |a| a.env("PRA_RESTORE_BACKUP").value_name("ID|latest|latest-verified").help(
        "Which backup: an id (20261125T110000Z), `latest` (the newest complete one) or \
         `latest-verified` (the newest with a passing checksum or restore verdict that no \
         failure stands against, docs/VERIFY.md); `all` is refused: a restore is of one \
         backup. With --all-stanzas an id may also be the run id of a pra-backup \
         --all-databases run.")),
    mut_arg("since", |a| a.env("PRA_RESTORE_SINCE")),
    mut_arg("repos", |a| a.help(
        "Backup repository: a path, file://, s3://, az:// or gs:// URL (docs/STORAGE.md). Several values (or a comma-separated \
         PRA_REPO): the first that holds the backup is used.")),
    mut_arg("stanza", |a| a.help(
        "Stanza to restore from (default: the target database name when the repository \
         has that stanza, else the repository's only stanza)."))
)]
pub struct Args {
    /// Database to restore into (at most 63 bytes, PostgreSQL's limit). Must not exist,
    /// unless --clean --yes.
    #[arg(
        long,
        env = "PRA_TARGET_DB",
        value_name = "NAME",
        required_unless_present_any = ["all_stanzas", "physical"],
        value_parser = parse_target_db
    )]
    pub target_db: Option<String>,

    /// Restore every stanza of the repository (a `pra-backup --all-databases` run), each
    /// into the database it was taken from, after creating the roles and tablespaces of
    /// the backup's globals that do not exist. With --backup ID, the backups of that
    /// --all-databases run (its run id, or a backup id) in each stanza that has one;
    /// with latest or latest-verified, that backup of each stanza. A database that
    /// exists is replaced only with --clean --yes; `postgres` (the maintenance
    /// database) is never replaced. --report FILE writes one report per database,
    /// named after it (restore-app.md beside restore.md).
    #[arg(long, env = "PRA_RESTORE_ALL_STANZAS", conflicts_with_all = ["stanza", "target_db"])]
    pub all_stanzas: bool,

    /// Which backup (one: `all` is refused) and from how recent a window.
    #[command(flatten)]
    pub backups: BackupArgs,

    /// Repository and stanza.
    #[command(flatten)]
    pub repo: RepoArgs,

    /// The server to restore onto (the database name in it is not used).
    #[command(flatten)]
    pub db: DbArgs,

    /// pg_restore jobs [default: the number of cores]. 1 streams the decoded dump into
    /// pg_restore; more decode it to a temporary file first (see --temp-dir) and run
    /// pg_restore -j N, which loads tables and builds indexes in parallel (1 job was
    /// measured 1.25x slower than 2 on 2 cores). Use 1 when --temp-dir lacks room for
    /// the dump's raw size.
    #[arg(long, env = "PRA_RESTORE_JOBS", value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=64))]
    pub jobs: Option<u32>,

    /// Create the roles (and tablespaces) the backup needs that do not exist yet, from the
    /// backup's globals; existing ones are left alone and reported.
    #[arg(long, env = "PRA_RESTORE_GLOBALS")]
    pub globals: bool,

    /// Restore without ownership and grants (objects belong to the connecting user).
    #[arg(long, env = "PRA_RESTORE_NO_OWNER")]
    pub no_owner: bool,

    /// Do not re-apply the backup's database-level state (owner, comment, privileges,
    /// ALTER DATABASE … SET and ALTER ROLE … IN DATABASE … SET settings) to the target.
    #[arg(long, env = "PRA_RESTORE_NO_DB_SETTINGS")]
    pub no_db_settings: bool,

    /// Replace an existing target database (needs --yes). The old one stays in place until
    /// the new one is validated, then is dropped (or kept with --keep-old).
    #[arg(long, requires = "yes")]
    pub clean: bool,

    /// Confirm --clean.
    #[arg(long)]
    pub yes: bool,

    /// With --clean: keep the replaced database as <target>__pra_old_<time> instead of dropping it.
    #[arg(long, requires = "clean")]
    pub keep_old: bool,

    /// Allow --target-db postgres, the maintenance database tools and sessions connect
    /// to (refused without it). Template databases (template0, template1 and any with
    /// datistemplate) are never a target.
    #[arg(long)]
    pub allow_postgres_target: bool,

    /// Directory for the decoded dump when --jobs > 1 (needs the dump's raw size free).
    #[arg(long, env = "PRA_RESTORE_TEMP_DIR", value_name = "DIR")]
    pub temp_dir: Option<PathBuf>,

    /// A table that must exist and not be empty after the restore ([schema.]table); repeatable.
    #[arg(
        long = "critical-table",
        env = "PRA_CRITICAL_TABLES",
        value_name = "TABLE",
        value_delimiter = ','
    )]
    pub critical_tables: Vec<String>,

    /// A URL that must answer 2xx after the restore (e.g. the application's health check);
    /// `{db}` in it is replaced by the restored database's temporary name; repeatable.
    #[arg(
        long = "check-url",
        env = "PRA_RESTORE_CHECK_URLS",
        value_name = "URL",
        value_delimiter = ','
    )]
    pub check_urls: Vec<String>,

    /// Time limit of each --check-url request (default: 10s).
    #[arg(long, env = "PRA_HTTP_TIMEOUT", value_name = "DURATION",
          value_parser = pra_core::time::parse_duration)]
    pub http_timeout: Option<Duration>,

    /// Former name of --http-timeout (and its variable), still honoured.
    #[arg(long, env = "PRA_RESTORE_CHECK_TIMEOUT", value_name = "DURATION", hide = true,
          value_parser = pra_core::time::parse_duration)]
    pub check_timeout: Option<Duration>,

    /// Recovery time objective: the event is `warn` when the restore takes longer.
    #[arg(long, env = "PRA_RTO", value_name = "DURATION", value_parser = pra_core::time::parse_duration)]
    pub rto: Option<Duration>,

    /// Write a Markdown restore report to this file.
    #[arg(long, env = "PRA_RESTORE_REPORT", value_name = "FILE")]
    pub report: Option<PathBuf>,

    /// The keys of encrypted backups.
    #[command(flatten)]
    pub decrypt: pra_core::crypt::args::DecryptArgs,

    /// Where pg_restore is.
    #[command(flatten)]
    pub pg_bin: PgBinArgs,

    /// Physical restore into a data directory (docs/PHYSICAL.md).
    #[command(flatten)]
    pub physical: crate::physical_args::PhysicalArgs,

    /// When a restore counts as stalled.
    #[command(flatten)]
    pub stall: pra_core::cli::StallArgs,

    /// Output and logging.
    #[command(flatten)]
    pub output: OutputArgs,
}

impl Args {
    /// The time limit of each --check-url request: --http-timeout, else the former
    /// --check-timeout (scripts written before the rename), else 10 s.
    pub fn probe_timeout(&self) -> Duration {
        self.http_timeout
            .or(self.check_timeout)
            .unwrap_or(Duration::from_secs(10))
    }

    /// pg_restore jobs: --jobs, else the number of cores this process may use (at
    /// least 1, at most the 64 --jobs accepts).
    pub fn jobs(&self) -> u32 {
        self.jobs.unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map_or(1, |n| u32::try_from(n.get()).unwrap_or(64))
                .clamp(1, 64)
        })
    }
}

/// PostgreSQL's identifier limit (NAMEDATALEN - 1): a longer name is silently
/// truncated by the server, so the restore would land in (or replace) another database.
const MAX_DB_NAME: usize = 63;

/// Parses `--target-db`: a database name PostgreSQL keeps as written, refused at parse
/// time (a usage error, exit 2) rather than after the backup was fetched.
fn parse_target_db(s: &str) -> Result<String, String> {
    if s.is_empty() {
        return Err("empty database name".to_string());
    }
    if s.contains('\0') {
        return Err("a database name cannot contain a NUL byte".to_string());
    }
    if s.len() > MAX_DB_NAME {
        return Err(format!(
            "{} bytes: PostgreSQL database names are at most {MAX_DB_NAME} bytes",
            s.len()
        ));
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;
    use pra_core::select::BackupSelector;

    #[test]
    fn flags_parse_and_help_says_what_restore_does_with_them() {
        Args::command().debug_assert();
        let a = Args::try_parse_from([
            "pra-restore",
            "--repo",
            "/a,/b",
            "--target-db",
            "app",
            "--backup",
            "latest-verified",
            "--since",
            "2d",
            "--pg-bindir",
            "/usr/lib/postgresql/15/bin",
        ])
        .unwrap();
        assert_eq!(a.repo.repos, ["/a", "/b"]);
        assert_eq!(a.backups.backup, BackupSelector::LatestVerified);
        assert!(a.backups.since.is_some() && a.pg_bin.pg_bindir.is_some());
        let help = Args::command().render_long_help().to_string();
        for needle in [
            "PRA_RESTORE_BACKUP",
            "PRA_RESTORE_SINCE",
            "PRA_PG_BINDIR",
            "the first that holds the backup",
            "target database name",
        ] {
            assert!(help.contains(needle), "--help lacks {needle:?}");
        }
    }

    /// Issue 22, item 15: a name PostgreSQL would truncate is a usage error.
    #[test]
    fn target_db_over_63_bytes_is_a_usage_error() {
        let parse =
            |db: &str| Args::try_parse_from(["pra-restore", "--repo", "/r", "--target-db", db]);
        assert!(parse(&"a".repeat(63)).is_ok());
        for bad in ["a".repeat(64), "é".repeat(32), String::new()] {
            let err = parse(&bad).unwrap_err();
            assert_eq!(err.kind(), clap::error::ErrorKind::ValueValidation, "{bad}");
        }
        assert!(parse(&"a".repeat(64))
            .unwrap_err()
            .to_string()
            .contains("63 bytes"));
    }

    #[test]
    fn jobs_default_to_the_cores() {
        let parse = |extra: &[&str]| {
            let mut argv = vec!["pra-restore", "--repo", "/r", "--target-db", "app"];
            argv.extend_from_slice(extra);
            Args::try_parse_from(argv).unwrap().jobs()
        };
        let cores = std::thread::available_parallelism().unwrap().get() as u32;
        assert_eq!(parse(&[]), cores.clamp(1, 64));
        assert_eq!(parse(&["--jobs", "1"]), 1);
        assert_eq!(parse(&["--jobs", "3"]), 3);
        assert!(Args::try_parse_from(["pra-restore", "--repo", "/r", "--jobs", "0"]).is_err());
    }

    #[test]
    fn http_timeout_and_its_former_name() {
        let with = |extra: &[&str]| {
            let mut argv = vec!["pra-restore", "--repo", "/r", "--target-db", "app"];
            argv.extend_from_slice(extra);
            Args::try_parse_from(argv).unwrap().probe_timeout()
        };
        assert_eq!(with(&["--http-timeout", "3s"]), Duration::from_secs(3));
        assert_eq!(with(&["--check-timeout", "7s"]), Duration::from_secs(7));
        assert_eq!(
            with(&["--http-timeout", "3s", "--check-timeout", "7s"]),
            Duration::from_secs(3)
        );
        let help = Args::command().render_long_help().to_string();
        assert!(help.contains("PRA_HTTP_TIMEOUT") && !help.contains("--check-timeout"));
    }
}
