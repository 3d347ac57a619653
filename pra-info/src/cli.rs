//! The flags of pra-info (clap derive); the help text is the man page.

use pra_core::cli::{BackupArgs, RepoArgs};
use pra_core::event::OutputFormat;
use pra_rotate::PolicyArgs;
use std::io::IsTerminal;

/// Show what a pra repository holds.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "pra-info",
    version,
    about = "Show what a pra repository holds: stanzas, backups, sizes, verdicts, retention, locks",
    long_about = "Show what a pra repository holds: its stanzas; each backup with its id, kind, \
        start, duration, raw and stored size, database and server version; the verdict of \
        each verification level and its age; whether the retention policy (the --keep-* \
        flags or PRA_KEEP_* variables, as pra-rotate's) would keep it and why; incomplete \
        backups (in progress or leftovers) with their age; and who holds each stanza's \
        writer lock.\n\n\
        On a terminal the default is a table for people; otherwise `info` events (pra.v1 \
        JSON lines): one for the repository, one per stanza, one per backup. Events read on \
        stdin are forwarded first. pra-info only reads: it takes no lock and writes nothing \
        to the repository.",
    after_help = "Examples (as the OS user that owns the repository, e.g. postgres):\n  \
        set -a; . /etc/pra/pra.env; set +a\n  \
        pra-info\n  \
        pra-info --stanza app --since 7d\n  \
        pra-info --backup latest-verified --format json | jq -r 'select(.item == \"backup\") | .id'\n  \
        pra-info --keep-daily 7 --keep-weekly 4 --format json | jq -r 'select(.retention == \"delete\") | .id'\n\n\
        Exit codes: 0 listed, 2 bad flag, unknown stanza or backup (the message lists those \
        that exist), 3 no repository at --repo or storage error.",
    mut_arg("backup", |a| a
        .default_value("all")
        .env("PRA_INFO_BACKUP")
        .help("Which backups: an id, `latest`, `latest-verified` or `all` (default).")),
    mut_arg("stanza", |a| a.help("Only this stanza (default: every stanza)."))
)]
pub struct Args {
    /// Repository and stanza.
    #[command(flatten)]
    pub repo: RepoArgs,

    /// Which backups.
    #[command(flatten)]
    pub backups: BackupArgs,

    /// The retention policy to judge each backup by (as pra-rotate's).
    #[command(flatten)]
    pub policy: PolicyArgs,

    /// Output format: text (a table, the default on a terminal) or json (pra.v1 `info`
    /// events, the default otherwise). PRA_FORMAT=text is ignored when stdout is not a
    /// terminal, as for every tool.
    #[arg(long, env = "PRA_FORMAT", value_enum)]
    pub format: Option<OutputFormat>,

    /// More log detail on stderr (-v info, -vv debug). RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Only errors on stderr.
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
}

impl Args {
    /// The output format: the flag, else text on a terminal and JSON lines otherwise.
    pub fn format(&self) -> OutputFormat {
        self.format.unwrap_or(if std::io::stdout().is_terminal() {
            OutputFormat::Text
        } else {
            OutputFormat::Json
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    #[test]
    fn flags_parse_with_all_backups_by_default_and_the_rotate_policy() {
        Args::command().debug_assert();
        let a = Args::try_parse_from(["pra-info", "--repo", "/r", "--keep-daily", "7"]).unwrap();
        assert_eq!(a.backups.backup, pra_core::select::BackupSelector::All);
        assert!(!a.policy.policy().is_empty());
        let a = Args::try_parse_from(["pra-info", "--repo", "/r", "--format", "text"]).unwrap();
        assert_eq!(a.format(), OutputFormat::Text);
        let help = Args::command().render_long_help().to_string();
        for needle in ["PRA_KEEP_DAILY", "PRA_INFO_BACKUP", "Exit codes", "set -a"] {
            assert!(help.contains(needle), "--help lacks {needle:?}");
        }
    }
}
