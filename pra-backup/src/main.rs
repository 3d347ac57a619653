//! The pra-backup binary (see `pra-backup --help`).
//! Parse, run, report a failure, exit: the one path of every tool, [`pra_core::exit::main`].

use pra_core::event::Kind;
use pra_core::exit::Tool;

fn main() -> std::process::ExitCode {
    let tool = Tool::new(pra_backup::TOOL, Kind::Backup);
    pra_core::exit::main(
        &tool,
        |a: &pra_backup::Args| a.output.format,
        pra_backup::run,
    )
}
