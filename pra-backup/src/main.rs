//! The pra-backup binary: parse the flags, run, map the outcome to an exit code.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = match pra_backup::Args::try_parse() {
        Ok(a) => a,
        Err(e) if !e.use_stderr() => {
            // --help, --version: clap prints them on stdout and exits 0.
            e.exit()
        }
        Err(e) => {
            // A bad flag is one line on stderr (cron mails stay short), exit 2.
            let text = e.render().to_string();
            let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
            let mut line = lines.next().unwrap_or("bad arguments").to_string();
            if line.ends_with(':') {
                // "the following required arguments were not provided:" names them next.
                line = format!("{line} {}", lines.next().unwrap_or(""));
            }
            eprintln!("pra-backup: {line}");
            return ExitCode::from(2);
        }
    };
    pra_core::exit::finish("pra-backup", pra_backup::run(args))
}
