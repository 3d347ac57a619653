//! pra-verify: prove backups are intact and restorable (see `pra-verify --help`).
//! Parse, run, report a failure, exit: the one path of every tool, [`pra_core::exit::main`].

use pra_core::event::Kind;
use pra_core::exit::Tool;

fn main() -> std::process::ExitCode {
    let tool = Tool::new(pra_verify::TOOL, Kind::Verify);
    pra_core::exit::main(&tool, |a: &pra_verify::Args| a.out.format, pra_verify::run)
}
