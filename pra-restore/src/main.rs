//! The `pra-restore` binary: parse the flags, run, map the outcome to an exit code.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = pra_restore::Args::parse();
    pra_core::exit::finish("pra-restore", pra_restore::run(args))
}
