//! `pra-status`: parse the flags, run the checks, exit with the monitoring-plugin code.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // try_parse rather than parse: a bad flag is UNKNOWN (3) for a monitoring plugin,
    // where clap alone would exit 2, which means CRITICAL to Nagios.
    match pra_status::Args::try_parse() {
        Ok(args) => pra_status::plugin::finish(pra_status::run(args)),
        Err(e) => pra_status::plugin::usage_error(&e),
    }
}
