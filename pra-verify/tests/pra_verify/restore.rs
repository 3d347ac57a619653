//! The restore level: every shared dataset restores and matches its manifest; an
//! edited row count or a false assertion fails naming what differs; the scratch
//! database never survives a run, even a killed one.

use crate::common::*;
use pra_core::event::Status;
use pra_testkit::{datasets_dir, load_dataset, load_sample, Dataset, PgCluster};
use std::os::unix::process::ExitStatusExt;
use std::time::{Duration, Instant};

#[test]
fn restore_level_passes_on_every_shared_dataset() {
    if datasets_dir().is_none() {
        return;
    }
    let c = PgCluster::start();
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    for ds in Dataset::ALL {
        let db = load_dataset(&c, ds);
        let taken = take_backup(&c, &repo, &db);
        let m = latest(&repo, &db);
        // pra-backup | pra-verify --level restore
        let run = verify(&c, &repo)
            .args(["--level", "restore", "-d", "postgres"])
            .stdin(taken.stdout.clone())
            .run();
        run.success();
        let (ev, f) = verify_fields(&run);
        run.check(
            ev.status == Status::Ok,
            &format!("{db} verifies at the restore level"),
        );
        run.check(
            f.tables_checked == m.tables.len() as u64 && f.tables_checked > 0,
            &format!("{db}: every table of the manifest counted"),
        );
        let rows: u64 = m.tables.iter().filter_map(|t| t.rows).sum();
        run.check(
            f.rows_checked == rows,
            &format!("{db}: {rows} rows counted"),
        );
        assert!(
            scratch_dbs(&c).is_empty(),
            "scratch database dropped after {db}"
        );
    }
}

#[test]
fn edited_counts_and_false_assertions_fail_and_leave_no_scratch_database() {
    let c = PgCluster::start();
    load_sample(&c, "app", 1);
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    take_backup(&c, &repo, "app");
    let m = latest(&repo, "app");
    let restore =
        || verify(&c, &repo).args(["--stanza", "app", "--level", "restore", "-d", "postgres"]);

    // Assertions: all true passes; one false fails, named.
    let checks = dir.path().join("checks.sql");
    std::fs::write(
        &checks,
        "-- the application's invariants\n\
         SELECT count(*) > 0 FROM rental.payments;\n\
         SELECT NOT EXISTS (SELECT 1 FROM rental.leases WHERE tenant_id IS NULL);\n",
    )
    .unwrap();
    let run = restore().arg("--check-sql").arg(&checks).run();
    run.success();
    run.check(
        verify_fields(&run).1.assertions_passed == 2,
        "both assertions ran",
    );
    // pg_restore -j: its sessions are gone before the scratch database is dropped.
    restore().args(["--jobs", "3"]).run().success();
    std::fs::write(
        &checks,
        "SELECT true;\nSELECT count(*) = 0 FROM rental.payments;\n",
    )
    .unwrap();
    let run = restore().arg("--check-sql").arg(&checks).run();
    run.code_is(1);
    let problem = verify_fields(&run).1.problem.unwrap_or_default();
    run.check(
        problem.contains("assertion 2") && problem.contains("rental.payments"),
        "the false assertion is named",
    );
    assert!(
        scratch_dbs(&c).is_empty(),
        "scratch database dropped after a failure"
    );

    // The manifest's count of one table edited: the restore level names the table.
    let mpath = backup_dir(&repo, &m).join("manifest.json");
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&mpath).unwrap()).unwrap();
    let tables = v["tables"].as_array_mut().unwrap();
    let t = tables
        .iter_mut()
        .find(|t| t["table"] == "payments")
        .expect("payments counted");
    let n = t["rows"].as_u64().unwrap();
    t["rows"] = serde_json::json!(n + 1);
    std::fs::write(&mpath, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    let run = restore().run();
    run.code_is(1);
    let (ev, f) = verify_fields(&run);
    let problem = f.problem.unwrap_or_default();
    run.check(
        ev.status == Status::Error
            && problem.contains("rental.payments")
            && problem.contains(&n.to_string()),
        "the edited table is named with its counts",
    );
    // The checksum level cannot see it (the files are intact): the restore level is needed.
    verify(&c, &repo).args(["--stanza", "app"]).run().success();
    assert!(
        scratch_dbs(&c).is_empty(),
        "scratch database dropped after a failure"
    );
    // Our sessions were closed before each drop: none had to be ended.
    let log = c.log();
    assert!(
        !log.contains("terminating connection") && !log.contains("Broken pipe"),
        "the server log shows sessions ended by a drop:\n{log}"
    );
}

fn wait_for_scratch(c: &PgCluster, child: &mut std::process::Child) -> String {
    let started = Instant::now();
    loop {
        if let Some(name) = scratch_dbs(c).into_iter().next() {
            return name;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("pra-verify ended ({status}) before its scratch database was seen");
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no scratch database appeared"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn scratch_databases_never_survive_killed_or_interrupted_runs() {
    let c = PgCluster::start();
    // Big enough that the test restore takes a few seconds.
    load_sample(&c, "app", 12);
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    take_backup(&c, &repo, "app");
    let spawn = || {
        let mut cmd = verify(&c, &repo)
            .args(["--stanza", "app", "--level", "restore", "-d", "postgres"])
            .command();
        cmd.stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        cmd.spawn().unwrap()
    };

    // SIGKILL: the run cannot clean up; the next run does, and reports it.
    let mut child = spawn();
    let name = wait_for_scratch(&c, &mut child);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(c.db_exists(&name), "a SIGKILLed run leaves {name} behind");
    let run = verify(&c, &repo)
        .args(["--stanza", "app", "--level", "restore", "-d", "postgres"])
        .run();
    run.success();
    let (ev, f) = verify_fields(&run);
    run.check(
        ev.status == Status::Warn && f.leftovers_dropped == vec![name.clone()],
        "the leftover is dropped and reported",
    );
    assert!(
        scratch_dbs(&c).is_empty(),
        "no scratch database after the next run"
    );

    // A live run's scratch database is not a leftover, even when that run's
    // maintenance connection is to another database (advisory locks are per database).
    let mut live = verify(&c, &repo)
        .args(["--stanza", "app", "--level", "restore", "-d", "app"])
        .command();
    live.stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut live = live.spawn().unwrap();
    wait_for_scratch(&c, &mut live);
    let other = verify(&c, &repo)
        .args(["--stanza", "app", "--level", "restore", "-d", "postgres"])
        .run();
    other.check(
        other.code == Some(0) || other.code == Some(3),
        "the second run verifies after the first or reports the backup busy",
    );
    other.check(
        verify_fields(&other).1.leftovers_dropped.is_empty(),
        "the live run's scratch database is not taken for a leftover",
    );
    assert_eq!(
        live.wait().unwrap().code(),
        Some(0),
        "the live run was not disturbed"
    );
    assert!(scratch_dbs(&c).is_empty());

    // SIGTERM: the run drops its scratch database itself, then dies by the signal.
    for sig in [libc::SIGTERM, libc::SIGINT] {
        let mut child = spawn();
        let name = wait_for_scratch(&c, &mut child);
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(child.id() as i32, sig) };
        let status = child.wait().unwrap();
        assert_eq!(
            (status.signal(), status.code()),
            (Some(sig), None),
            "a death by signal {sig}, after cleanup"
        );
        assert!(!c.db_exists(&name), "{name} dropped on signal {sig}");
    }
}
