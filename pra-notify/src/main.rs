//! pra-notify: deliver pra events to Slack, chat channels, webhooks, e-mail and SMS.
//! Parse, run, report a failure, exit: the one path of every tool, [`pra_core::exit::main`].

use pra_core::event::Kind;
use pra_core::exit::Tool;

fn main() -> std::process::ExitCode {
    let tool = Tool::new(pra_notify::TOOL, Kind::Notify);
    pra_core::exit::main(
        &tool,
        |a: &pra_notify::Args| a.output.format,
        pra_notify::run,
    )
}
