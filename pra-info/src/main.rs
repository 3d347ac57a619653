//! pra-info: what a pra repository holds (see `pra-info --help`).
//! Parse, run, report a failure, exit: the one path of every tool, [`pra_core::exit::main`].

use pra_core::event::Kind;
use pra_core::exit::Tool;

fn main() -> std::process::ExitCode {
    let tool = Tool::new(pra_info::TOOL, Kind::Info);
    pra_core::exit::main(&tool, pra_info::Args::format, pra_info::run)
}
