//! pra-verify: prove backups are intact and restorable (see `pra-verify --help`).

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = pra_verify::Args::parse();
    pra_core::exit::finish("pra-verify", pra_verify::run(args))
}
