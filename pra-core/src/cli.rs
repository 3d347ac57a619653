//! The command-line flags every tool shares, as clap groups to `#[command(flatten)]`,
//! and the logging setup (env_logger on stderr, prefixed with the tool's name).
//!
//! Each flag has an environment variable (`PRA_REPO`, `PRA_STANZA`, …) so that cron
//! jobs and systemd units configure the tools from one sourced file
//! (scripts/pra.env.example).

use crate::event::OutputFormat;
use clap::Args;
use std::io::Write;

/// Where backups are kept.
#[derive(Debug, Clone, Args)]
pub struct RepoArgs {
    /// Backup repository: a path or file:// URL (object storage to come).
    /// Several values (or a comma-separated PRA_REPO) write to each.
    #[arg(
        long = "repo",
        env = "PRA_REPO",
        value_name = "REPO",
        value_delimiter = ',',
        required = true
    )]
    pub repos: Vec<String>,

    /// Name of what is backed up (default: the database name).
    #[arg(long, env = "PRA_STANZA", value_name = "NAME")]
    pub stanza: Option<String>,
}

/// Which PostgreSQL server and database.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// Database name, conninfo string ("host=/run/pg dbname=app") or URI
    /// (postgresql://user@host/app). Unset parts come from PGHOST, PGPORT, PGUSER,
    /// PGDATABASE, PGPASSWORD, PGPASSFILE, PGSSLMODE.
    #[arg(short = 'd', long = "dbname", value_name = "DB")]
    pub dbname: Option<String>,
}

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
            writeln!(buf, "{tool}: {level}: {}", record.args())
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
}
