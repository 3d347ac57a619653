//! pra-loadtest: the SLA drill (backup and restore under load, RPO/RTO measured).

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = pra_loadtest::Args::parse();
    pra_core::exit::finish("pra-loadtest", pra_loadtest::run(args))
}
