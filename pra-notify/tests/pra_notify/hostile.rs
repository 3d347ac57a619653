//! Hostile input and secrets (issue 22): header values with control characters are
//! usage errors (item 4), and no secret shows in any output at the most verbose
//! log level (item 3).

use pra_core::event::{Event, Kind, Status};
use pra_testkit::{tool, HttpServer, SmtpServer};

const BIN: &str = env!("CARGO_BIN_EXE_pra-notify");

fn input() -> Vec<u8> {
    let ev = Event::new(
        "pra-verify",
        Kind::Verify,
        Status::Error,
        "checksum mismatch",
    )
    .with_stanza("app");
    format!("{}\n", ev.to_json_line()).into_bytes()
}

#[test]
fn header_names_and_values_with_control_characters_are_usage_errors() {
    let rx = HttpServer::always(200);
    for (header, what) in [
        ("X-A:1\r\nX-Injected: yes", "CR LF"),
        ("X-A:1\nX-Injected: yes", "LF"),
        ("X-A:1\u{1}", "SOH"),
        ("X-A:\u{1b}[31m", "ESC"),
        ("X\rA:1", "CR in the name"),
    ] {
        let run = tool(BIN)
            .args(["--webhook", &rx.url("/h"), "--header", header])
            .stdin(input())
            .run();
        run.code_is(2);
        run.check(
            run.stderr.trim().lines().count() == 1,
            &format!("{what}: one line"),
        );
        run.stderr_contains("--header");
        let ev = run.one(Kind::Notify);
        run.check(
            ev.class() == Some(pra_core::error_class::ErrorClass::Usage),
            "a usage error event",
        );
    }
    // The variable: one header per line, but a control character inside a line is refused.
    let run = tool(BIN)
        .args(["--webhook", &rx.url("/h")])
        .env("PRA_WEBHOOK_HEADERS", "Title: ok\nX-B: a\u{7f}b")
        .stdin(input())
        .run();
    run.code_is(2).stderr_contains("PRA_WEBHOOK_HEADERS");
    assert_eq!(rx.hits(), 0, "nothing was sent");
}

#[test]
fn no_secret_shows_at_the_most_verbose_level() {
    let rx = HttpServer::always(200);
    let smtp = SmtpServer::start(Some(("pra", "smtp-pw-5511")));
    let base = rx.url("");
    let with_userinfo =
        |path: &str| base.replacen("http://", "http://hookuser:basic-pw-7733@", 1) + path;
    let webhook = with_userinfo("/hook/path-secret-9911?token=query-secret-4422");
    let slack = rx.url("/services/T0AAA/B0BBB/slack-secret-6633");
    let sms = rx.url("/sms/sms-token-8844?key=sms-key-2255");
    let run = tool(BIN)
        .args(["-vvv", "--kinds", "verify", "--email-to", "dba@example.com"])
        .args(["--smtp", &format!("smtp://127.0.0.1:{}", smtp.port)])
        .args(["--sms-to", "+33600000000"])
        .env("PRA_WEBHOOK", &webhook)
        .env("PRA_SLACK_WEBHOOK", &slack)
        .env("PRA_SMS_WEBHOOK", &sms)
        .env(
            "PRA_WEBHOOK_HEADERS",
            "Authorization: Bearer header-secret-3377",
        )
        .env("PRA_SMTP_USER", "pra")
        .env("PRA_SMTP_PASSWORD", "smtp-pw-5511")
        .env("RUST_LOG", "trace")
        .stdin(input())
        .run();
    run.success();
    assert!(rx.hits() >= 3, "every sink was used\n{}", run.dump());
    assert_eq!(smtp.messages().len(), 1);
    let all = String::from_utf8_lossy(&run.stdout).into_owned() + &run.stderr;
    assert!(run.stderr.lines().count() > 10, "verbose logs\n{all}");
    for secret in [
        "basic-pw-7733",
        "aG9va3VzZXI6YmFzaWMtcHctNzczMw", // base64("hookuser:basic-pw-7733")
        "path-secret-9911",
        "query-secret-4422",
        "slack-secret-6633",
        "sms-token-8844",
        "sms-key-2255",
        "header-secret-3377",
        "smtp-pw-5511",
    ] {
        assert!(!all.contains(secret), "{secret} leaked:\n{all}");
    }
}
