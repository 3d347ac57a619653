//! `--only-changes`: ok -> error -> error -> ok over four separate runs sharing a state
//! file gives exactly two alerts, the problem and its resolution.

use pra_core::event::kinds::NotifyFields;
use pra_core::event::{Event, Kind, Status};
use pra_testkit::{tool, HttpServer, Reply};

const BIN: &str = env!("CARGO_BIN_EXE_pra-notify");

fn checks(disk: Status) -> Vec<u8> {
    let evs = [
        Event::new("pra-status", Kind::Check, disk, format!("disk is {disk}"))
            .with_stanza("app")
            .with_field("name", "disk"),
        Event::new("pra-status", Kind::Check, Status::Ok, "database answers")
            .with_stanza("app")
            .with_field("name", "database"),
    ];
    evs.iter()
        .map(|e| e.to_json_line() + "\n")
        .collect::<String>()
        .into_bytes()
}

#[test]
fn ok_error_error_ok_gives_problem_then_resolved() {
    let rx = HttpServer::scripted(vec![]);
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("notify.state");
    let run = |disk: Status| {
        let r = tool(BIN)
            .args([
                "--webhook",
                &rx.url("/hook"),
                "--only-changes",
                "--state-file",
            ])
            .arg(&state)
            .stdin(checks(disk))
            .run();
        r.success();
        r
    };
    let mut whats = Vec::new();
    for disk in [Status::Ok, Status::Error, Status::Error, Status::Ok] {
        let r = run(disk);
        for n in r.events_of(Kind::Notify) {
            let f: NotifyFields = n.fields_as().unwrap();
            whats.push(f.what.clone());
            assert_eq!(f.check.as_deref(), Some("disk"));
        }
    }
    assert_eq!(whats, ["problem", "resolved"]);
    let reqs = rx.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].json()["status"], "error");
    assert_eq!(reqs[0].header("x-pra-notify"), Some("problem"));
    assert_eq!(reqs[1].json()["status"], "ok");
    assert_eq!(reqs[1].header("x-pra-notify"), Some("resolved"));

    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&state).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temp files"
    );
}

#[test]
fn a_failed_delivery_is_tried_again_on_the_next_run() {
    let rx = HttpServer::scripted(vec![Reply::Status(400, vec![])]);
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("notify.state");
    let run = || {
        tool(BIN)
            .args([
                "--webhook",
                &rx.url("/hook"),
                "--only-changes",
                "--state-file",
            ])
            .arg(&state)
            .stdin(checks(Status::Error))
            .run()
    };
    run().code_is(1);
    let second = run();
    second.success();
    assert_eq!(second.one(Kind::Notify).status, Status::Ok);
    run().success();
    assert_eq!(
        rx.requests().len(),
        2,
        "failed once, delivered once, then quiet"
    );
}
