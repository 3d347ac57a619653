//! Fields of `input` events: a line on stdin that was not a `pra.v1` event.

use serde::{Deserialize, Serialize};

/// An input line that was forwarded but could not be read as an event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputFields {
    /// 1-based line number on the tool's stdin.
    pub line: u64,
    /// Why the line is not an event, in plain words.
    pub reason: String,
}
