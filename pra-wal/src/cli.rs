//! The flags of pra-wal (clap derive); the help text is the man page.

use pra_core::cli::RepoArgs;
use pra_core::event::OutputFormat;
use std::path::PathBuf;

/// archive_command and restore_command for PostgreSQL WAL.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "pra-wal",
    version,
    about = "archive_command and restore_command for PostgreSQL WAL, through a pra repository",
    long_about = "archive_command and restore_command for PostgreSQL WAL, through a pra \
        repository: the continuous half of physical backups and point-in-time recovery \
        (docs/PHYSICAL.md).\n\n\
        `pra-wal push PATH` (archive_command, %p) compresses (zstd level 3, one frame per \
        core, in parallel) and checksums (sha256) \
        a WAL segment, .history, .backup or .partial file into \
        <repo>/<stanza>/wal/<timeline>/<name>.zst, atomically. Pushing a name again with \
        identical content succeeds; with different content it fails and never overwrites. \
        With several --repo values the file is written to each. With --encrypt-to \
        RECIPIENT (PRA_ENCRYPT_TO; age or SSH public keys, repeatable) or --passphrase-file \
        FILE the zstd frames are encrypted with age, as pra-backup encrypts backups; the \
        header line before it (format, raw sha256 and size, sha256 of the age file) stays \
        readable, so a second push compares checksums without any key.\n\n\
        `pra-wal fetch NAME DEST` (restore_command, %f %p) reads, verifies and decodes an \
        archived file into DEST; an encrypted one needs --identity FILE (PRA_IDENTITY) or \
        --passphrase-file FILE, plain ones (archived before encryption was turned on) \
        need nothing. A name that is not archived exits 1, which PostgreSQL \
        reads as \"not available\" (the normal end of archive recovery). Any other \
        problem is one line on stderr and exits 200: PostgreSQL then stops recovery with \
        a FATAL line instead of ending it early with WAL not replayed (and promoting); \
        once the cause is fixed, starting the server again resumes recovery. On a \
        standby (standby.signal in the current directory: PostgreSQL runs \
        restore_command in the data directory) it exits 3 instead, which PostgreSQL \
        retries while it streams from the primary. --on-error (PRA_WAL_ON_ERROR) \
        overrides the choice.\n\n\
        Both take --repo REPO (PRA_REPO; several, comma-separated: push writes each, fetch \
        reads the first that has the file), --stanza NAME (PRA_STANZA, required) and \
        --events FILE (PRA_WAL_EVENTS). PostgreSQL owns the tool's stdout and stderr (the \
        server log): `wal` events (pra.v1) are appended to --events FILE, errors go to \
        stderr.",
    after_help = "Examples (postgresql.conf; the server runs them as its OS user, e.g. postgres, \
        who must own the repository):\n  \
        archive_mode = on\n  \
        archive_command = 'pra-wal push --repo /var/lib/pra/repo --stanza main --events /var/log/pra/wal.jsonl %p'\n  \
        restore_command = 'pra-wal fetch --repo /var/lib/pra/repo --stanza main %f %p'\n\n\
        Encrypted (the public key on the database host, the identity only where restores run):\n  \
        archive_command = 'pra-wal push --repo /var/lib/pra/repo --stanza main --encrypt-to age1… %p'\n  \
        restore_command = 'pra-wal fetch --repo /var/lib/pra/repo --stanza main --identity /etc/pra/key.txt %f %p'\n\n\
        By hand:\n  \
        pra-wal push --repo /var/lib/pra/repo --stanza main /var/lib/postgresql/17/main/pg_wal/000000010000000000000003\n  \
        pra-wal fetch --repo /var/lib/pra/repo --stanza main 000000010000000000000003 /tmp/seg\n\n\
        Exit codes: 0 pushed or fetched, 1 fetch: not archived, 2 bad flag, or bad WAL file \
        name or key file (push, fetch on a standby), 3 any other failure of a push or of a \
        fetch on a standby (repository, I/O, damaged archive, different content already \
        archived, no identity that opens an encrypted file), 200 any other failure of a \
        fetch outside standby mode (PostgreSQL stops recovery: fix the cause, start the \
        server again)."
)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,

    /// More log detail on stderr (-v info, -vv debug). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Only errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
}

/// The subcommands.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Archive one WAL file (archive_command = 'pra-wal push … %p').
    Push(PushArgs),
    /// Restore one archived WAL file (restore_command = 'pra-wal fetch … %f %p').
    Fetch(FetchArgs),
}

/// Where WAL goes and where events go: the same for push and fetch.
#[derive(Debug, Clone, clap::Args)]
#[command(mut_arg("stanza", |a| a
    .required(true)
    .help("Stanza: the name the cluster's backups and WAL are kept under.")))]
pub struct Common {
    /// Repository and stanza.
    #[command(flatten)]
    pub repo: RepoArgs,

    /// Append a `wal` event (pra.v1 JSON line) per file to FILE; stdout belongs to
    /// PostgreSQL.
    #[arg(long, env = "PRA_WAL_EVENTS", value_name = "FILE")]
    pub events: Option<PathBuf>,
}

/// `pra-wal push`.
#[derive(Debug, Clone, clap::Args)]
pub struct PushArgs {
    /// Repository, stanza, events.
    #[command(flatten)]
    pub common: Common,

    /// Encryption of the archived files (docs/SECURITY.md); the same keys as
    /// pra-backup's, so that one identity restores backups and WAL.
    #[command(flatten)]
    pub encrypt: pra_core::crypt::args::EncryptArgs,

    /// The WAL file to archive (%p: its path, relative to the data directory).
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
}

/// `pra-wal fetch`.
#[derive(Debug, Clone, clap::Args)]
pub struct FetchArgs {
    /// Repository, stanza, events.
    #[command(flatten)]
    pub common: Common,

    /// The keys that open encrypted archived files (docs/SECURITY.md); plain ones
    /// need none.
    #[command(flatten)]
    pub decrypt: pra_core::crypt::args::DecryptArgs,

    /// What a failure other than "not archived" exits with: `fatal` 200, which stops
    /// PostgreSQL's archive recovery (the operator fixes the cause and starts the
    /// server again); `retry` 3, which a standby retries (in archive recovery
    /// PostgreSQL reads it as the end of the WAL and promotes); `auto`: `retry` when
    /// the current directory (the data directory, where PostgreSQL runs
    /// restore_command) holds standby.signal, else `fatal`.
    #[arg(
        long,
        env = "PRA_WAL_ON_ERROR",
        value_enum,
        default_value_t = OnError::Auto,
        value_name = "MODE"
    )]
    pub on_error: OnError,

    /// The WAL file name to restore (%f).
    #[arg(value_name = "NAME")]
    pub name: String,

    /// Where to write it (%p).
    #[arg(value_name = "DEST")]
    pub dest: PathBuf,
}

/// `pra-wal fetch --on-error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnError {
    /// `retry` on a standby (standby.signal in the current directory), else `fatal`.
    Auto,
    /// Exit 200: PostgreSQL stops recovery (FATAL) instead of ending it early.
    Fatal,
    /// Exit 3: a standby retries the file (and streaming).
    Retry,
}

impl Args {
    /// Failures are reported as JSON lines when at all on stdout; events go to --events.
    pub fn format(&self) -> OutputFormat {
        OutputFormat::Json
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    #[test]
    fn flags_parse_as_archive_and_restore_commands_write_them() {
        Args::command().debug_assert();
        let parse = |words: &[&str]| {
            let common = ["pra-wal", words[0], "--repo", "/r", "--stanza", "main"];
            Args::try_parse_from(common.iter().chain(&words[1..])).unwrap()
        };
        let a = parse(&["push", "pg_wal/000000010000000000000001"]);
        assert!(matches!(a.command, Command::Push(ref p) if p.common.repo.repos == ["/r"]));
        let a = parse(&["fetch", "00000002.history", "pg_wal/RECOVERYHISTORY"]);
        assert!(
            matches!(a.command, Command::Fetch(ref f) if f.name == "00000002.history"
            && f.on_error == OnError::Auto)
        );
        let a = parse(&["fetch", "--on-error", "retry", "00000002.history", "x"]);
        assert!(matches!(a.command, Command::Fetch(ref f) if f.on_error == OnError::Retry));
    }
}
