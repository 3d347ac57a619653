//! pra-loadtest: the SLA drill (backup and restore under load, RPO/RTO measured).
//! Parse, run, report a failure, exit: the one path of every tool, [`pra_core::exit::main`].

use pra_core::event::Kind;
use pra_core::exit::Tool;

fn main() -> std::process::ExitCode {
    let tool = Tool::new(pra_loadtest::TOOL, Kind::Drill);
    pra_core::exit::main(
        &tool,
        |a: &pra_loadtest::Args| a.output.format,
        pra_loadtest::run,
    )
}
