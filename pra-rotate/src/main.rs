//! pra-rotate: apply a retention policy to a backup repository (see `pra-rotate --help`).

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = pra_rotate::Args::parse();
    pra_core::exit::finish("pra-rotate", pra_rotate::run(args))
}
