//! Generates the man pages (`man/*.1`, `man/pra.7`) and the shell completions
//! (`scripts/completions/`) from the tools' clap definitions, so that `--help`,
//! the man page and the completions can never disagree.
//!
//! `cargo run -p pra-docgen` rewrites them all; the test `tests/stale.rs` fails
//! when a checked-in file differs from what the code generates.

mod pra7;

use clap::CommandFactory;
use clap_complete::Shell;
use clap_mangen::roff::{roman, Roff};
use std::path::PathBuf;

/// Every tool's clap command, in the order of the pipeline.
pub fn commands() -> Vec<clap::Command> {
    vec![
        pra_backup::Args::command(),
        pra_verify::Args::command(),
        pra_restore::Args::command(),
        pra_rotate::Args::command(),
        pra_info::Args::command(),
        pra_notify::Args::command(),
        pra_status::Args::command(),
        pra_loadtest::Args::command(),
        pra_report::Args::command(),
        pra_wal::Args::command(),
    ]
}

const EXIT_CODES: &[(&str, &str)] = &[
    ("0", "The tool did its work and found nothing wrong."),
    (
        "1",
        "The tool did its work and found a problem (a verification, a delivery or an SLA failed).",
    ),
    (
        "2",
        "Usage or configuration error (bad flag, unreadable configuration).",
    ),
    (
        "3",
        "Runtime failure (database unreachable, storage error, I/O error, lock held).",
    ),
    (
        "130, 143",
        "Interrupted by SIGINT or SIGTERM; partial work was removed.",
    ),
];

const PLUGIN_EXIT_CODES: &[(&str, &str)] = &[
    ("0", "OK: every check passed or was skipped."),
    ("1", "WARNING: at least one check is in warning."),
    ("2", "CRITICAL: at least one check failed."),
    (
        "3",
        "UNKNOWN: the checks could not be evaluated (bad configuration).",
    ),
];

/// pra-wal answers PostgreSQL, which reads any code but 0 as "not available": 1 is
/// kept for that alone.
const WAL_EXIT_CODES: &[(&str, &str)] = &[
    ("0", "The WAL file was archived (or an identical copy already was), or fetched."),
    (
        "1",
        "fetch: the WAL file is not archived (PostgreSQL's normal end of archive recovery).",
    ),
    ("2", "Usage error (bad flag, not a WAL file name)."),
    (
        "3",
        "Any other failure: repository or I/O error, damaged archive, different content already archived under the name.",
    ),
];

/// The text after a tool's options in its help: its examples, then its exit codes
/// (the man page's EXAMPLES; tests/pra_docgen/examples.rs runs them).
pub fn after_help(cmd: &clap::Command) -> String {
    cmd.get_after_long_help()
        .or(cmd.get_after_help())
        .map(|s| s.to_string())
        .unwrap_or_default()
}

/// The man page of one tool: clap's sections, then EXIT STATUS, ENVIRONMENT and SEE ALSO.
pub fn render_man(cmd: clap::Command) -> Vec<u8> {
    let name = cmd.get_name().to_string();
    // The examples live in `after_help`; render them under a proper EXAMPLES heading
    // (preformatted) rather than clap_mangen's untitled extra section.
    let examples = after_help(&cmd);
    let cmd = cmd.after_help(None::<&str>).after_long_help(None::<&str>);
    let mut out = Vec::new();
    let man = clap_mangen::Man::new(cmd)
        .manual("pra manual")
        .source(format!("pra {}", env!("CARGO_PKG_VERSION")));
    // Writing into a Vec cannot fail.
    let _ = man.render(&mut out);
    let mut extra = Roff::new();
    if !examples.trim().is_empty() {
        extra.control("SH", ["EXAMPLES"]).control("nf", []);
        for line in examples.lines() {
            let line = line.strip_prefix("Examples:").unwrap_or(line);
            extra.text([roman(line)]);
        }
        extra.control("fi", []);
    }
    extra.control("SH", ["EXIT STATUS"]);
    let codes = match name.as_str() {
        "pra-status" => PLUGIN_EXIT_CODES,
        "pra-wal" => WAL_EXIT_CODES,
        _ => EXIT_CODES,
    };
    for (code, meaning) in codes {
        extra
            .control("TP", [])
            .text([roman(*code)])
            .text([roman(*meaning)]);
    }
    extra.control("SH", ["ENVIRONMENT"]);
    extra.text([roman(
        "A flag that \"may also be specified with\" an environment variable can be set through it; a flag on the command line wins. \
         PostgreSQL connections follow libpq: PGHOST, PGHOSTADDR, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGPASSFILE, PGSERVICE, PGSERVICEFILE, PGSSLMODE, PGSSLROOTCERT, PGSSLCERT, PGSSLKEY, PGSSLCRL, PGCONNECT_TIMEOUT (docs/CONNECTING.md); without a connection timeout, PRA_CONNECT_TIMEOUT (default 30 s) applies (docs/RELIABILITY.md). \
         RUST_LOG sets the log level on stderr. NO_COLOR disables colour in --format text. \
         scripts/pra.env.example lists every variable.",
    )]);
    extra.control("SH", ["SEE ALSO"]);
    let others: Vec<String> = commands()
        .iter()
        .map(|c| c.get_name().to_string())
        .filter(|n| *n != name)
        .map(|n| format!("{n}(1)"))
        .collect();
    extra.text([roman(format!("pra(7), {}", others.join(", ")))]);
    out.extend_from_slice(extra.render().as_bytes());
    out
}

/// A completion script of one tool for one shell.
pub fn render_completion(mut cmd: clap::Command, shell: Shell) -> Vec<u8> {
    let name = cmd.get_name().to_string();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, name, &mut out);
    out
}

/// Every generated file: its path relative to the workspace root and its content.
pub fn generated_files() -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    for cmd in commands() {
        let name = cmd.get_name().to_string();
        files.push((
            PathBuf::from(format!("man/{name}.1")),
            render_man(cmd.clone()),
        ));
        for (shell, path) in [
            (Shell::Bash, format!("scripts/completions/{name}.bash")),
            (Shell::Zsh, format!("scripts/completions/_{name}")),
            (Shell::Fish, format!("scripts/completions/{name}.fish")),
        ] {
            files.push((PathBuf::from(path), render_completion(cmd.clone(), shell)));
        }
    }
    files.push((PathBuf::from("man/pra.7"), pra7::render().into_bytes()));
    files
}

/// The workspace root (where `man/` and `scripts/` live).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}
