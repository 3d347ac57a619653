//! The command-line flags every tool shares, as clap groups to `#[command(flatten)]`,
//! and the logging setup (env_logger on stderr, prefixed with the tool's name).
//!
//! Each flag has an environment variable (`PRA_REPO`, `PRA_STANZA`, …) so that cron
//! jobs and systemd units configure the tools from one sourced file
//! (scripts/pra.env.example).

use crate::event::OutputFormat;
use clap::Args;
use std::io::Write;

/// Where backups are kept: `--repo` and `--stanza`, for every tool that reads or writes
/// a repository.
///
/// The help says what most tools do; a tool whose meaning differs (pra-restore uses the
/// first repository that holds the backup; pra-status and pra-loadtest do without one)
/// adjusts the help or `required` with `#[command(mut_arg("repos", …))]`, so that the
/// flag, its variable and its syntax stay defined here once.
///
/// One repository named twice (`--repo /r --repo file:///r/`) is a usage error: a
/// writer would wait for its own stanza lock ([`crate::repo::location_key`]).
#[derive(Debug, Clone)]
pub struct RepoArgs {
    /// The repositories, each once, in the order given.
    pub repos: Vec<String>,
    /// The stanza, when given.
    pub stanza: Option<String>,
}

/// The flags of [`RepoArgs`] as clap derives them, before the duplicate check.
#[derive(Debug, Clone, Args)]
#[group(id = "RepoArgs")]
struct RepoFlags {
    /// Backup repository: a path, file://, s3://bucket/prefix, az://container/prefix or
    /// gs://bucket/prefix (credentials from the providers' variables: docs/STORAGE.md).
    /// Several values (or a comma-separated PRA_REPO): each is used, in the order given.
    #[arg(
        long = "repo",
        env = "PRA_REPO",
        value_name = "REPO",
        value_delimiter = ',',
        required = true
    )]
    pub repos: Vec<String>,

    /// Stanza: the name one database's backups are kept under (default: the database name).
    #[arg(long, env = "PRA_STANZA", value_name = "NAME")]
    pub stanza: Option<String>,
}

impl RepoArgs {
    /// The parsed flags, refused when two of them name the same repository.
    fn checked(flags: RepoFlags) -> Result<RepoArgs, clap::Error> {
        let mut seen: Vec<(String, &str)> = Vec::new();
        for location in &flags.repos {
            let key = crate::repo::location_key(location);
            if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
                return Err(clap::Error::raw(
                    clap::error::ErrorKind::ArgumentConflict,
                    format!(
                        "--repo {} and --repo {} are the same repository: \
                         name each repository once\n",
                        crate::redact::redact_url(first),
                        crate::redact::redact_url(location)
                    ),
                ));
            }
            seen.push((key, location));
        }
        Ok(RepoArgs {
            repos: flags.repos,
            stanza: flags.stanza,
        })
    }
}

impl clap::FromArgMatches for RepoArgs {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        RepoFlags::from_arg_matches(matches).and_then(RepoArgs::checked)
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        let mut flags = RepoFlags {
            repos: self.repos.clone(),
            stanza: self.stanza.clone(),
        };
        flags.update_from_arg_matches(matches)?;
        *self = RepoArgs::checked(flags)?;
        Ok(())
    }
}

impl Args for RepoArgs {
    fn group_id() -> Option<clap::Id> {
        RepoFlags::group_id()
    }

    fn augment_args(cmd: clap::Command) -> clap::Command {
        RepoFlags::augment_args(cmd)
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        RepoFlags::augment_args_for_update(cmd)
    }
}

/// Which backups: `--backup` and `--since`, for every tool that picks backups.
///
/// Each tool gives the pair its own variables (`#[command(mut_arg("backup", |a|
/// a.env("PRA_VERIFY_BACKUP")))]`): one environment file serves all the tools, and
/// the nightly verification of `all` must not become the restore's choice.
#[derive(Debug, Clone, Args)]
pub struct BackupArgs {
    /// Which backup: an id (20261125T110000Z), `latest` (the newest complete one),
    /// `latest-verified` (the newest with a passing checksum or restore verdict that no
    /// failure stands against, docs/VERIFY.md) or `all`.
    #[arg(
        long,
        value_name = crate::select::SELECTOR_FORMS,
        default_value = "latest",
        value_parser = clap::builder::ValueParser::new(
            |s: &str| s.parse::<crate::select::BackupSelector>()
        )
    )]
    pub backup: crate::select::BackupSelector,

    /// Only backups started within this window before now are candidates (`7d`, `36h`).
    #[arg(long, value_name = "DURATION", value_parser = crate::time::parse_duration)]
    pub since: Option<std::time::Duration>,
}

impl BackupArgs {
    /// The selection these flags describe.
    pub fn selection(&self) -> crate::select::Selection {
        crate::select::Selection {
            backup: self.backup.clone(),
            since: self.since,
        }
    }
}

/// Where the PostgreSQL client programs are, for every tool that runs one
/// (`pg_dump`, `pg_dumpall`, `pg_restore`, `psql` …); see [`crate::child::program`].
#[derive(Debug, Clone, Default, Args)]
pub struct PgBinArgs {
    /// Directory of the PostgreSQL client programs (pg_dump, pg_dumpall, pg_restore),
    /// to pick a version (default: found on PATH).
    #[arg(long, env = "PRA_PG_BINDIR", value_name = "DIR")]
    pub pg_bindir: Option<std::path::PathBuf>,
}

impl PgBinArgs {
    /// The path of the client program `name`, or an error naming `--pg-bindir`.
    pub fn program(&self, name: &str) -> Result<std::path::PathBuf, crate::child::ProgramNotFound> {
        crate::child::program(self.pg_bindir.as_deref(), name)
    }
}

/// How long a dump, restore, upload or download may go without progress ([`crate::stall`]).
#[derive(Debug, Clone, Args)]
pub struct StallArgs {
    /// Fail (error class timeout, exit 3) when a dump, restore, upload or download
    /// makes no progress for this long; a lock wait and a slow but moving transfer
    /// are not stalls. 0 disables the check.
    #[arg(long, env = crate::stall::STALL_TIMEOUT_ENV, value_name = "DURATION",
          default_value = "10m", value_parser = crate::time::parse_duration)]
    pub stall_timeout: std::time::Duration,
}

/// Which PostgreSQL server and database.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// Database name, conninfo string ("host=/run/pg dbname=app") or URI
    /// (postgresql://user@host/app?sslmode=verify-full), as libpq: unset parts come from
    /// the service (service=NAME or PGSERVICE), then PGHOST, PGPORT, PGUSER, PGDATABASE,
    /// PGPASSWORD, PGPASSFILE, PGSSLMODE, PGSSLROOTCERT and the other PG* variables.
    #[arg(short = 'd', long = "dbname", value_name = "DB")]
    pub dbname: Option<String>,
}

#[cfg(feature = "db")]
impl DbArgs {
    /// The connection settings these flags and the environment describe.
    pub fn settings(&self) -> Result<crate::conn::ConnSettings, crate::conn::ConnError> {
        crate::conn::ConnSettings::from_env(self.dbname.as_deref())
    }
}

/// How output and logs look.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Output format on stdout: json (pra.v1 lines, for pipes) or text (for people).
    #[arg(long, env = "PRA_FORMAT", value_enum, default_value_t = OutputFormat::Json)]
    pub format: OutputFormat,

    /// More log detail on stderr (-v info, -vv debug, -vvv trace). RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Only errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
}

impl OutputArgs {
    /// Sets up logging for `tool` at the level these flags ask for.
    pub fn init_logging(&self, tool: &str) {
        init_logging(tool, self.verbose, self.quiet);
    }
}

/// Sets up env_logger on stderr, each line prefixed with the tool's name.
///
/// Default level: warnings; `-v` info, `-vv` debug, `-vvv` trace; `-q` errors only.
/// `RUST_LOG` overrides all of these.
pub fn init_logging(tool: &str, verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => log::LevelFilter::Error,
        (false, 0) => log::LevelFilter::Warn,
        (false, 1) => log::LevelFilter::Info,
        (false, 2) => log::LevelFilter::Debug,
        (false, _) => log::LevelFilter::Trace,
    };
    crate::secrets::register_from_environment();
    let tool = tool.to_string();
    let mut builder = env_logger::Builder::new();
    builder.filter_level(level);
    if let Ok(spec) = std::env::var("RUST_LOG") {
        builder.parse_filters(&spec);
    }
    builder
        .target(env_logger::Target::Stderr)
        .format(move |buf, record| {
            let level = record.level().as_str().to_lowercase();
            // Every line, ours and the libraries', is scrubbed of the run's secrets.
            let text = crate::secrets::scrub_log_line(&record.args().to_string());
            writeln!(buf, "{tool}: {level}: {text}")
        })
        .try_init()
        .ok();
}

/// The stanza to use: the flag, else the database name.
pub fn stanza_or_dbname(stanza: Option<&str>, dbname: &str) -> String {
    stanza
        .map(str::to_string)
        .unwrap_or_else(|| dbname.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser, Debug)]
    struct T {
        #[command(flatten)]
        repo: RepoArgs,
        #[command(flatten)]
        db: DbArgs,
        #[command(flatten)]
        out: OutputArgs,
    }

    #[test]
    fn shared_flags_parse() {
        let t = T::try_parse_from([
            "t", "--repo", "/a,/b", "--repo", "/c", "-d", "app", "--format", "text", "-vv",
        ])
        .unwrap();
        assert_eq!(t.repo.repos, ["/a", "/b", "/c"]);
        assert_eq!(t.db.dbname.as_deref(), Some("app"));
        assert_eq!(t.out.format, OutputFormat::Text);
        assert_eq!(t.out.verbose, 2);
        assert!(T::try_parse_from(["t", "--repo", "/a", "--format", "xml"]).is_err());
        assert_eq!(stanza_or_dbname(None, "app"), "app");
    }

    /// Issue 22, item 15: one repository named twice is a usage error, not a writer
    /// waiting for its own lock.
    #[test]
    fn one_repository_named_twice_is_a_usage_error() {
        let tmp = tempfile::tempdir().unwrap();
        let r = tmp.path().to_str().unwrap();
        let err =
            T::try_parse_from(["t", "--repo", r, "--repo", &format!("file://{r}/")]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::ArgumentConflict);
        let text = err.to_string();
        assert!(
            text.contains("same repository") && text.contains(r),
            "{text}"
        );
        let err = T::try_parse_from(["t", "--repo", &format!("{r},{r}/.")]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::ArgumentConflict);
        let err =
            T::try_parse_from(["t", "--repo", "s3://k:hush@b/p,s3://k:hush@b/p/"]).unwrap_err();
        assert!(!err.to_string().contains("hush"), "{err}");
        let two = T::try_parse_from(["t", "--repo", r, "--repo", &format!("{r}/b")]).unwrap();
        assert_eq!(two.repo.repos.len(), 2);
    }

    /// A tool that picks backups, with its own variable and without a repository.
    #[derive(Parser, Debug)]
    #[command(
        mut_arg("backup", |a| a.env("PRA_TEST_BACKUP")),
        mut_arg("repos", |a| a.required(false).help("Optional here."))
    )]
    struct Picker {
        #[command(flatten)]
        repo: RepoArgs,
        #[command(flatten)]
        backups: BackupArgs,
        #[command(flatten)]
        bin: PgBinArgs,
    }

    #[test]
    fn backup_selector_and_bindir_parse_and_tools_adjust_the_shared_flags() {
        use crate::select::BackupSelector;
        use clap::CommandFactory;
        Picker::command().debug_assert();
        let p = Picker::try_parse_from(["t", "--since", "7d", "--pg-bindir", "/pg"]).unwrap();
        assert!(p.repo.repos.is_empty(), "--repo made optional by mut_arg");
        assert_eq!(p.backups.backup, BackupSelector::Latest);
        assert_eq!(
            p.backups.selection().since,
            Some(std::time::Duration::from_secs(7 * 86400))
        );
        assert_eq!(
            p.bin.pg_bindir.as_deref(),
            Some(std::path::Path::new("/pg"))
        );
        let v = Picker::try_parse_from(["t", "--backup", "latest-verified"]).unwrap();
        assert_eq!(v.backups.backup, BackupSelector::LatestVerified);
        let err = Picker::try_parse_from(["t", "--backup", "newest"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::ValueValidation);
        let text = err.to_string();
        assert!(
            text.contains("--backup") && text.contains("latest-verified"),
            "{text}"
        );
        let help = Picker::command().render_long_help().to_string();
        assert!(help.contains("PRA_TEST_BACKUP") && help.contains("Optional here."));
        assert!(help.contains("PRA_PG_BINDIR"), "{help}");
    }
}
