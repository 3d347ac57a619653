//! pra-rotate: apply a retention policy to a backup repository (see `pra-rotate --help`).
//! Parse, run, report a failure, exit: the one path of every tool, [`pra_core::exit::main`].

use pra_core::event::Kind;
use pra_core::exit::Tool;

fn main() -> std::process::ExitCode {
    let tool = Tool::new(pra_rotate::TOOL, Kind::Rotate);
    pra_core::exit::main(&tool, |a: &pra_rotate::Args| a.out.format, pra_rotate::run)
}
