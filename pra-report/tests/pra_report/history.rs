//! Synthetic histories: events at chosen times, written as JSON lines, and a run
//! of pra-report on them that returns its `report` event.

use pra_core::error_class::ErrorClass;
use pra_core::event::kinds::ReportFields;
use pra_core::event::{Event, Kind, Status};
use pra_testkit::run::{tool, ToolRun};
use serde_json::{json, Value};

/// The day every synthetic history lives in.
pub const DAY: &str = "2026-11-10";

/// `HH:MM` of [`DAY`] (or `+1 HH:MM` the next day) as a time.
pub fn at(hm: &str) -> chrono::DateTime<chrono::Utc> {
    let (day, hm) = match hm.strip_prefix("+1 ") {
        Some(rest) => ("2026-11-11", rest),
        None => (DAY, hm),
    };
    let (day, hm) = match hm.strip_prefix("-1 ") {
        Some(rest) => ("2026-11-09", rest),
        None => (day, hm),
    };
    pra_core::time::parse_ts(&format!("{day}T{hm}:00Z")).unwrap()
}

/// An event at `hm`.
pub fn ev(hm: &str, kind: Kind, status: Status, stanza: Option<&str>, fields: Value) -> Event {
    let mut e = Event::new("pra-test", kind, status, hm.to_string());
    e.ts = at(hm);
    e.host = "db1".to_string();
    e.stanza = stanza.map(str::to_string);
    if let Value::Object(m) = fields {
        e.fields = m;
    }
    e
}

/// A failed event of a class.
pub fn error(hm: &str, kind: Kind, class: ErrorClass, stanza: Option<&str>) -> Event {
    let mut e = ev(hm, kind, Status::Error, stanza, json!({}));
    e = e.with_error_class(class);
    e.message = format!("{} failed at {hm}", kind_name(&e));
    e
}

fn kind_name(e: &Event) -> String {
    e.kind.as_str().to_string()
}

/// A successful backup of `app` at `hm`.
pub fn backup(hm: &str, id: &str, stored: u64, duration_s: f64) -> Event {
    ev(
        hm,
        Kind::Backup,
        Status::Ok,
        Some("app"),
        json!({"id": id, "stored_bytes": stored, "duration_s": duration_s}),
    )
}

/// A status sample of db1.
pub fn status(hm: &str, up: bool) -> Event {
    let st = if up { Status::Ok } else { Status::Error };
    ev(
        hm,
        Kind::Status,
        st,
        None,
        json!({"up": up, "exit_code": 0, "state": "OK"}),
    )
}

/// Events as JSON lines.
pub fn lines(events: &[Event]) -> String {
    events.iter().map(|e| e.to_json_line() + "\n").collect()
}

/// The `report` event of a run, decoded.
pub fn report(run: &ToolRun) -> (Event, ReportFields) {
    let ev = run.one(Kind::Report).clone();
    let fields: ReportFields = ev.fields_as().unwrap();
    (ev, fields)
}

/// pra-report over [`DAY`] with `args`, history on stdin.
pub fn run_day(history: &str, args: &[&str]) -> ToolRun {
    tool(env!("CARGO_BIN_EXE_pra-report"))
        .args([
            "--since",
            "2026-11-10T00:00:00Z",
            "--until",
            "2026-11-11T00:00:00Z",
        ])
        .args(args)
        .stdin(history.as_bytes().to_vec())
        .run()
}
