//! Discord, Microsoft Teams and Mattermost webhooks on a real loopback HTTP server:
//! each request as the channel documents it (method, path, Content-Type, JSON fields,
//! Markdown escaping), Discord's 429 with `retry_after` in the body, permanent errors
//! naming the setting to fix, messages beyond each channel's limits, the digest, and
//! the warning when a webhook URL is given on the command line.

use crate::deliver::{backup, notify_fields};
use pra_core::event::{Event, Kind, Status};
use pra_testkit::{tool, HttpServer, Reply};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_pra-notify");

fn failed() -> Event {
    backup(Status::Error, "dump <failed> & a_b*c")
        .with_field("error", "relation \"a<b\" & *x_y* not found")
}

fn chars(v: &Value) -> usize {
    v.as_str().map_or(0, |s| s.chars().count())
}

#[test]
fn discord_teams_and_mattermost_get_their_documented_payloads() {
    let rx = HttpServer::start(|r| match r.route() {
        // Discord answers 204 without ?wait=true; Workflows 202.
        p if p.starts_with("/api/webhooks/") => Reply::Status(204, vec![]),
        p if p.starts_with("/workflows/") => Reply::Status(202, vec![]),
        _ => Reply::Status(200, vec![]),
    });
    let discord = rx.url("/api/webhooks/123/discordsecret");
    let teams = rx.url("/workflows/abc/triggers/manual/paths/invoke?sig=teamssecret");
    let mattermost = rx.url("/hooks/mattermostsecret");
    let run = tool(BIN)
        .env("PRA_DISCORD_WEBHOOK", &discord)
        .env("PRA_TEAMS_WEBHOOK", &teams)
        .env("PRA_MATTERMOST_WEBHOOK", &mattermost)
        .env("PRA_MATTERMOST_CHANNEL", "ops-alerts")
        .stdin_events(&[failed(), backup(Status::Ok, "fine")])
        .run();
    run.success();
    run.check(
        !run.stderr.contains("command line"),
        "no warning when the URLs come from the environment",
    );
    let notes = run.events_of(Kind::Notify);
    let sinks: Vec<_> = notes.iter().filter_map(|n| n.str_field("sink")).collect();
    assert_eq!(sinks, ["discord", "teams", "mattermost"]);
    let all = String::from_utf8_lossy(&run.stdout).into_owned() + &run.stderr;
    for secret in ["discordsecret", "teamssecret", "mattermostsecret"] {
        run.check(!all.contains(secret), &format!("{secret} must not appear"));
    }
    let reqs = rx.requests();
    assert_eq!(reqs.len(), 3);
    for r in &reqs {
        assert_eq!(r.method, "POST");
        assert_eq!(r.header("content-type"), Some("application/json"));
    }
    let by = |prefix: &str| {
        reqs.iter()
            .find(|r| r.path.starts_with(prefix))
            .unwrap()
            .json()
    };

    // Discord: execute webhook with one embed, colour as an integer, no mentions.
    let d = by("/api/webhooks/123/discordsecret");
    assert_eq!(d["username"], "pra");
    assert_eq!(d["allowed_mentions"], json!({"parse": []}));
    let e = &d["embeds"][0];
    assert!(e["title"]
        .as_str()
        .unwrap()
        .starts_with("🔴 ERROR backup on app ("));
    assert_eq!(e["description"], r"dump \<failed\> \& a\_b\*c");
    assert_eq!(e["color"], 0xa30200);
    assert!(e["timestamp"].as_str().unwrap().starts_with("20"));
    let fields = e["fields"].as_array().unwrap();
    assert!(fields.contains(&json!({"name": "stored_bytes", "value": "3.0 MiB", "inline": true})));
    assert!(fields.contains(&json!({"name": "error", "inline": false,
        "value": r#"relation "a\<b" \& \*x\_y\* not found"#})));

    // Teams: a message with one Adaptive Card attachment.
    let t = by("/workflows/abc/");
    assert_eq!(t["type"], "message");
    let att = &t["attachments"][0];
    assert_eq!(
        att["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    assert_eq!(att["contentUrl"], Value::Null);
    let card = &att["content"];
    assert_eq!(card["type"], "AdaptiveCard");
    assert_eq!(
        card["$schema"],
        "http://adaptivecards.io/schemas/adaptive-card.json"
    );
    assert!(card["version"].as_str().is_some());
    let body = card["body"].as_array().unwrap();
    assert_eq!(body[0]["type"], "TextBlock");
    assert!(body[0]["text"]
        .as_str()
        .unwrap()
        .starts_with("🔴 ERROR backup on app ("));
    assert_eq!(body[0]["color"], "attention");
    assert_eq!(body[1]["text"], r"dump \<failed\> \& a\_b\*c");
    assert_eq!(body[2]["type"], "FactSet");
    assert!(body[2]["facts"]
        .as_array()
        .unwrap()
        .contains(&json!({"title": "duration_s", "value": "12.5 s"})));
    assert_eq!(body[3]["fontType"], "Monospace");
    assert_eq!(body[3]["text"], r#"relation "a\<b" \& \*x\_y\* not found"#);

    // Mattermost: Slack-compatible text and attachments, plus its own fields.
    let m = by("/hooks/mattermostsecret");
    assert_eq!(m["username"], "pra");
    assert_eq!(m["channel"], "ops-alerts");
    let text = m["text"].as_str().unwrap();
    assert!(
        text.starts_with(":red_circle: ERROR backup on app ("),
        "{text}"
    );
    assert!(text.ends_with(r"dump \<failed\> \& a\_b\*c"), "{text}");
    let a = &m["attachments"][0];
    assert_eq!(a["color"], "#a30200");
    assert!(a["fallback"]
        .as_str()
        .unwrap()
        .ends_with("dump <failed> & a_b*c"));
    assert!(a["fields"]
        .as_array()
        .unwrap()
        .contains(&json!({"short": true, "title": "stored_bytes", "value": "3.0 MiB"})));
    let card = m["props"]["card"].as_str().unwrap();
    assert!(
        card.starts_with("```json\n{") && card.contains("\"stored_bytes\":3145728"),
        "{card}"
    );
}

#[test]
fn discord_429_waits_retry_after_from_the_body_and_refusals_say_what_to_fix() {
    let input = [failed()];
    let rx = HttpServer::scripted(vec![
        Reply::json(
            429,
            json!({"message": "You are being rate limited.", "retry_after": 1.25, "global": false}),
        ),
        Reply::Status(204, vec![]),
    ]);
    let run = tool(BIN)
        .env("PRA_DISCORD_WEBHOOK", rx.url("/api/webhooks/1/tok"))
        .stdin_events(&input)
        .run();
    run.success();
    let f = notify_fields(run.one(Kind::Notify));
    assert_eq!((f.attempts, f.http_status), (2, Some(204)));
    assert!(f.latency_s >= 1.25, "waited retry_after: {f:?}");

    // Deleted or mistyped webhooks: one attempt, and which setting to fix.
    for (var, path, reply, setting) in [
        (
            "PRA_DISCORD_WEBHOOK",
            "/api/webhooks/1/tok",
            Reply::json(404, json!({"message": "Unknown Webhook", "code": 10015})),
            "--discord-webhook",
        ),
        (
            "PRA_DISCORD_WEBHOOK",
            "/api/webhooks/1/tok",
            Reply::json(
                401,
                json!({"message": "Invalid Webhook Token", "code": 50027}),
            ),
            "--discord-webhook",
        ),
        (
            "PRA_TEAMS_WEBHOOK",
            "/workflows/x?sig=s",
            Reply::Status(404, vec![]),
            "--teams-webhook",
        ),
        (
            "PRA_TEAMS_WEBHOOK",
            "/workflows/x?sig=s",
            Reply::Status(401, vec![]),
            "--teams-webhook",
        ),
        (
            "PRA_MATTERMOST_WEBHOOK",
            "/hooks/k",
            Reply::json(
                400,
                json!({"id": "web.incoming_webhook.invalid.app_error",
                                    "message": "Invalid webhook", "status_code": 400}),
            ),
            "--mattermost-webhook",
        ),
    ] {
        let rx = HttpServer::scripted(vec![reply]);
        let run = tool(BIN).env(var, rx.url(path)).stdin_events(&input).run();
        run.code_is(1);
        let f = notify_fields(run.one(Kind::Notify));
        assert_eq!(f.attempts, 1, "{f:?}");
        let why = f.error.unwrap();
        assert!(
            why.contains(setting) && why.contains(var),
            "{setting}: {why}"
        );
        assert_eq!(rx.hits(), 1);
    }
}

#[test]
fn messages_beyond_each_channels_limits_are_cut_not_refused() {
    let rx = HttpServer::scripted(vec![]);
    let huge = backup(Status::Error, &"m_".repeat(6_000))
        .with_stanza("s".repeat(400))
        .with_field("error", "e*".repeat(6_000));
    let run = tool(BIN)
        .env("PRA_DISCORD_WEBHOOK", rx.url("/api/webhooks/1/tok"))
        .env("PRA_TEAMS_WEBHOOK", rx.url("/workflows/x"))
        .env("PRA_MATTERMOST_WEBHOOK", rx.url("/hooks/k"))
        .stdin_events(&[huge])
        .run();
    run.success();
    let reqs = rx.requests();
    assert_eq!(reqs.len(), 3);
    // Sinks are served in parallel: find each request by its path.
    let by = |prefix: &str| reqs.iter().find(|r| r.path.starts_with(prefix)).unwrap();
    let cut = |v: &Value| v.as_str().unwrap().contains("cut to fit");

    let e = &by("/api/webhooks/").json()["embeds"][0];
    assert!(chars(&e["title"]) <= 256, "{}", chars(&e["title"]));
    assert!(chars(&e["description"]) <= 4096);
    let fields = e["fields"].as_array().unwrap();
    assert!(fields.len() <= 25 && fields.iter().all(|f| chars(&f["value"]) <= 1024));
    let total = chars(&e["title"])
        + chars(&e["description"])
        + chars(&e["footer"]["text"])
        + fields
            .iter()
            .map(|f| chars(&f["name"]) + chars(&f["value"]))
            .sum::<usize>();
    assert!(total <= 6000, "embed total {total}");
    assert!(cut(&e["description"]), "{}", e["description"]);
    let error = fields.iter().find(|f| f["name"] == "error").unwrap();
    assert!(cut(&error["value"]));

    let teams = &by("/workflows/").body;
    assert!(teams.len() <= 20_000, "Teams card {} bytes", teams.len());
    assert!(teams.contains("cut to fit"));

    let m = by("/hooks/").json();
    assert!(chars(&m["text"]) <= 16_383);
    let error = m["attachments"][0]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["title"] == "error")
        .unwrap()
        .clone();
    assert!(cut(&error["value"]), "{error}");
}

#[test]
fn digest_reaches_every_channel_and_command_line_urls_warn() {
    let rx = HttpServer::scripted(vec![]);
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "42:abc").unwrap();
    let input = [
        backup(Status::Error, "one"),
        backup(Status::Warn, "two"),
        backup(Status::Ok, "three"),
    ];
    let discord = rx.url("/api/webhooks/1/cmdlinesecret");
    let run = tool(BIN)
        .args(["--digest", "--discord-webhook", &discord])
        .args(["--teams-webhook", &rx.url("/workflows/x")])
        .args(["--mattermost-webhook", &rx.url("/hooks/k")])
        .arg("--telegram-bot-token-file")
        .arg(&token)
        .args(["--telegram-chat-id", "@pra_alerts"])
        .args(["--telegram-api-url", &rx.url("")])
        .stdin_events(&input)
        .run();
    run.success();
    // Given on the command line: it works, with a warning naming the variable.
    run.stderr_contains("--discord-webhook http://127.0.0.1")
        .stderr_contains("put it in PRA_DISCORD_WEBHOOK instead")
        .stderr_contains("PRA_MATTERMOST_WEBHOOK instead")
        .stderr_contains("is readable by other users");
    run.check(
        !run.stderr.contains("cmdlinesecret"),
        "the URL stays hidden",
    );
    let notes = run.events_of(Kind::Notify);
    assert_eq!(notes.len(), 4);
    for n in &notes {
        let f = notify_fields(n);
        assert_eq!((f.what.as_str(), f.events), ("digest", 2), "{f:?}");
    }
    let title = "pra: 2 alerts (1 error, 1 warn)";
    let reqs = rx.requests();
    let body = |prefix: &str| {
        reqs.iter()
            .find(|r| r.path.starts_with(prefix))
            .unwrap()
            .json()
    };
    let telegram = body("/bot42:abc/sendMessage");
    assert_eq!(telegram["chat_id"], "@pra_alerts");
    assert!(telegram["text"]
        .as_str()
        .unwrap()
        .starts_with(&format!("<b>{title}")));
    let e = &body("/api/webhooks/")["embeds"][0];
    assert!(e["title"].as_str().unwrap().starts_with(title));
    assert_eq!(e["color"], 0xa30200);
    assert!(e["description"]
        .as_str()
        .unwrap()
        .contains("⚠️ WARN backup"));
    let card = &body("/workflows/")["attachments"][0]["content"];
    assert!(card["body"][0]["text"].as_str().unwrap().starts_with(title));
    let m = body("/hooks/");
    assert!(m["text"].as_str().unwrap().starts_with("pra: 2 alerts"));
    assert!(m["attachments"][0]["text"]
        .as_str()
        .unwrap()
        .contains(":warning: WARN backup"));
}
