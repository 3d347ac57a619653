//! The `pra.v1` event: one JSON object per line, the contract between the tools.
//!
//! Every event has the envelope fields of [`Event`] (`schema`, `ts`, `tool`, `host`,
//! `kind`, `status`, `error_class`, `stanza`, `message`) and the fields of its kind, kept in
//! [`Event::fields`] so that unknown fields survive a read and a write. The typed
//! fields of each kind live in [`kinds`]; [`Event::fields_as`] decodes them.
//!
//! Readers ignore unknown fields and forward unknown kinds untouched: see
//! [`stream`] for the reading, forwarding and writing of event streams, and
//! [`render`] for the `--format text` rendering for people.

#[cfg(test)]
mod doc_examples;
pub mod kinds;
pub mod render;
pub mod stream;

use crate::error_class::ErrorClass;
use chrono::{DateTime, Utc};
use serde::{de::DeserializeOwned, Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use std::fmt;

pub use stream::{EventReader, EventWriter, InputLine, OutputFormat};

/// The schema tag every event carries.
pub const SCHEMA: &str = "pra.v1";

/// Severity of an event, in increasing order: `ok` < `warn` < `error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The work was done and nothing is wrong.
    Ok,
    /// The work was done but something deserves attention.
    Warn,
    /// The work failed or found a problem.
    Error,
}

impl Status {
    /// The lowercase name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Error => "error",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ok" => Ok(Status::Ok),
            "warn" => Ok(Status::Warn),
            "error" => Ok(Status::Error),
            _ => Err(format!("unknown status {s:?} (expected ok, warn or error)")),
        }
    }
}

/// What an event reports. Unknown kinds (from newer tools) are kept as [`Kind::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A backup was taken (pra-backup).
    Backup,
    /// A backup was verified (pra-verify).
    Verify,
    /// A backup was restored (pra-restore).
    Restore,
    /// A retention policy was applied (pra-rotate).
    Rotate,
    /// A notification was delivered (pra-notify).
    Notify,
    /// One health check (pra-status).
    Check,
    /// The overall health (pra-status).
    Status,
    /// An SLA drill (pra-loadtest).
    Drill,
    /// WAL archiving (pra-wal).
    Wal,
    /// A compliance report over the event history (pra-report).
    Report,
    /// What a repository holds (pra-info).
    Info,
    /// A problem with an input line (any tool reading stdin).
    Input,
    /// A kind this version does not know; forwarded untouched.
    Other(String),
}

impl Kind {
    /// The name used in JSON.
    pub fn as_str(&self) -> &str {
        match self {
            Kind::Backup => "backup",
            Kind::Verify => "verify",
            Kind::Restore => "restore",
            Kind::Rotate => "rotate",
            Kind::Notify => "notify",
            Kind::Check => "check",
            Kind::Status => "status",
            Kind::Drill => "drill",
            Kind::Wal => "wal",
            Kind::Report => "report",
            Kind::Info => "info",
            Kind::Input => "input",
            Kind::Other(s) => s,
        }
    }

    /// Parses a kind name; never fails (unknown names become [`Kind::Other`]).
    pub fn parse(s: &str) -> Kind {
        match s {
            "backup" => Kind::Backup,
            "verify" => Kind::Verify,
            "restore" => Kind::Restore,
            "rotate" => Kind::Rotate,
            "notify" => Kind::Notify,
            "check" => Kind::Check,
            "status" => Kind::Status,
            "drill" => Kind::Drill,
            "wal" => Kind::Wal,
            "report" => Kind::Report,
            "info" => Kind::Info,
            "input" => Kind::Input,
            other => Kind::Other(other.to_string()),
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Kind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(Kind::parse(&s))
    }
}

/// One `pra.v1` event.
///
/// The envelope is typed; the kind's own fields are kept in `fields` (flattened
/// in JSON), so fields this version does not know are preserved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// When the event was emitted (RFC 3339 UTC, milliseconds).
    #[serde(serialize_with = "ser_ts", deserialize_with = "de_ts")]
    pub ts: DateTime<Utc>,
    /// The tool that emitted it, e.g. `pra-backup`.
    pub tool: String,
    /// The host the tool ran on.
    pub host: String,
    /// What the event reports.
    pub kind: Kind,
    /// How it went.
    pub status: Status,
    /// On `error` events, what kind of failure: an [`ErrorClass`] name. Kept as text so
    /// that a class from a newer version is forwarded untouched; read it with
    /// [`Event::class`], set it with [`Event::error`] or [`Event::with_error_class`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_class: Option<String>,
    /// The stanza (what is backed up) the event is about, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stanza: Option<String>,
    /// One line for people.
    #[serde(default)]
    pub message: String,
    /// The fields of the kind (see [`kinds`]) and any unknown fields.
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

fn ser_ts<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::time::format_ts(t))
}

fn de_ts<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let s = String::deserialize(d)?;
    crate::time::parse_ts(&s).map_err(serde::de::Error::custom)
}

impl Event {
    /// A new event of this tool, stamped now, on this host.
    pub fn new(tool: &str, kind: Kind, status: Status, message: impl Into<String>) -> Event {
        Event {
            schema: SCHEMA.to_string(),
            // Milliseconds, as written: an event reads back equal to itself.
            ts: chrono::SubsecRound::trunc_subsecs(crate::time::now(), 3),
            tool: tool.to_string(),
            host: crate::time::hostname(),
            kind,
            status,
            error_class: None,
            stanza: None,
            message: message.into(),
            fields: Map::new(),
        }
    }

    /// A new `error` event of this tool: an error always says its class.
    pub fn error(tool: &str, kind: Kind, class: ErrorClass, message: impl Into<String>) -> Event {
        Event::new(tool, kind, Status::Error, message).with_error_class(class)
    }

    /// Sets the class of the failure, for an event whose status is computed: the class
    /// is kept only when the status is `error` (an `ok` event has no failure to class).
    pub fn with_error_class(mut self, class: ErrorClass) -> Event {
        self.error_class = (self.status == Status::Error).then(|| class.as_str().to_string());
        self
    }

    /// The class of the failure, when the event has one this version knows.
    pub fn class(&self) -> Option<ErrorClass> {
        self.error_class.as_deref().and_then(ErrorClass::parse)
    }

    /// Sets the stanza.
    pub fn with_stanza(mut self, stanza: impl Into<String>) -> Event {
        self.stanza = Some(stanza.into());
        self
    }

    /// Merges the fields of a serializable struct (one of [`kinds`]) into the event.
    ///
    /// A value that does not serialize to a JSON object is ignored: the kind
    /// structs all do, and an event is better emitted without fields than not at all.
    pub fn with_fields<T: Serialize>(mut self, fields: &T) -> Event {
        if let Ok(Value::Object(map)) = serde_json::to_value(fields) {
            for (k, v) in map {
                self.fields.insert(k, v);
            }
        }
        self
    }

    /// Sets one field.
    pub fn with_field(mut self, key: &str, value: impl Into<Value>) -> Event {
        self.fields.insert(key.to_string(), value.into());
        self
    }

    /// Decodes the kind's fields into one of the [`kinds`] structs.
    pub fn fields_as<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_value(Value::Object(self.fields.clone()))
    }

    /// One field as a string, if present and a string.
    pub fn str_field(&self, key: &str) -> Option<&str> {
        self.fields.get(key).and_then(Value::as_str)
    }

    /// Parses one line as a `pra.v1` event. The error says in plain words what is wrong.
    pub fn parse_line(line: &[u8]) -> Result<Event, String> {
        let text = std::str::from_utf8(line)
            .map_err(|e| format!("not UTF-8 (invalid byte at offset {})", e.valid_up_to()))?;
        let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let obj = value.as_object().ok_or("not a JSON object")?;
        match obj.get("schema").and_then(Value::as_str) {
            Some(SCHEMA) => {}
            Some(other) => {
                return Err(format!(
                    "unsupported schema {other:?} (expected {SCHEMA:?})"
                ))
            }
            None => return Err(format!("no \"schema\" field (expected {SCHEMA:?})")),
        }
        serde_json::from_value(value).map_err(|e| format!("not a valid {SCHEMA} event: {e}"))
    }

    /// The event as one JSON line, without the trailing newline.
    pub fn to_json_line(&self) -> String {
        // Serializing a struct of strings, numbers and a JSON map cannot fail;
        // fall back to a minimal event rather than panic if it ever did.
        serde_json::to_string(self).unwrap_or_else(|e| {
            format!(
                "{{\"schema\":\"{SCHEMA}\",\"tool\":{:?},\"kind\":\"input\",\"status\":\"error\",\"error_class\":\"internal\",\"message\":\"event serialization failed: {}\"}}",
                self.tool,
                e.to_string().replace('"', "'")
            )
        })
    }
}

/// The highest status among events (`ok` for none).
pub fn worst_status<'a>(events: impl IntoIterator<Item = &'a Event>) -> Status {
    events
        .into_iter()
        .map(|e| e.status)
        .max()
        .unwrap_or(Status::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_round_trips_through_json_with_unknown_fields() {
        let ev = Event::new("pra-backup", Kind::Backup, Status::Ok, "done")
            .with_stanza("app")
            .with_field("size_bytes", 42u64)
            .with_field("future_field", serde_json::json!({"nested": [1, 2]}));
        let line = ev.to_json_line();
        let back = Event::parse_line(line.as_bytes()).unwrap();
        assert_eq!(back, ev);
        assert_eq!(back.fields["future_field"]["nested"][1], 2);
        assert!(line.contains("\"schema\":\"pra.v1\""));
    }

    #[test]
    fn unknown_kind_is_kept() {
        let line = br#"{"schema":"pra.v1","ts":"2026-11-25T11:00:00.123Z","tool":"x","host":"h","kind":"teleport","status":"warn","message":"m"}"#;
        let ev = Event::parse_line(line).unwrap();
        assert_eq!(ev.kind, Kind::Other("teleport".into()));
        assert!(ev.to_json_line().contains("\"kind\":\"teleport\""));
    }

    #[test]
    fn bad_lines_say_why() {
        assert!(Event::parse_line(b"hello")
            .unwrap_err()
            .starts_with("not JSON"));
        assert!(Event::parse_line(b"[1]").unwrap_err().contains("object"));
        assert!(Event::parse_line(b"{\"a\":1}")
            .unwrap_err()
            .contains("schema"));
        assert!(Event::parse_line(b"{\"schema\":\"pra.v0\"}")
            .unwrap_err()
            .contains("pra.v0"));
        assert!(Event::parse_line(b"\xff\xfe")
            .unwrap_err()
            .contains("UTF-8"));
        let missing = br#"{"schema":"pra.v1","tool":"x"}"#;
        assert!(Event::parse_line(missing).unwrap_err().contains("valid"));
    }

    #[test]
    fn status_orders_by_severity() {
        assert!(Status::Ok < Status::Warn && Status::Warn < Status::Error);
        let evs = [
            Event::new("t", Kind::Check, Status::Warn, ""),
            Event::new("t", Kind::Check, Status::Ok, ""),
        ];
        assert_eq!(worst_status(&evs), Status::Warn);
        assert_eq!(worst_status(&[]), Status::Ok);
    }
}
