//! pra-notify: deliver pra events to Slack, webhooks, e-mail and SMS.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = pra_notify::Args::parse();
    pra_core::exit::finish("pra-notify", pra_notify::run(args))
}
