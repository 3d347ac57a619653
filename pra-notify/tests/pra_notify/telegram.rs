//! Telegram through the Bot API on a real loopback HTTP server: the `sendMessage`
//! request as the Bot API documents it (path with the token, JSON body, HTML escaping,
//! silent good news), 429 with `parameters.retry_after`, permanent errors naming the
//! setting to fix, the 4096-character limit, and --only-changes with a state file.

use crate::deliver::{backup, notify_fields};
use pra_core::event::{Event, Kind, Status};
use pra_testkit::{tool, HttpServer, Reply, Tool};
use serde_json::json;
use std::path::{Path, PathBuf};

const BIN: &str = env!("CARGO_BIN_EXE_pra-notify");
const TOKEN: &str = "123456:TEST-tok_en";
const CHAT: &str = "-1001234567890";

/// A 0600 token file, as the docs say to write it.
fn token_file(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("telegram.token");
    std::fs::write(&path, format!("{TOKEN}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

fn telegram(rx: &HttpServer, token: &Path) -> Tool {
    tool(BIN)
        .arg("--telegram-bot-token-file")
        .arg(token)
        .args(["--telegram-chat-id", CHAT])
        .args(["--telegram-api-url", &rx.url("")])
}

#[test]
fn send_message_is_html_escaped_and_silent_for_good_news() {
    let rx = HttpServer::scripted(vec![]);
    let dir = tempfile::tempdir().unwrap();
    let failed = backup(Status::Error, "dump <failed> & a_b*c")
        .with_field("error", "pg_dump: relation \"a<b\" & *x_y*");
    let input = [failed, backup(Status::Ok, "backup done")];
    let run = telegram(&rx, &token_file(dir.path()))
        .args(["--min-status", "ok"])
        .stdin_events(&input)
        .run();
    run.success();
    let reqs = rx.requests();
    assert_eq!(reqs.len(), 2);
    for r in &reqs {
        assert_eq!(r.method, "POST");
        assert_eq!(r.path, format!("/bot{TOKEN}/sendMessage"));
        assert_eq!(r.header("content-type"), Some("application/json"));
    }
    let body = reqs[0].json();
    assert_eq!(body["chat_id"], CHAT);
    assert_eq!(body["parse_mode"], "HTML");
    assert_eq!(body["disable_notification"], false, "errors ring");
    let text = body["text"].as_str().unwrap();
    assert!(
        text.starts_with("<b>🔴 ERROR backup on app ("),
        "bold title: {text}"
    );
    // HTML style: <, > and & as entities; _ and * need nothing.
    assert!(
        text.contains("dump &lt;failed&gt; &amp; a_b*c"),
        "message escaped: {text}"
    );
    assert!(
        text.contains("error: pg_dump: relation \"a&lt;b\" &amp; *x_y*"),
        "{text}"
    );
    assert!(
        text.contains("stored_bytes: 3.0 MiB") && text.contains("duration_s: 12.5 s"),
        "key figures: {text}"
    );
    assert!(!text.contains("<failed>"), "{text}");
    let ok = reqs[1].json();
    assert_eq!(ok["disable_notification"], true, "good news is silent");
    assert!(ok["text"].as_str().unwrap().starts_with("<b>✅ OK backup"));

    // The token shows nowhere; the target names the chat.
    let all = String::from_utf8_lossy(&run.stdout).into_owned() + &run.stderr;
    run.check(!all.contains("TEST-tok_en"), "the token must not appear");
    let note = run.events_of(Kind::Notify)[0];
    assert_eq!(note.str_field("sink"), Some("telegram"));
    let target = format!("http://127.0.0.1:{}/*** chat {CHAT}", rx.port);
    assert_eq!(note.str_field("target"), Some(target.as_str()));

    // The token from the environment works the same.
    let run = tool(BIN)
        .env("PRA_TELEGRAM_BOT_TOKEN", TOKEN)
        .env("PRA_TELEGRAM_CHAT_ID", CHAT)
        .env("PRA_TELEGRAM_API_URL", rx.url("/"))
        .stdin_events(&input[..1])
        .run();
    run.success();
    let reqs = rx.requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[2].path, format!("/bot{TOKEN}/sendMessage"));
}

#[test]
fn rate_limits_wait_retry_after_and_permanent_errors_say_what_to_fix() {
    let dir = tempfile::tempdir().unwrap();
    let token = token_file(dir.path());
    let input = [backup(Status::Error, "broken")];
    let too_many = |after: u64| {
        Reply::json(
            429,
            json!({"ok": false, "error_code": 429,
                   "description": format!("Too Many Requests: retry after {after}"),
                   "parameters": {"retry_after": after}}),
        )
    };
    // 429 with parameters.retry_after = 1 (no Retry-After header), then delivered.
    let rx = HttpServer::scripted(vec![too_many(1)]);
    let run = telegram(&rx, &token).stdin_events(&input).run();
    run.success();
    let f = notify_fields(run.one(Kind::Notify));
    assert_eq!((f.attempts, f.http_status), (2, Some(200)));
    assert!(f.latency_s >= 1.0, "waited retry_after: {f:?}");
    // A retry_after beyond --max-wait: not waited for, an error that says so.
    let rx = HttpServer::scripted(vec![too_many(120)]);
    let run = telegram(&rx, &token)
        .args(["--max-wait", "3s"])
        .stdin_events(&input)
        .run();
    run.code_is(1);
    let f = notify_fields(run.one(Kind::Notify));
    assert_eq!((f.attempts, f.http_status), (1, Some(429)));
    let why = f.error.unwrap();
    assert!(
        why.contains("retry after 120 s, beyond --max-wait"),
        "{why}"
    );
    assert!(f.latency_s < 3.0, "{}", f.latency_s);

    // Permanent errors: one attempt, and the setting to fix.
    let refusal = |code: u16, description: &str| {
        Reply::json(
            code,
            json!({"ok": false, "error_code": code, "description": description}),
        )
    };
    for (reply, setting) in [
        (
            refusal(400, "Bad Request: chat not found"),
            "--telegram-chat-id",
        ),
        (refusal(401, "Unauthorized"), "--telegram-bot-token-file"),
        (refusal(404, "Not Found"), "--telegram-api-url"),
        (
            refusal(403, "Forbidden: bot was kicked from the group chat"),
            "--telegram-chat-id",
        ),
    ] {
        let rx = HttpServer::scripted(vec![reply]);
        let run = telegram(&rx, &token).stdin_events(&input).run();
        run.code_is(1);
        let f = notify_fields(run.one(Kind::Notify));
        assert_eq!(f.attempts, 1, "{f:?}");
        let why = f.error.unwrap();
        assert!(why.contains(setting), "{setting}: {why}");
        assert_eq!(rx.hits(), 1);
        run.check(
            !run.stderr.contains("TEST-tok_en"),
            "the token stays hidden in errors",
        );
    }
}

#[test]
fn a_message_longer_than_4096_characters_is_cut_with_a_note() {
    let rx = HttpServer::scripted(vec![]);
    let dir = tempfile::tempdir().unwrap();
    let input = [backup(Status::Error, &"<".repeat(10_000))];
    let run = telegram(&rx, &token_file(dir.path()))
        .stdin_events(&input)
        .run();
    run.success();
    let text = rx.requests()[0].json()["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(text.chars().count() <= 4096, "{}", text.chars().count());
    let (kept, note) = text
        .split_once("\n… (cut to fit")
        .expect("a note says it was cut");
    assert!(note.contains("pra-notify's output"), "{note}");
    // Cut between entities, never inside one.
    let message = kept.split_once('\n').unwrap().1;
    assert!(
        message.len() > 3000 && message.len() % 4 == 0,
        "{}",
        message.len()
    );
    assert!(message.split("&lt;").all(str::is_empty), "{message:.100}");
}

#[test]
fn only_changes_with_a_state_file_pages_once_and_resolves_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let token = token_file(dir.path());
    let state = dir.path().join("notify.state");
    // The first problem meets a flood limit beyond --max-wait: not delivered, so not
    // remembered, so sent again on the next run.
    let rx = HttpServer::scripted(vec![Reply::json(
        429,
        json!({"ok": false, "error_code": 429, "parameters": {"retry_after": 60}}),
    )]);
    let disk = |status: Status| {
        [Event::new(
            "pra-status",
            Kind::Check,
            status,
            format!("disk is {status}"),
        )
        .with_stanza("app")
        .with_field("name", "disk")]
    };
    let mut codes = Vec::new();
    for status in [
        Status::Ok,
        Status::Error,
        Status::Error,
        Status::Error,
        Status::Ok,
    ] {
        let run = telegram(&rx, &token)
            .args(["--only-changes", "--max-wait", "2s", "--state-file"])
            .arg(&state)
            .stdin_events(&disk(status))
            .run();
        codes.push(run.code);
    }
    assert_eq!(codes, [Some(0), Some(1), Some(0), Some(0), Some(0)]);
    let reqs = rx.requests();
    assert_eq!(reqs.len(), 3, "failed, problem, resolved");
    let (problem, resolved) = (reqs[1].json(), reqs[2].json());
    assert!(problem["text"]
        .as_str()
        .unwrap()
        .starts_with("<b>🔴 ERROR check disk on app"));
    assert_eq!(problem["disable_notification"], false);
    assert!(resolved["text"]
        .as_str()
        .unwrap()
        .starts_with("<b>✅ RESOLVED check disk on app"));
    assert_eq!(resolved["disable_notification"], true);
}

#[test]
fn misconfigurations_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let input = [backup(Status::Error, "x")];
    // A chat without a token, a token without a chat, a bad token, a bad chat id.
    let run = tool(BIN)
        .args(["--telegram-chat-id", CHAT])
        .stdin_events(&input)
        .run();
    run.code_is(2).stderr_contains("needs the bot token");
    let token = token_file(dir.path());
    let run = tool(BIN)
        .arg("--telegram-bot-token-file")
        .arg(&token)
        .stdin_events(&input)
        .run();
    run.code_is(2).stderr_contains("--telegram-chat-id");
    let bad = dir.path().join("bad.token");
    std::fs::write(&bad, "12345/../../x:secretvalue\n").unwrap();
    let run = tool(BIN)
        .arg("--telegram-bot-token-file")
        .arg(&bad)
        .args(["--telegram-chat-id", CHAT])
        .stdin_events(&input)
        .run();
    run.code_is(2)
        .stderr_contains("does not look like one")
        .check(
            !run.stderr.contains("secretvalue"),
            "the token is not shown",
        );
    let run = tool(BIN)
        .arg("--telegram-bot-token-file")
        .arg(dir.path().join("missing"))
        .args(["--telegram-chat-id", CHAT])
        .stdin_events(&input)
        .run();
    run.code_is(2).stderr_contains("--telegram-bot-token-file");
    let run = tool(BIN)
        .env("PRA_TELEGRAM_BOT_TOKEN", TOKEN)
        .args(["--telegram-chat-id", "my chat"])
        .stdin_events(&input)
        .run();
    run.code_is(2).stderr_contains("expected a numeric chat id");
}
