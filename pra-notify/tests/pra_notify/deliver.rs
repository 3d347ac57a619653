//! Delivery to real HTTP receivers on 127.0.0.1: Slack, generic webhook and SMS bodies,
//! retries (500, 500, 200), Retry-After on 429, a receiver that never answers, one that
//! is down, the digest, and the exit codes.

use pra_core::event::kinds::NotifyFields;
use pra_core::event::{Event, Kind, Status};
use pra_testkit::{free_port, tool, HttpServer, Reply};

const BIN: &str = env!("CARGO_BIN_EXE_pra-notify");

pub(crate) fn backup(status: Status, msg: &str) -> Event {
    Event::new("pra-backup", Kind::Backup, status, msg)
        .with_stanza("app")
        .with_field("id", "20261125T120000Z")
        .with_field("stored_bytes", 3_145_728u64)
        .with_field("duration_s", 12.5)
}

fn lines(events: &[Event]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in events {
        out.extend_from_slice(e.to_json_line().as_bytes());
        out.push(b'\n');
    }
    out
}

#[allow(clippy::expect_used)] // a helper of the tests below
pub(crate) fn notify_fields(e: &Event) -> NotifyFields {
    e.fields_as().expect("notify fields")
}

#[test]
fn slack_webhook_and_sms_get_readable_bodies_and_secrets_stay_hidden() {
    let rx = HttpServer::scripted(vec![]);
    let slack = rx.url("/services/T0AAA/B0BBB/slacksecrettoken");
    let hook = rx.url("/hooks/pd?routing_key=hooksecret");
    let sms = rx.url("/sms/smssecret");
    let failed = backup(Status::Error, "pg_dump failed").with_field("error", "connection refused");
    let input = [
        backup(Status::Ok, "backup done"),
        failed.clone(),
        Event::new("pra-verify", Kind::Verify, Status::Warn, "slow verify").with_stanza("app"),
    ];
    let run = tool(BIN)
        .env("PRA_SLACK_WEBHOOK", &slack)
        .env("PRA_SMS_WEBHOOK", &sms)
        .args(["--webhook", &hook, "--header", "Authorization: Token abc"])
        .args(["--sms-to", "+15551234567"])
        .stdin(lines(&input))
        .run();
    run.success();

    // Input forwarded first, unchanged; then one notify event per alert per sink.
    assert_eq!(&run.stdout[..lines(&input).len()], &lines(&input)[..]);
    let notes = run.events_of(Kind::Notify);
    run.check(notes.len() == 6, "2 alerts (error, warn) x 3 sinks");
    for n in &notes {
        let f = notify_fields(n);
        run.check(
            n.status == Status::Ok && f.attempts == 1,
            "delivered first time",
        );
        run.check(f.latency_s >= 0.0 && f.events == 1, "latency and count");
    }
    let all = String::from_utf8_lossy(&run.stdout).into_owned() + &run.stderr;
    for secret in [
        "slacksecrettoken",
        "hooksecret",
        "smssecret",
        "T0AAA",
        "5551234567",
    ] {
        run.check(!all.contains(secret), &format!("{secret} must not appear"));
    }
    let slack_note = notes
        .iter()
        .find(|n| n.str_field("sink") == Some("slack"))
        .unwrap();
    let target = format!("http://127.0.0.1:{}/***", rx.port);
    assert_eq!(slack_note.str_field("target"), Some(target.as_str()));
    let sms_note = notes
        .iter()
        .find(|n| n.str_field("sink") == Some("sms"))
        .unwrap();
    assert!(sms_note
        .str_field("target")
        .unwrap()
        .ends_with("to +*********67"));
    assert_eq!(slack_note.stanza.as_deref(), Some("app"));
    assert_eq!(
        notify_fields(slack_note).event_kind.as_deref(),
        Some("backup")
    );

    let reqs = rx.requests();
    assert_eq!(reqs.len(), 6);
    let by_path = |p: &str| -> Vec<_> { reqs.iter().filter(|r| r.path.starts_with(p)).collect() };

    // Slack: readable text with what, where, status, figures and the error.
    let s = by_path("/services/");
    assert_eq!(s.len(), 2);
    assert_eq!(s[0].method, "POST");
    let body = s[0].json();
    let text = body["text"].as_str().unwrap();
    assert!(
        text.starts_with(":red_circle: ERROR backup on app"),
        "{text}"
    );
    assert!(text.contains("pg_dump failed"), "{text}");
    assert_eq!(body["attachments"][0]["color"], "#a30200");
    let att = body["attachments"][0].to_string();
    assert!(att.contains("3.0 MiB") && att.contains("12.5 s"), "{att}");
    assert!(
        att.contains("20261125T120000Z") && att.contains("connection refused"),
        "{att}"
    );
    let warn = s[1].json();
    assert!(warn["text"]
        .as_str()
        .unwrap()
        .starts_with(":warning: WARN verify on app"));
    assert_eq!(warn["attachments"][0]["color"], "#daa038");

    // Generic webhook: the event JSON as is, with the extra header.
    let h = by_path("/hooks/");
    assert_eq!(h.len(), 2);
    assert_eq!(h[0].path, "/hooks/pd?routing_key=hooksecret");
    assert_eq!(h[0].body, failed.to_json_line());
    assert_eq!(h[0].header("authorization"), Some("Token abc"));
    assert_eq!(h[0].header("content-type"), Some("application/json"));
    assert_eq!(h[0].header("x-pra-notify"), Some("alert"));

    // SMS: {to, text}, text under 160 characters.
    let m = by_path("/sms/");
    assert_eq!(m.len(), 2);
    let body = m[0].json();
    assert_eq!(body["to"], "+15551234567");
    let text = body["text"].as_str().unwrap();
    assert!(text.chars().count() < 160, "{text}");
    assert!(
        text.contains("ERROR backup on app") && text.contains("pg_dump failed"),
        "{text}"
    );
}

#[test]
fn retries_500_twice_then_delivers_and_honours_retry_after() {
    let rx = HttpServer::scripted(vec![
        Reply::Status(500, vec![]),
        Reply::Status(503, vec![]),
        Reply::Status(200, vec![]),
        Reply::Status(429, vec![("Retry-After", "1")]),
        Reply::Status(200, vec![]),
    ]);
    let input = [
        backup(Status::Error, "first"),
        backup(Status::Error, "second"),
    ];
    let run = tool(BIN)
        .args(["--webhook", &rx.url("/hook"), "--max-wait", "30s"])
        .stdin(lines(&input))
        .run();
    run.success();
    let notes = run.events_of(Kind::Notify);
    assert_eq!(notes.len(), 2);
    let first = notify_fields(notes[0]);
    assert_eq!(
        (notes[0].status, first.attempts, first.http_status),
        (Status::Ok, 3, Some(200))
    );
    let second = notify_fields(notes[1]);
    assert_eq!(second.attempts, 2);
    assert!(
        second.latency_s >= 1.0,
        "waited for Retry-After: {second:?}"
    );
    assert_eq!(rx.requests().len(), 5);
    // A 4xx other than 408/429 is final: no retry.
    let rx = HttpServer::scripted(vec![Reply::Status(404, vec![])]);
    let run = tool(BIN)
        .args(["--webhook", &rx.url("/gone")])
        .stdin(lines(&input[..1]))
        .run();
    run.code_is(1);
    let f = notify_fields(run.one(Kind::Notify));
    assert_eq!((f.attempts, f.http_status), (1, Some(404)));
}

#[test]
fn silent_and_down_receivers_fail_within_bounds_and_input_is_forwarded() {
    let hang = HttpServer::scripted(vec![Reply::Hang; 10]);
    let healthy = HttpServer::scripted(vec![]);
    let down_port = free_port();
    let down = format!("http://127.0.0.1:{down_port}/down/secret");
    let mut input = vec![backup(Status::Ok, "fine")];
    for i in 0..4 {
        input.push(backup(Status::Error, &format!("broken {i}")));
    }
    let run = tool(BIN)
        .args(["--webhook", &hang.url("/never"), "--webhook", &down])
        .args(["--webhook", &healthy.url("/ok")])
        .args(["--timeout", "1s", "--max-wait", "3s"])
        .timeout(std::time::Duration::from_secs(60))
        .stdin(lines(&input))
        .run();
    run.code_is(1);
    assert_eq!(&run.stdout[..lines(&input).len()], &lines(&input)[..]);
    let notes = run.events_of(Kind::Notify);
    assert_eq!(notes.len(), 12, "4 alerts x 3 sinks");
    let of = |port: u16| -> Vec<NotifyFields> {
        let target = format!("http://127.0.0.1:{port}/***");
        notes
            .iter()
            .map(|n| notify_fields(n))
            .filter(|f| f.target == target)
            .collect()
    };
    let (silent, dead) = (of(hang.port), of(down_port));
    assert_eq!((silent.len(), dead.len()), (4, 4));
    for f in silent.iter().chain(&dead) {
        run.check(f.error.is_some(), "failed deliveries say why");
    }
    // The whole run spends at most --max-wait (3 s) per sink, plus one attempt's timeout.
    let total: f64 = silent.iter().map(|f| f.latency_s).sum();
    run.check(
        total < 4.5,
        "the silent sink is bounded by --max-wait over the run",
    );
    assert!(silent[0].attempts >= 2, "{:?}", silent[0]);
    assert!(
        silent[0].error.as_deref().unwrap().contains("gave up"),
        "{:?}",
        silent[0]
    );
    let skipped = silent.iter().filter(|f| f.attempts == 0).count();
    assert!(
        skipped >= 2,
        "later alerts are not attempted once the budget is spent"
    );
    assert!(dead
        .iter()
        .all(|f| !f.error.as_deref().unwrap().contains("secret")));
    assert!(!run.stderr.contains("/down/secret"), "{}", run.stderr);
    // The healthy sink is not held up by the others.
    assert_eq!(healthy.requests().len(), 4);
    let ok = notes.iter().filter(|n| n.status == Status::Ok).count();
    assert_eq!(ok, 4);
}

#[test]
fn digest_filters_strict_and_usage() {
    let rx = HttpServer::scripted(vec![]);
    let input = [
        backup(Status::Error, "one"),
        Event::new("pra-status", Kind::Check, Status::Warn, "disk 91%")
            .with_stanza("app")
            .with_field("name", "disk"),
        backup(Status::Warn, "two"),
        backup(Status::Ok, "three"),
    ];
    // --digest: one message for the whole run.
    let run = tool(BIN)
        .args(["--slack-webhook", &rx.url("/services/x/y/z"), "--digest"])
        .stdin(lines(&input))
        .run();
    run.success();
    let f = notify_fields(run.one(Kind::Notify));
    assert_eq!((f.what.as_str(), f.events), ("digest", 3));
    let reqs = rx.requests();
    assert_eq!(reqs.len(), 1);
    let body = reqs[0].json();
    let title = body["text"].as_str().unwrap();
    assert!(
        title.starts_with("pra: 3 alerts (1 error, 2 warn)"),
        "{title}"
    );
    let lines_text = body["attachments"][0]["text"].as_str().unwrap();
    assert!(lines_text.contains("check disk on app") && lines_text.contains("two"));

    // --min-status error and --kinds.
    let run = tool(BIN)
        .args(["--webhook", &rx.url("/h"), "--min-status", "error"])
        .stdin(lines(&input))
        .run();
    run.success();
    assert_eq!(run.events_of(Kind::Notify).len(), 1);
    let run = tool(BIN)
        .args(["--webhook", &rx.url("/h"), "--kinds", "check"])
        .stdin(lines(&input))
        .run();
    assert_eq!(run.one(Kind::Notify).str_field("check"), Some("disk"));

    // Upstream errors do not fail the run unless --strict.
    let run = tool(BIN)
        .args(["--webhook", &rx.url("/h"), "--kinds", "none"])
        .stdin(lines(&input))
        .run();
    run.success();
    let run = tool(BIN)
        .args(["--webhook", &rx.url("/h"), "--kinds", "none", "--strict"])
        .stdin(lines(&input))
        .run();
    run.code_is(1);

    // No sink: the input is still forwarded, then a usage error event.
    let run = tool(BIN).stdin(lines(&input)).run();
    run.code_is(2).stderr_contains("no sink configured");
    run.check(
        run.stdout.starts_with(&lines(&input)),
        "input forwarded first",
    );
    let ev = run.one(Kind::Notify);
    run.check(
        ev.class() == Some(pra_core::error_class::ErrorClass::Usage)
            && ev.message.contains("no sink configured"),
        "then one notify usage event",
    );
    // Headers from the environment, one per line.
    let run = tool(BIN)
        .args(["--webhook", &rx.url("/env-headers"), "--kinds", "check"])
        .env(
            "PRA_WEBHOOK_HEADERS",
            "Authorization: Bearer tk\nX-Title: pra",
        )
        .stdin(lines(&input))
        .run();
    run.success();
    let reqs = rx.requests();
    let r = reqs.iter().find(|r| r.path == "/env-headers").unwrap();
    assert_eq!(r.header("authorization"), Some("Bearer tk"));
    assert_eq!(r.header("x-title"), Some("pra"));
    // A malformed sink: usage error before reading anything.
    tool(BIN).args(["--webhook", "ftp://x"]).run().code_is(2);
    tool(BIN)
        .args(["--email-to", "a@example.com", "--smtp", "smtp://u:pw@h"])
        .run()
        .code_is(2);
}
