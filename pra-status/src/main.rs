//! `pra-status`: the shared main path ([`pra_core::exit::main`]) with the
//! monitoring-plugin exit codes: a bad flag or a failed run is UNKNOWN (3), since
//! 2 means CRITICAL to Nagios.

use pra_core::event::Kind;
use pra_core::exit::Tool;

fn main() -> std::process::ExitCode {
    let tool = Tool::new(pra_status::check::TOOL, Kind::Status).monitoring_plugin();
    pra_core::exit::main(
        &tool,
        |a: &pra_status::Args| a.output.format,
        pra_status::run,
    )
}
