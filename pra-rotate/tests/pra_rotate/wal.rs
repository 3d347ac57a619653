//! WAL retention: pra-rotate deletes the archived WAL no kept physical backup needs
//! (before the oldest kept backup's start segment), keeps timeline history files and
//! everything after, lists them in a dry run without deleting, and leaves the WAL of
//! a stanza without physical backups alone.

use super::common::Repo;
use pra_core::event::kinds::RotateFields;
use pra_core::event::Kind;
use pra_core::manifest::BackupKind;
use pra_core::physical::PhysicalSection;

fn seg(n: u64) -> String {
    pra_core::wal::segment_name(1, n, pra_core::wal::DEFAULT_SEGMENT_SIZE)
}

/// A physical backup starting at segment `start`.
fn physical(r: &Repo, day: &str, start: u64) -> String {
    let id = r.backup("main", super::common::at(day), 10, true);
    let mut m = r.repo.read_manifest("main", &id).unwrap();
    m.kind = BackupKind::Physical;
    let section = PhysicalSection {
        start_wal: seg(start),
        stop_wal: seg(start),
        wal_segment_size: pra_core::wal::DEFAULT_SEGMENT_SIZE,
        ..PhysicalSection::default()
    };
    m.extra
        .insert("physical".into(), serde_json::to_value(section).unwrap());
    r.repo.write_manifest(&m).unwrap();
    id
}

fn archived(r: &Repo) -> Vec<String> {
    pra_core::wal::archived(r.repo.storage(), "main").unwrap()
}

#[test]
fn rotation_keeps_exactly_the_wal_the_kept_backups_need() {
    let r = Repo::new();
    let old = physical(&r, "2026-11-20T03:00:00Z", 2);
    let new = physical(&r, "2026-11-21T03:00:00Z", 5);
    let mut names: Vec<String> = (1..=6).map(seg).collect();
    names.push(format!("{}.00000028.backup", seg(2)));
    names.push("00000002.history".into());
    for n in &names {
        pra_core::wal::push(r.repo.storage(), "main", n, n.as_bytes(), None).unwrap();
    }
    let run = r.rotate(&["--stanza", "main", "--keep-last", "2"]);
    run.success();
    assert_eq!(archived(&r).len(), names.len() - 1, "only {} goes", seg(1));

    let run = r.rotate(&["--stanza", "main", "--keep-last", "1", "--dry-run"]);
    run.success();
    let f: RotateFields = run.one(Kind::Rotate).fields_as().unwrap();
    assert_eq!(
        f.wal_deleted.len(),
        4,
        "2, its .backup file, 3, 4: {:?}",
        f.wal_deleted
    );
    assert_eq!(
        archived(&r).len(),
        names.len() - 1,
        "a dry run deletes nothing"
    );

    let run = r.rotate(&["--stanza", "main", "--keep-last", "1"]);
    run.success();
    let f: RotateFields = run.one(Kind::Rotate).fields_as().unwrap();
    assert_eq!(f.deleted, vec![old]);
    assert!(r.exists("main", &new));
    let left = archived(&r);
    assert_eq!(left, vec![seg(5), seg(6), "00000002.history".to_string()]);
}

#[test]
fn a_stanza_without_physical_backups_keeps_its_wal() {
    let r = Repo::new();
    r.backup("main", super::common::at("2026-11-20T03:00:00Z"), 10, true);
    r.backup("main", super::common::at("2026-11-21T03:00:00Z"), 10, true);
    pra_core::wal::push(r.repo.storage(), "main", &seg(1), b"x", None).unwrap();
    r.rotate(&["--stanza", "main", "--keep-last", "1"])
        .success();
    assert_eq!(archived(&r), vec![seg(1)]);
}
