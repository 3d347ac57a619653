//! Tests of the verdict merge rules and of "verified".

use super::*;

fn at(minute: u32) -> DateTime<Utc> {
    crate::time::parse_ts(&format!("2026-11-25T11:{minute:02}:00Z")).unwrap()
}

fn rec(level: VerifyLevel, status: Status, minute: u32) -> VerifyRecord {
    VerifyRecord {
        format: VERIFY_FORMAT,
        backup_id: "20261125T110000Z".into(),
        level,
        status,
        verified_at: at(minute),
        duration_s: 1.0,
        problems: if status == Status::Error {
            vec!["sha256 mismatch".into()]
        } else {
            vec![]
        },
        tool_version: crate::VERSION.into(),
        extra: Default::default(),
    }
}

fn after(steps: &[(VerifyLevel, Status, u32)]) -> Verdicts {
    let mut v = Verdicts::new("20261125T110000Z");
    for &(level, status, minute) in steps {
        v.merge(&rec(level, status, minute));
    }
    v
}

use Status::{Error as Fail, Ok as Pass};
use VerifyLevel::{Checksum, Manifest, Restore};

/// Each row: the verifications in order, and the standing: `None` unverified,
/// `Some((level, true))` verified at that level, `Some((level, false))` failed there.
#[test]
fn the_rules_of_docs_verify_md() {
    type Row = (
        &'static [(VerifyLevel, Status, u32)],
        Option<(VerifyLevel, bool)>,
    );
    let rows: &[Row] = &[
        (&[], None),
        (&[(Manifest, Pass, 1)], None),
        (&[(Checksum, Pass, 1)], Some((Checksum, true))),
        (&[(Restore, Pass, 1)], Some((Restore, true))),
        // The scenario: a weaker pass never erases a failure.
        (
            &[(Checksum, Fail, 1), (Manifest, Pass, 2)],
            Some((Checksum, false)),
        ),
        (
            &[(Restore, Fail, 1), (Checksum, Pass, 2)],
            Some((Restore, false)),
        ),
        // A pass at the same level replaces the failure; a stronger newer pass erases it.
        (
            &[(Checksum, Fail, 1), (Checksum, Pass, 2)],
            Some((Checksum, true)),
        ),
        (
            &[(Checksum, Fail, 1), (Restore, Pass, 2)],
            Some((Restore, true)),
        ),
        // A newer failure at any level stands over older passes.
        (
            &[(Restore, Pass, 1), (Manifest, Fail, 2)],
            Some((Manifest, false)),
        ),
        (
            &[(Checksum, Pass, 1), (Checksum, Fail, 2)],
            Some((Checksum, false)),
        ),
        // A weaker pass never replaces a stronger verdict.
        (
            &[(Restore, Pass, 1), (Manifest, Pass, 2)],
            Some((Restore, true)),
        ),
        // An older result arriving late does not replace a newer one.
        (
            &[(Checksum, Pass, 5), (Checksum, Fail, 2)],
            Some((Checksum, true)),
        ),
    ];
    for (steps, want) in rows {
        let v = after(steps);
        let got = match v.standing() {
            Standing::Verified(v) => Some((v.level, true)),
            Standing::Failed(v) => Some((v.level, false)),
            Standing::Unverified => None,
        };
        assert_eq!(got, *want, "{steps:?}");
        assert_eq!(v.verified().is_some(), matches!(want, Some((_, true))));
    }
}

#[test]
fn keeps_one_verdict_per_level_and_round_trips() {
    let v = after(&[
        (Checksum, Fail, 1),
        (Manifest, Pass, 2),
        (Manifest, Pass, 3),
    ]);
    assert_eq!(v.verdicts.len(), 2);
    assert_eq!(v.get(Manifest).unwrap().verified_at, at(3));
    assert_eq!(v.get(Checksum).unwrap().problems, ["sha256 mismatch"]);
    assert_eq!(v.newest().unwrap().level, Manifest);
    let back = Verdicts::from_json(&v.to_json(), "verify.json").unwrap();
    assert_eq!(back, v);
    assert_eq!(back.format, VERIFY_FORMAT);
}

#[test]
fn reads_format_1_records_and_refuses_newer_formats() {
    let old = serde_json::json!({
        "format": 1, "backup_id": "20261125T110000Z", "level": "checksum",
        "status": "ok", "verified_at": "2026-11-25T11:01:00Z", "duration_s": 2.5,
        "problems": [], "tool_version": "0.1.0"
    });
    let v = Verdicts::from_json(old.to_string().as_bytes(), "verify.json").unwrap();
    assert_eq!(v.backup_id, "20261125T110000Z");
    assert_eq!(v.verified().map(|v| v.level), Some(Checksum));
    let mut newer: serde_json::Value = serde_json::from_slice(&v.to_json()).unwrap();
    newer["format"] = serde_json::json!(VERIFY_FORMAT + 1);
    let e = Verdicts::from_json(newer.to_string().as_bytes(), "x/verify.json").unwrap_err();
    assert!(e.to_string().contains("upgrade pra"), "{e}");
    assert!(Verdicts::from_json(b"{", "v").is_err());
}

#[test]
fn the_repository_merges_verdicts_and_replaces_a_damaged_file_only() {
    let dir = tempfile::tempdir().unwrap();
    let r = crate::repo::Repository::open(dir.path().to_str().unwrap()).unwrap();
    r.init().unwrap();
    let id = r.new_backup("app", at(0)).unwrap();
    let record = |level, status, minute| VerifyRecord {
        backup_id: id.clone(),
        ..rec(level, status, minute)
    };
    r.write_verify("app", &record(Checksum, Fail, 1)).unwrap();
    r.write_verify("app", &record(Manifest, Pass, 2)).unwrap();
    let v = r.read_verify("app", &id).unwrap().unwrap();
    assert_eq!(v.verdicts.len(), 2);
    assert!(matches!(v.standing(), Standing::Failed(f) if f.level == Checksum));

    let path = dir.path().join("app/backup").join(&id).join("verify.json");
    std::fs::write(&path, b"{ damaged").unwrap();
    r.write_verify("app", &record(Restore, Pass, 3)).unwrap();
    let v = r.read_verify("app", &id).unwrap().unwrap();
    assert_eq!(v.verified().map(|v| v.level), Some(Restore));

    let mut newer: serde_json::Value = serde_json::from_slice(&v.to_json()).unwrap();
    newer["format"] = serde_json::json!(VERIFY_FORMAT + 1);
    std::fs::write(&path, newer.to_string()).unwrap();
    assert!(r.write_verify("app", &record(Checksum, Pass, 4)).is_err());
    assert!(std::fs::read_to_string(&path)
        .unwrap()
        .contains(&format!("{}", VERIFY_FORMAT + 1)));
}
