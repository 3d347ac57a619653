//! The progress bar on stderr (bytes, rate, ETA against the database size), shown
//! only when stderr is a terminal: logs and pipes get nothing.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// True when a progress bar may be drawn.
pub fn wanted(quiet: bool) -> bool {
    !quiet && std::io::stderr().is_terminal()
}

/// A bar for a dump expected to be about `estimate` raw bytes (the database size:
/// the dump is usually smaller, as indexes are not dumped, so the ETA is pessimistic).
pub fn bar(estimate: u64) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(estimate.max(1)), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(
        "pra-backup: {bytes} dumped ({bytes_per_sec}, ETA {eta}) [{wide_bar}]",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}
