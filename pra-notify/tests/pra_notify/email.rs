//! E-mail to a real SMTP server (Python aiosmtpd on 127.0.0.1), with AUTH credentials
//! from the environment, and through a sendmail program.

use pra_core::event::kinds::NotifyFields;
use pra_core::event::{Event, Kind, Status};
use pra_testkit::{free_port, tool, SmtpServer};

const BIN: &str = env!("CARGO_BIN_EXE_pra-notify");

fn input() -> Vec<u8> {
    let ev = Event::new(
        "pra-verify",
        Kind::Verify,
        Status::Error,
        "checksum mismatch",
    )
    .with_stanza("app")
    .with_field("backup_id", "20261125T120000Z")
    .with_field("error", "dump.pgc.zst: sha256 differs");
    format!("{}\n", ev.to_json_line()).into_bytes()
}

#[test]
fn smtp_delivers_to_aiosmtpd_with_credentials_from_the_environment() {
    let smtp = SmtpServer::start(Some(("pra", "s3cret-pw")));
    let url = format!("smtp://127.0.0.1:{}", smtp.port);
    let run = tool(BIN)
        .args([
            "--email-to",
            "dba@example.com",
            "--email-to",
            "ops@example.com",
        ])
        .args(["--email-from", "pra@db1.example.com", "--smtp", &url])
        .env("PRA_SMTP_USER", "pra")
        .env("PRA_SMTP_PASSWORD", "s3cret-pw")
        .stdin(input())
        .run();
    run.success();
    let note = run.one(Kind::Notify);
    let f: NotifyFields = note.fields_as().unwrap();
    assert_eq!(
        (note.status, f.sink.as_str(), f.attempts),
        (Status::Ok, "email", 1)
    );
    assert_eq!(
        f.target,
        format!(
            "dba@example.com,ops@example.com via smtp://127.0.0.1:{} as pra",
            smtp.port
        )
    );
    let all = String::from_utf8_lossy(&run.stdout).into_owned() + &run.stderr;
    assert!(!all.contains("s3cret-pw"), "password leaked: {all}");

    let mails = smtp.messages();
    assert_eq!(mails.len(), 1, "{mails:?}");
    let m = &mails[0];
    assert!(m.contains("X-Test-Login: pra\n"), "{m}");
    assert!(
        m.contains("X-Test-Rcpt-To: dba@example.com,ops@example.com"),
        "{m}"
    );
    assert!(m.contains("X-Test-Mail-From: pra@db1.example.com"), "{m}");
    assert!(
        m.contains("Subject: [pra] ERROR verify on app: checksum mismatch"),
        "{m}"
    );
    assert!(m.contains("dump.pgc.zst: sha256 differs"), "{m}");
    assert!(m.contains("20261125T120000Z"), "{m}");
    assert!(m.contains("Message-ID: <pra-notify."), "{m}");

    // Wrong password: refused for good (535), an error event, exit 1.
    let run = tool(BIN)
        .args(["--email-to", "dba@example.com", "--smtp", &url])
        .env("PRA_SMTP_USER", "pra")
        .env("PRA_SMTP_PASSWORD", "wrong")
        .stdin(input())
        .run();
    run.code_is(1);
    let f: NotifyFields = run.one(Kind::Notify).fields_as().unwrap();
    assert_eq!(f.attempts, 1, "authentication failures are not retried");
    assert!(!run.stderr.contains("wrong"), "{}", run.stderr);
    assert_eq!(smtp.messages().len(), 1);

    // Server down: retried, then an error event within --max-wait.
    let down = format!("smtp://127.0.0.1:{}", free_port());
    let run = tool(BIN)
        .args([
            "--email-to",
            "dba@example.com",
            "--smtp",
            &down,
            "--max-wait",
            "2s",
        ])
        .stdin(input())
        .run();
    run.code_is(1);
    let f: NotifyFields = run.one(Kind::Notify).fields_as().unwrap();
    assert!(f.attempts >= 2 && f.latency_s < 3.5, "{f:?}");
}

#[test]
fn sendmail_gets_the_message_on_stdin_with_dash_t() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mail.txt");
    let script = dir.path().join("sendmail");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$@\" > {0}.args\ncat > {0}\n",
            out.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let run = tool(BIN)
        .args(["--email-to", "dba@example.com", "--sendmail"])
        .arg("--sendmail-command")
        .arg(&script)
        .stdin(input())
        .run();
    run.success();
    assert_eq!(run.one(Kind::Notify).str_field("sink"), Some("sendmail"));
    let mail = std::fs::read_to_string(&out).unwrap();
    assert!(mail.contains("To: dba@example.com"), "{mail}");
    assert!(mail.contains("checksum mismatch"), "{mail}");
    let args = std::fs::read_to_string(dir.path().join("mail.txt.args")).unwrap();
    assert_eq!(args.trim(), "-t -i");
    // PRA_SMTP of an environment file neither overrides --sendmail nor makes a run
    // without recipients a usage error (docs/ALERTING.md's blocks with pra.env loaded);
    // both ways on the command line are.
    std::fs::remove_file(&out).unwrap();
    tool(BIN)
        .env("PRA_SMTP", "smtp://127.0.0.1:1")
        .args(["--email-to", "dba@example.com", "--sendmail"])
        .arg("--sendmail-command")
        .arg(&script)
        .stdin(input())
        .run()
        .success();
    assert!(
        out.exists(),
        "sendmail, not the SMTP server of the environment"
    );
    let hook = pra_testkit::HttpServer::always(200);
    tool(BIN)
        .env("PRA_SMTP", "smtp://127.0.0.1:1")
        .arg("--webhook")
        .arg(hook.url("/hook"))
        .stdin(input())
        .run()
        .success();
    assert_eq!(hook.hits(), 1);
    tool(BIN)
        .args(["--email-to", "dba@example.com", "--sendmail"])
        .args(["--smtp", "smtp://127.0.0.1:1"])
        .stdin(input())
        .run()
        .code_is(2)
        .stderr_contains("choose one");
}
