//! A damaged `--only-changes` state file (issue 22, item 12): kept aside under a
//! new name, said in a `warn` event and to the sinks, and the run goes on.

use pra_core::event::kinds::NotifyFields;
use pra_core::event::{Event, Kind, Status};
use pra_testkit::{tool, HttpServer};

const BIN: &str = env!("CARGO_BIN_EXE_pra-notify");

fn disk(status: Status) -> Vec<u8> {
    let ev = Event::new(
        "pra-status",
        Kind::Check,
        status,
        format!("disk is {status}"),
    )
    .with_stanza("app")
    .with_field("name", "disk");
    (ev.to_json_line() + "\n").into_bytes()
}

#[test]
fn a_damaged_state_file_is_kept_aside_and_reported() {
    let rx = HttpServer::scripted(vec![]);
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("notify.state");
    let run = |status: Status| {
        tool(BIN)
            .args([
                "--webhook",
                &rx.url("/hook"),
                "--only-changes",
                "--state-file",
            ])
            .arg(&state)
            .stdin(disk(status))
            .run()
    };
    run(Status::Error).success();
    let remembered = std::fs::read_to_string(&state).unwrap();
    assert!(remembered.contains("app/check/disk"), "{remembered}");

    // Cut in the middle (a disk that filled up under an older pra, a careless edit).
    let damaged = &remembered.as_bytes()[..remembered.len() / 2];
    std::fs::write(&state, damaged).unwrap();
    let r = run(Status::Ok);
    r.success();
    assert_eq!(
        r.events[0].kind,
        Kind::Check,
        "the input is forwarded first: {}",
        r.dump()
    );
    let reset: Vec<&Event> = r
        .events_of(Kind::Notify)
        .into_iter()
        .filter(|e| e.str_field("what") == Some("state_reset"))
        .collect();
    assert_eq!(reset.len(), 1, "{}", r.dump());
    assert_eq!(reset[0].status, Status::Warn);
    let f: NotifyFields = reset[0].fields_as().unwrap();
    let kept = std::path::PathBuf::from(f.kept_as.clone().unwrap());
    assert_eq!(kept.parent(), Some(dir.path()));
    assert!(
        kept.file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("notify.state.damaged-"),
        "{kept:?}"
    );
    assert_eq!(
        std::fs::read(&kept).unwrap(),
        damaged,
        "the damaged file is kept as it was"
    );
    assert!(f.error.is_some(), "says why it could not be read");
    for words in ["damaged", "kept as", "resolution will not be reported"] {
        assert!(reset[0].message.contains(words), "{}", reset[0].message);
    }
    // The people the alerts reach are told too.
    let reqs = rx.requests();
    assert_eq!(reqs.len(), 2, "the problem, then the reset notice");
    assert_eq!(reqs[1].json()["status"], "warn");
    assert!(
        reqs[1].json()["message"]
            .as_str()
            .unwrap_or_default()
            .contains("damaged"),
        "{}",
        reqs[1].json()
    );
    // A new, valid state file; the problem, still there, is alerted again.
    let fresh = std::fs::read_to_string(&state).unwrap();
    assert!(fresh.contains("\"problems\""), "{fresh}");
    let again = run(Status::Error);
    again.success();
    let f: NotifyFields = again.one(Kind::Notify).fields_as().unwrap();
    assert_eq!(f.what, "problem");
    assert_eq!(rx.requests().len(), 3);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        2,
        "the state file and the one damaged copy"
    );
}
