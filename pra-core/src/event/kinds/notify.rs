//! Fields of `notify` events (pra-notify): one delivery of an alert to one sink.

use serde::{Deserialize, Serialize};

/// One delivery attempt series of one alert (or one digest) to one sink; or, with
/// `what: state_reset`, the `--only-changes` state file found damaged and set aside.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NotifyFields {
    /// The sink: `slack`, `telegram`, `discord`, `teams`, `mattermost`, `webhook`,
    /// `email`, `sendmail` or `sms` (absent for `state_reset`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sink: String,
    /// Where it went, secrets redacted (webhook tokens, SMTP passwords, all but the
    /// last 2 digits of phone numbers); for `state_reset`, the state file.
    #[serde(default)]
    pub target: String,
    /// How many attempts were made (1 when the first one succeeded).
    #[serde(default)]
    pub attempts: u32,
    /// Wall time from the first attempt to the outcome, retries and waits included.
    #[serde(default)]
    pub latency_s: f64,
    /// What was delivered: `alert` (one event), `problem` or `resolved`
    /// (`--only-changes`), or `digest` (`--digest`); `state_reset` (status `warn`):
    /// the state file was damaged, renamed to `kept_as`, and the run started from an
    /// empty state.
    pub what: String,
    /// The kind of the event the alert is about (absent for a digest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_kind: Option<String>,
    /// The status of the event the alert is about (the worst one for a digest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_status: Option<String>,
    /// The check name, for alerts about `check` events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    /// How many events the message covers (1, or more for a digest).
    #[serde(default)]
    pub events: u64,
    /// The last HTTP status code the receiver answered, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// Why the delivery failed (status `error`), secrets redacted; for
    /// `state_reset`, why the state file could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// `state_reset`: where the damaged state file was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept_as: Option<String>,
}
