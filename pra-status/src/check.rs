//! One check's result, how thresholds turn a measure into a status, and the
//! `check` event it becomes.

use pra_core::error_class::ErrorClass;
use pra_core::event::kinds::CheckFields;
use pra_core::event::{Event, Kind, Status};
use serde_json::Value;

/// The tool name in events.
pub const TOOL: &str = "pra-status";

/// The order checks are reported in (and the names they have).
pub const CHECK_ORDER: [&str; 10] = [
    "database",
    "critical_tables",
    "disk",
    "backup_age",
    "backup_verified",
    "app",
    "api",
    "wal_archive",
    "replication",
    "availability",
];

/// Checks whose failure means the service is down (for the availability history).
pub const SERVICE_CHECKS: [&str; 3] = ["database", "app", "api"];

/// The result of one check.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    /// `ok`, `warn` or `error`.
    pub status: Status,
    /// One line for people.
    pub message: String,
    /// The stanza, for the backup checks.
    pub stanza: Option<String>,
    /// The event fields.
    pub fields: CheckFields,
    /// Why the check failed when it is not what the check measures (the server is
    /// unreachable, the repository unreadable): the event's `error_class`, else `health`.
    pub class: Option<ErrorClass>,
}

impl CheckResult {
    /// A result with a status and message.
    pub fn new(name: &str, status: Status, message: impl Into<String>) -> CheckResult {
        CheckResult {
            status,
            message: message.into(),
            stanza: None,
            fields: CheckFields {
                name: name.to_string(),
                ..CheckFields::default()
            },
            class: None,
        }
    }

    /// An `ok` result.
    pub fn ok(name: &str, message: impl Into<String>) -> CheckResult {
        CheckResult::new(name, Status::Ok, message)
    }

    /// An `error` (CRITICAL) result.
    pub fn error(name: &str, message: impl Into<String>) -> CheckResult {
        CheckResult::new(name, Status::Error, message)
    }

    /// A check that does not apply: `ok` with the reason in `skipped`.
    pub fn skipped(name: &str, reason: impl Into<String>) -> CheckResult {
        let reason = reason.into();
        let mut r = CheckResult::ok(name, format!("skipped: {reason}"));
        r.fields.skipped = Some(reason);
        r
    }

    /// Sets the class of the failure (see [`CheckResult::class`]).
    pub fn because(mut self, class: ErrorClass) -> CheckResult {
        self.class = Some(class);
        self
    }

    /// The class of the failure, for the event's `error_class`.
    pub fn error_class(&self) -> ErrorClass {
        self.class.unwrap_or(ErrorClass::Health)
    }

    /// Sets the target.
    pub fn target(mut self, target: impl Into<String>) -> CheckResult {
        self.fields.target = Some(target.into());
        self
    }

    /// Sets the measured value and its unit.
    pub fn value(mut self, value: f64, unit: &str) -> CheckResult {
        self.fields.value = Some(value);
        self.fields.unit = Some(unit.to_string());
        self
    }

    /// Sets the thresholds and their description.
    pub fn thresholds(mut self, t: &Thresholds) -> CheckResult {
        self.fields.warn = Some(t.warn);
        self.fields.crit = Some(t.crit);
        self.fields.threshold = Some(t.describe());
        self
    }

    /// Adds a detail.
    pub fn detail(mut self, key: &str, value: impl Into<Value>) -> CheckResult {
        self.fields.details.insert(key.to_string(), value.into());
        self
    }

    /// `name` or `name:target`, for summaries.
    pub fn label(&self) -> String {
        match &self.fields.target {
            Some(t) => format!("{}:{t}", self.fields.name),
            None => self.fields.name.clone(),
        }
    }

    /// Position in the report order.
    pub fn order(&self) -> usize {
        CHECK_ORDER
            .iter()
            .position(|n| *n == self.fields.name)
            .unwrap_or(CHECK_ORDER.len())
    }

    /// The `check` event.
    pub fn to_event(&self) -> Event {
        let mut ev = Event::new(TOOL, Kind::Check, self.status, self.message.clone())
            .with_error_class(self.error_class())
            .with_fields(&self.fields);
        if let Some(s) = &self.stanza {
            ev = ev.with_stanza(s.clone());
        }
        ev
    }
}

/// Warning and critical limits on a measure, and which way is bad.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// At or beyond this: warn.
    pub warn: f64,
    /// At or beyond this: error.
    pub crit: f64,
    /// True when higher values are worse (an age), false when lower are (free space).
    pub higher_is_worse: bool,
    /// Unit shown in the description.
    pub unit: &'static str,
}

impl Thresholds {
    /// Limits where bigger is worse, warning at 80 % of the critical limit.
    pub fn max_with_warn_at_80(crit: f64, unit: &'static str) -> Thresholds {
        Thresholds {
            warn: crit * 0.8,
            crit,
            higher_is_worse: true,
            unit,
        }
    }

    /// The status of a measure: crit is checked first, so warn == crit means no warn band.
    pub fn evaluate(&self, value: f64) -> Status {
        let beyond = |limit: f64| {
            if self.higher_is_worse {
                value > limit
            } else {
                value < limit
            }
        };
        if beyond(self.crit) {
            Status::Error
        } else if beyond(self.warn) {
            Status::Warn
        } else {
            Status::Ok
        }
    }

    /// In words: `warn > 48 min 00 s, crit > 1 h 00 min`; ratios as percentages (`warn < 20 %`).
    pub fn describe(&self) -> String {
        let op = if self.higher_is_worse { ">" } else { "<" };
        let show = |v: f64| {
            if self.unit == "ratio" {
                format!("{} %", trim_number(v * 100.0))
            } else if self.unit == "s" && v >= 60.0 {
                // 7 days reads better than 604800 s; `crit` keeps the exact number.
                pra_core::time::format_duration(std::time::Duration::from_secs_f64(v))
            } else if self.unit.is_empty() {
                trim_number(v)
            } else {
                format!("{} {}", trim_number(v), self.unit)
            }
        };
        format!(
            "warn {op} {}, crit {op} {}",
            show(self.warn),
            show(self.crit)
        )
    }
}

/// A number without useless decimals: `3600`, `0.25`, `12.5`.
pub fn trim_number(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_both_ways() {
        let age = Thresholds::max_with_warn_at_80(3600.0, "s");
        assert_eq!(age.evaluate(100.0), Status::Ok);
        assert_eq!(age.evaluate(2880.0), Status::Ok);
        assert_eq!(age.evaluate(2881.0), Status::Warn);
        assert_eq!(age.evaluate(3601.0), Status::Error);
        assert_eq!(age.describe(), "warn > 48 min 00 s, crit > 1 h 00 min");
        assert_eq!(
            Thresholds::max_with_warn_at_80(10.0, "s").describe(),
            "warn > 8 s, crit > 10 s"
        );
        let free = Thresholds {
            warn: 0.2,
            crit: 0.1,
            higher_is_worse: false,
            unit: "ratio",
        };
        assert_eq!(free.evaluate(0.5), Status::Ok);
        assert_eq!(free.evaluate(0.15), Status::Warn);
        assert_eq!(free.evaluate(0.05), Status::Error);
        assert_eq!(free.describe(), "warn < 20 %, crit < 10 %");
        assert_eq!(trim_number(0.075), "0.075");
    }

    #[test]
    fn skipped_is_ok_with_reason() {
        let r = CheckResult::skipped("wal_archive", "archive_mode is off");
        assert_eq!(r.status, Status::Ok);
        let ev = r.to_event();
        assert_eq!(ev.str_field("skipped"), Some("archive_mode is off"));
        assert_eq!(ev.str_field("name"), Some("wal_archive"));
    }
}
