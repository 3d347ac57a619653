//! Custom workloads and flags: a --workload transaction on the Pagila dataset, and
//! the usage errors caught before the server is touched.

use crate::common::{drill, drill_databases, fields, schema_exists, serial};
use pra_testkit::{datasets_dir, load_dataset, tool, Dataset, PgCluster};

#[test]
fn bad_flags_are_usage_errors_before_touching_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let wl = dir.path().join("w.sql");
    std::fs::write(&wl, "\\set aid random(1, 10)\nSELECT :aid;\n").unwrap();
    let run = tool(env!("CARGO_BIN_EXE_pra-loadtest"))
        .args(["-d", "nowhere", "--workload", wl.to_str().unwrap()])
        .env("PGHOST", "/nonexistent")
        .run();
    run.code_is(2).stderr_contains("meta-commands");
    let run = tool(env!("CARGO_BIN_EXE_pra-loadtest"))
        .args(["--max-slowdown", "0"])
        .env("PGHOST", "/nonexistent")
        .run();
    run.code_is(2).stderr_contains("--max-slowdown");
    let run = tool(env!("CARGO_BIN_EXE_pra-loadtest"))
        .args(["--duration", "1s"])
        .run();
    run.code_is(2).stderr_contains("too short");
    // The drill's backup and restore need the client programs: a configuration error.
    let empty = tempfile::tempdir().unwrap();
    let run = tool(env!("CARGO_BIN_EXE_pra-loadtest"))
        .args(["-d", "app", "--pg-bindir", empty.path().to_str().unwrap()])
        .env("PGHOST", "/nonexistent")
        .run();
    run.code_is(2)
        .stderr_contains("pg_dump not found")
        .stderr_contains("--pg-bindir/PRA_PG_BINDIR");
    // An unreachable server is a runtime failure.
    let run = tool(env!("CARGO_BIN_EXE_pra-loadtest"))
        .args(["-d", "app"])
        .env("PGHOST", "/nonexistent")
        .env("PGCONNECT_TIMEOUT", "2")
        .run();
    run.code_is(3);
}

#[test]
fn a_custom_workload_drills_pagila() {
    if datasets_dir().is_none() {
        return;
    }
    let _serial = serial();
    let c = PgCluster::start();
    let db = load_dataset(&c, Dataset::Pagila);
    let rentals_before = c.psql(&db, "SELECT count(*) FROM rental");
    let dir = tempfile::tempdir().unwrap();
    let wl = dir.path().join("pagila-rent.sql");
    std::fs::write(
        &wl,
        "BEGIN;\n\
         -- a customer looks at their rentals, then a film's stock is touched\n\
         SELECT count(*) FROM rental WHERE customer_id = 1 + (random() * 598)::int;\n\
         UPDATE inventory SET last_update = now() WHERE inventory_id = 1 + (random() * 4580)::int;\n\
         COMMIT;\n",
    )
    .unwrap();
    let run = drill(
        &c,
        &[
            "-d",
            &db,
            "--workload",
            wl.to_str().unwrap(),
            "--duration",
            "6s",
            "--clients",
            "2",
            "--max-slowdown",
            "50",
        ],
    );
    run.success();
    let f = fields(&run);
    assert_eq!(f.workload, "pagila-rent.sql");
    assert_eq!(f.scale, None);
    assert!(f.baseline.tps > 0.0 && f.after_backup.transactions > 0);
    assert!(
        f.validation_problems.is_empty(),
        "{:?}",
        f.validation_problems
    );
    assert!(
        f.tables_validated > 15,
        "Pagila's tables are validated: {}",
        f.tables_validated
    );
    let missed = f.rpo_transactions.unwrap();
    run.check(
        missed >= f.after_backup.transactions,
        "RPO counts the custom transactions too",
    );
    assert!(!schema_exists(&c, &db));
    assert!(drill_databases(&c).is_empty());
    assert_eq!(
        c.psql(&db, "SELECT count(*) FROM rental"),
        rentals_before,
        "the user's data is intact"
    );
}
