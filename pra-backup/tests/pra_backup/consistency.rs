//! Snapshot consistency under write load: while a writer inserts rows in autocommit,
//! the row counts in the manifest are exactly those of the dump (checked after a
//! restore with the standard tools), and the writer demonstrably inserted rows during
//! the backup that the snapshot does not hold.

use crate::common::*;
use pra_core::event::Kind;
use pra_core::manifest::FileRole;
use pra_testkit::PgCluster;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

#[test]
fn manifest_counts_are_those_of_the_snapshot_under_concurrent_inserts() {
    let c = PgCluster::start();
    let repo = tempfile::tempdir().unwrap();
    c.create_db("busy");
    c.psql(
        "busy",
        "CREATE TABLE big AS SELECT i, md5(i::text) AS h FROM generate_series(1, 1500000) i; \
         CREATE TABLE ticks (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp(), pad text); \
         INSERT INTO ticks (pad) SELECT 'seed' FROM generate_series(1, 100);",
    );

    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        let mut client = c.connect("busy");
        std::thread::spawn(move || {
            let mut n = 0u64;
            while !stop.load(Ordering::SeqCst) {
                client
                    .execute("INSERT INTO ticks (pad) VALUES (repeat('x', 100))", &[])
                    .unwrap();
                n += 1;
            }
            n
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(200));
    let run = backup(&c, repo.path()).args(["-d", "busy"]).run();
    stop.store(true, Ordering::SeqCst);
    let inserted = writer.join().unwrap();
    run.success();
    run.one(Kind::Backup);
    assert!(inserted > 0);

    let m = only_manifest(repo.path(), "busy");
    let in_snapshot = m
        .tables
        .iter()
        .find(|t| t.table == "ticks")
        .and_then(|t| t.rows)
        .unwrap();
    // Rows committed before the backup finished that the snapshot does not hold:
    // the writer was inserting while the dump ran.
    let finished = pra_core::time::format_ts(&m.finished_at);
    let committed_before_end: u64 = c
        .psql(
            "busy",
            &format!("SELECT count(*) FROM ticks WHERE at <= '{finished}'"),
        )
        .parse()
        .unwrap();
    assert!(
        committed_before_end > in_snapshot,
        "the writer inserted during the backup: {committed_before_end} rows before it ended, \
         {in_snapshot} in the snapshot"
    );

    let dump = backup_dir(repo.path(), &m).join(&m.file(FileRole::Dump).unwrap().name);
    restore_with_standard_tools(&c, &dump, "busy_restored");
    let mut client = c.connect("busy_restored");
    let tables = pra_core::catalog::user_tables(&mut client).unwrap();
    let counts = pra_core::catalog::count_rows(&mut client, &tables).unwrap();
    let problems = pra_core::catalog::compare_row_counts(&m.tables, &counts);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(
        c.psql("busy_restored", "SELECT count(*) FROM big"),
        "1500000"
    );
}
