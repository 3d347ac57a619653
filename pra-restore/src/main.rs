//! The pra-restore binary (see `pra-restore --help`).
//! Parse, run, report a failure, exit: the one path of every tool, [`pra_core::exit::main`].

use pra_core::event::Kind;
use pra_core::exit::Tool;

fn main() -> std::process::ExitCode {
    let tool = Tool::new(pra_restore::TOOL, Kind::Restore);
    pra_core::exit::main(
        &tool,
        |a: &pra_restore::Args| a.output.format,
        pra_restore::run,
    )
}
