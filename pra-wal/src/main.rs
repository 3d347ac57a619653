//! pra-wal: archive_command and restore_command for WAL (see `pra-wal --help`).
//! Parse, run, report a failure, exit: the one path of every tool, [`pra_core::exit::main`].

use pra_core::event::Kind;
use pra_core::exit::Tool;

fn main() -> std::process::ExitCode {
    let tool = Tool::new(pra_wal::TOOL, Kind::Wal);
    pra_core::exit::main(&tool, pra_wal::Args::format, pra_wal::run)
}
