//! pra-report: the compliance report of a period from the event history (see `pra-report --help`).

use pra_core::event::Kind;
use pra_core::exit::Tool;

fn main() -> std::process::ExitCode {
    let tool = Tool::new(pra_report::TOOL, Kind::Report);
    pra_core::exit::main(
        &tool,
        |a: &pra_report::Args| a.output.format,
        pra_report::run,
    )
}
