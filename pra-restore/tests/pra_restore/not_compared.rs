//! A backup taken with `--count-rows none` (issue 22, item 6): its manifest has no
//! counts, so the restore says the rows were "not compared", with `warn`, never that
//! every count equals the manifest.

use crate::common;
use crate::common::PRA_RESTORE;
use pra_core::codec::Codec;
use pra_core::event::kinds::RestoreFields;
use pra_core::event::{Kind, Status};
use pra_core::repo::Repository;
use pra_testkit::{tool, PgCluster};

#[test]
fn rows_never_counted_are_not_compared_and_warn() {
    let c = PgCluster::start();
    common::load_owned_sample(&c, "app", 1);
    let dir = tempfile::tempdir().unwrap();
    let mut m = common::backup(&c, dir.path(), "app", "app", Codec::Zstd);
    // What pra-backup --count-rows none records: every table, no count.
    assert!(!m.tables.is_empty());
    for t in &mut m.tables {
        t.rows = None;
    }
    let r = Repository::open(dir.path().to_str().unwrap()).unwrap();
    r.write_manifest(&m).unwrap();

    let run = tool(PRA_RESTORE)
        .args(["--repo", dir.path().to_str().unwrap(), "--stanza", "app"])
        .args(["--target-db", "restored"])
        .envs(c.env())
        .run();
    run.success();
    let ev = run.one(Kind::Restore);
    assert_eq!(ev.status, Status::Warn, "{}", run.dump());
    assert!(ev.message.contains("not compared"), "{}", ev.message);
    let f: RestoreFields = ev.fields_as().unwrap();
    let counts: Vec<_> = f
        .validation
        .iter()
        .filter(|c| c.check == "row_counts")
        .collect();
    assert_eq!(counts.len(), 1, "{:?}", f.validation);
    assert_eq!(counts[0].status, Status::Warn);
    assert!(
        counts[0].detail.contains("not compared"),
        "{}",
        counts[0].detail
    );
    let all = String::from_utf8_lossy(&run.stdout);
    assert!(
        !all.contains("every count equals the manifest"),
        "{}",
        run.dump()
    );
}
