//! What the messages say: a headline, the key figures and the error of an event,
//! rendered for Slack, e-mail, SMS, and as a digest of several alerts.

use crate::select::{Alert, AlertWhat};
use pra_core::event::{Event, Status};
use serde_json::{json, Value};

/// Fields shown as key figures, at most this many (the raw event has the rest).
const MAX_FIGURES: usize = 10;

/// Fields never shown as figures: the envelope, lists, and the error (shown apart).
const SKIPPED: &[&str] = &["error", "files", "repo"];

/// Slack and Mattermost emoji shortcode for the alert's status.
pub fn emoji(alert: &Alert) -> &'static str {
    match (alert.what, alert.event.status) {
        (AlertWhat::Resolved, _) | (_, Status::Ok) => ":white_check_mark:",
        (_, Status::Warn) => ":warning:",
        (_, Status::Error) => ":red_circle:",
    }
}

/// The same as [`emoji`], as a Unicode character, for channels without shortcodes.
pub fn symbol(alert: &Alert) -> &'static str {
    match (alert.what, alert.event.status) {
        (AlertWhat::Resolved, _) | (_, Status::Ok) => "✅",
        (_, Status::Warn) => "⚠️",
        (_, Status::Error) => "🔴",
    }
}

/// The attachment or embed colour of an alert: green, amber, red.
pub fn colour(alert: &Alert) -> &'static str {
    match (alert.what, alert.event.status) {
        (AlertWhat::Resolved, _) | (_, Status::Ok) => "#2eb886",
        (_, Status::Warn) => "#daa038",
        (_, Status::Error) => "#a30200",
    }
}

/// The most severe status of a digest's alerts.
pub fn digest_status(alerts: &[Alert]) -> Option<Status> {
    alerts.iter().map(|a| a.event.status).max()
}

/// The colour of a digest: that of its most severe alert.
pub fn digest_colour(alerts: &[Alert]) -> &'static str {
    match digest_status(alerts) {
        Some(Status::Error) => "#a30200",
        Some(Status::Warn) => "#daa038",
        _ => "#2eb886",
    }
}

/// `ERROR`, `WARN`, `OK` or `RESOLVED`.
pub fn label(alert: &Alert) -> String {
    match alert.what {
        AlertWhat::Resolved => "RESOLVED".to_string(),
        _ => alert.event.status.as_str().to_uppercase(),
    }
}

/// What the event is about: `backup app`, `check disk app`.
pub fn subject_of(event: &Event) -> String {
    let mut s = event.kind.as_str().to_string();
    if let Some(name) = event.str_field("name") {
        s.push(' ');
        s.push_str(name);
    }
    if let Some(stanza) = &event.stanza {
        s.push_str(" on ");
        s.push_str(stanza);
    }
    s
}

/// What, where and how bad, without the message: `ERROR backup on app (db1)`.
pub fn title(alert: &Alert) -> String {
    format!(
        "{} {} ({})",
        label(alert),
        subject_of(&alert.event),
        alert.event.host
    )
}

/// One line: `ERROR backup on app (db1): dump failed`.
pub fn headline(alert: &Alert) -> String {
    format!("{}: {}", title(alert), alert.event.message)
}

/// The scalar fields of the event, formatted for people: `stored_bytes: 1.2 MiB`.
pub fn figures(event: &Event) -> Vec<(String, String)> {
    event
        .fields
        .iter()
        .filter(|(k, _)| !SKIPPED.contains(&k.as_str()))
        .filter_map(|(k, v)| {
            let shown = match v {
                Value::String(s) if s.len() <= 200 => s.clone(),
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => match n.as_f64() {
                    Some(x) if k.ends_with("_bytes") && x >= 0.0 => {
                        pra_core::time::format_bytes(x as u64)
                    }
                    Some(x) if k.ends_with("_s") && x >= 0.0 => {
                        pra_core::time::format_duration(std::time::Duration::from_secs_f64(x))
                    }
                    _ => n.to_string(),
                },
                _ => return None,
            };
            Some((k.clone(), shown))
        })
        .take(MAX_FIGURES)
        .collect()
}

/// The event's error text, if it has one.
pub fn error_of(event: &Event) -> Option<String> {
    match event.fields.get("error") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Null) | None => None,
        Some(other) => Some(other.to_string()),
    }
}

/// Plain text body: headline, figures, error.
pub fn plain_text(alert: &Alert) -> String {
    let mut out = headline(alert);
    out.push('\n');
    for (k, v) in figures(&alert.event) {
        out.push_str(&format!("  {k}: {v}\n"));
    }
    if let Some(e) = error_of(&alert.event) {
        out.push_str(&format!("  error: {e}\n"));
    }
    out
}

/// The Slack incoming-webhook payload for one alert.
pub fn slack_payload(alert: &Alert) -> Value {
    let mut fields: Vec<Value> = figures(&alert.event)
        .into_iter()
        .map(|(k, v)| json!({"title": k, "value": v, "short": true}))
        .collect();
    if let Some(e) = error_of(&alert.event) {
        fields.push(json!({"title": "error", "value": e, "short": false}));
    }
    json!({
        "text": format!("{} {}", emoji(alert), headline(alert)),
        "attachments": [{
            "color": colour(alert),
            "fallback": headline(alert),
            "fields": fields,
            "footer": format!("{} on {}", alert.event.tool, alert.event.host),
            "ts": alert.event.ts.timestamp(),
        }]
    })
}

/// The Slack payload for a digest.
pub fn slack_digest(alerts: &[Alert]) -> Value {
    let colour = digest_colour(alerts);
    let lines: Vec<String> = alerts
        .iter()
        .map(|a| format!("{} {}", emoji(a), headline(a)))
        .collect();
    json!({
        "text": digest_title(alerts),
        "attachments": [{"color": colour, "text": lines.join("\n")}]
    })
}

/// `pra: 3 alerts (2 error, 1 warn) from db1`.
pub fn digest_title(alerts: &[Alert]) -> String {
    let count = |f: &dyn Fn(&Alert) -> bool| alerts.iter().filter(|a| f(a)).count();
    let errors = count(&|a| a.what != AlertWhat::Resolved && a.event.status == Status::Error);
    let warns = count(&|a| a.what != AlertWhat::Resolved && a.event.status == Status::Warn);
    let resolved = count(&|a| a.what == AlertWhat::Resolved);
    let mut parts = Vec::new();
    for (n, what) in [(errors, "error"), (warns, "warn"), (resolved, "resolved")] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    let hosts: std::collections::BTreeSet<&str> =
        alerts.iter().map(|a| a.event.host.as_str()).collect();
    format!(
        "pra: {} alert{} ({}) from {}",
        alerts.len(),
        if alerts.len() == 1 { "" } else { "s" },
        parts.join(", "),
        hosts.into_iter().collect::<Vec<_>>().join(", ")
    )
}

/// The plain-text digest body.
pub fn digest_text(alerts: &[Alert]) -> String {
    let mut out = digest_title(alerts);
    out.push_str("\n\n");
    for a in alerts {
        out.push_str(&plain_text(a));
        out.push('\n');
    }
    out
}

/// The SMS text: the headline, cut to fit one SMS (under 160 characters).
pub fn sms_text(alert: &Alert) -> String {
    truncate(&format!("pra {}", headline(alert)), 159)
}

/// The SMS text of a digest.
pub fn sms_digest(alerts: &[Alert]) -> String {
    truncate(&digest_title(alerts), 159)
}

/// An e-mail subject: `[pra] ERROR backup on app: dump failed`, at most ~120 characters.
pub fn email_subject(alert: &Alert) -> String {
    truncate(
        &format!(
            "[pra] {} {}: {}",
            label(alert),
            subject_of(&alert.event),
            alert.event.message
        ),
        120,
    )
}

/// Cuts `s` to at most `max` characters, ending with `…` when cut.
pub fn truncate(s: &str, max: usize) -> String {
    let one_line = s.replace(['\n', '\r'], " ");
    if one_line.chars().count() <= max {
        return one_line;
    }
    let mut out: String = one_line.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pra_core::event::Kind;

    fn alert(status: Status, what: AlertWhat) -> Alert {
        Alert {
            what,
            event: Event::new("pra-backup", Kind::Backup, status, "dump failed")
                .with_stanza("app")
                .with_field("stored_bytes", 1_572_864u64)
                .with_field("duration_s", 4.2)
                .with_field("error", "pg_dump: connection refused"),
            change: None,
        }
    }

    #[test]
    fn slack_says_what_where_status_figures_and_error() {
        let p = slack_payload(&alert(Status::Error, AlertWhat::Alert));
        let text = p["text"].as_str().unwrap();
        assert!(
            text.starts_with(":red_circle: ERROR backup on app"),
            "{text}"
        );
        assert!(text.contains("dump failed"));
        assert_eq!(p["attachments"][0]["color"], "#a30200");
        let all = p.to_string();
        assert!(all.contains("1.5 MiB") && all.contains("4.2 s"), "{all}");
        assert!(all.contains("pg_dump: connection refused"));
        let r = slack_payload(&alert(Status::Ok, AlertWhat::Resolved));
        assert!(r["text"].as_str().unwrap().contains("RESOLVED"));
        assert_eq!(r["attachments"][0]["color"], "#2eb886");
    }

    #[test]
    fn sms_is_short() {
        let mut a = alert(Status::Error, AlertWhat::Alert);
        a.event.message = "x".repeat(500);
        let t = sms_text(&a);
        assert!(t.chars().count() < 160);
        assert!(t.ends_with('…'));
    }

    #[test]
    fn digest_counts() {
        let alerts = [
            alert(Status::Error, AlertWhat::Alert),
            alert(Status::Warn, AlertWhat::Alert),
            alert(Status::Ok, AlertWhat::Resolved),
        ];
        let t = digest_title(&alerts);
        assert!(
            t.starts_with("pra: 3 alerts (1 error, 1 warn, 1 resolved)"),
            "{t}"
        );
        assert!(digest_text(&alerts).contains("pg_dump: connection refused"));
    }
}
