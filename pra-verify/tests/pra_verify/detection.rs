//! Detection: every kind of damage to a backup is found, named by file, exit 1;
//! intact backups pass at every level.

use crate::common::*;
use pra_core::event::{Kind, Status};
use pra_core::manifest::{FileRole, Manifest};
use pra_core::repo::{LockMode, Repository};
use pra_testkit::{load_sample, PgCluster, ToolRun};
use std::path::Path;

fn assert_detected(run: &ToolRun, file: &str, what: &str) {
    run.code_is(1);
    let (ev, f) = verify_fields(run);
    let problem = f.problem.clone().unwrap_or_default();
    run.check(
        ev.status == Status::Error && problem.contains(file),
        &format!("{what}: an error verify event naming {file}, got problem {problem:?}"),
    );
}

fn checksum(c: &PgCluster, repo: &Path, m: &Manifest) -> ToolRun {
    verify(c, repo)
        .args([
            "--stanza", &m.stanza, "--backup", &m.id, "--level", "checksum",
        ])
        .run()
}

#[test]
fn every_damage_is_detected_and_intact_backups_pass() {
    let c = PgCluster::start();
    load_sample(&c, "app", 1);
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let taken = take_backup(&c, &repo, "app");
    let m = latest(&repo, "app");
    assert!(m.file(FileRole::Dump).is_some() && m.file(FileRole::Globals).is_some());

    // Intact: every level passes, from the flags and from pra-backup's events on stdin.
    for level in ["manifest", "checksum", "restore"] {
        let run = verify(&c, &repo)
            .args(["--stanza", "app", "--level", level, "-d", "postgres"])
            .run();
        run.success();
        let (ev, f) = verify_fields(&run);
        run.check(
            ev.status == Status::Ok && f.id.as_deref() == Some(m.id.as_str()),
            "intact backup passes",
        );
        run.check(
            f.files_checked == m.files.len() as u64,
            "every file checked",
        );
        if level != "manifest" {
            run.check(
                f.raw_bytes == m.raw_bytes() && f.stored_bytes == m.stored_bytes(),
                "all bytes read",
            );
        }
        let rec = Repository::open(repo.to_str().unwrap())
            .unwrap()
            .read_verify("app", &m.id)
            .unwrap()
            .expect("verify.json written");
        let newest = rec.newest().unwrap();
        assert_eq!(newest.status, Status::Ok);
        assert_eq!(newest.level_name(), level);
    }
    let piped = verify(&c, &repo).stdin(taken.stdout.clone()).run();
    piped.success();
    piped.check(
        piped.events.len() == 2 && piped.events[0].kind == Kind::Backup,
        "the backup event is forwarded first, then one verify event",
    );
    assert_eq!(verify_fields(&piped).1.id.as_deref(), Some(m.id.as_str()));

    let bdir = backup_dir(&repo, &m);
    let mut rng = Rng::new();
    let mut trials = 0;
    let mut detected = 0;
    for file in &m.files {
        let path = bdir.join(&file.name);
        let good = std::fs::read(&path).unwrap();
        // One byte flipped at random offsets (the start, the end, and in between).
        let n = 12;
        for t in 0..n {
            let offset = match t {
                0 => 0,
                1 => good.len() - 1,
                _ => rng.below(good.len() as u64) as usize,
            };
            let mut bad = good.clone();
            bad[offset] ^= 1 << rng.below(8);
            std::fs::write(&path, &bad).unwrap();
            let run = checksum(&c, &repo, &m);
            trials += 1;
            assert_detected(
                &run,
                &file.name,
                &format!("byte {offset} of {} flipped", file.name),
            );
            detected += 1;
        }
        // Truncated: found by the manifest level already (size), and by checksum.
        std::fs::write(&path, &good[..good.len() / 2]).unwrap();
        assert_detected(&checksum(&c, &repo, &m), &file.name, "truncated");
        let run = verify(&c, &repo)
            .args(["--stanza", "app", "--level", "manifest"])
            .run();
        assert_detected(&run, &file.name, "truncated (manifest level)");
        // Missing.
        std::fs::remove_file(&path).unwrap();
        assert_detected(&checksum(&c, &repo, &m), &file.name, "missing");
        let run = verify(&c, &repo)
            .args(["--stanza", "app", "--level", "manifest"])
            .run();
        assert_detected(&run, &file.name, "missing (manifest level)");
        std::fs::write(&path, &good).unwrap();
        checksum(&c, &repo, &m).success();
    }
    assert!(
        trials >= 20 && detected == trials,
        "{detected}/{trials} flipped bytes detected"
    );
    eprintln!("flipped-byte trials: {detected}/{trials} detected");

    // Every file damaged at once: the small ones are checked beside the dump, and each
    // is still named, in the manifest's order.
    let originals: Vec<Vec<u8>> = m
        .files
        .iter()
        .map(|f| std::fs::read(bdir.join(&f.name)).unwrap())
        .collect();
    for (file, good) in m.files.iter().zip(&originals) {
        let mut bad = good.clone();
        bad[good.len() / 2] ^= 0x20;
        std::fs::write(bdir.join(&file.name), bad).unwrap();
    }
    let run = checksum(&c, &repo, &m);
    assert_detected(&run, &m.files[0].name, "every file damaged");
    let problems = verify_fields(&run).1.problems;
    run.check(
        problems.len() == m.files.len()
            && problems
                .iter()
                .zip(&m.files)
                .all(|(p, f)| p.starts_with(&f.name)),
        &format!("one problem per file, in the manifest's order: {problems:?}"),
    );
    for (file, good) in m.files.iter().zip(&originals) {
        std::fs::write(bdir.join(&file.name), good).unwrap();
    }

    // The manifest's hashes edited (stored, then raw): the file no longer matches it.
    let mpath = bdir.join("manifest.json");
    let original = std::fs::read(&mpath).unwrap();
    let edit = |i: usize, field: &str, value: String| {
        let mut v: serde_json::Value = serde_json::from_slice(&original).unwrap();
        v["files"][i][field] = serde_json::Value::String(value);
        std::fs::write(&mpath, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    };
    for field in ["stored_sha256", "raw_sha256"] {
        for (i, file) in m.files.iter().enumerate() {
            let h = if field == "raw_sha256" {
                &file.raw_sha256
            } else {
                &file.stored_sha256
            };
            edit(
                i,
                field,
                format!("{}{}", if h.starts_with('0') { "1" } else { "0" }, &h[1..]),
            );
            let what = format!("{field} of {} edited in the manifest", file.name);
            if field == "stored_sha256" {
                assert_detected(&checksum(&c, &repo, &m), &file.name, &what);
                continue;
            }
            // The raw sha256 of framed zstd files (pra-backup's, both of them) is not
            // taken, at the checksum level, at the restore level nor by the restore
            // it runs: stored bytes matching their sha256 decode deterministically to
            // what each frame's content checksum proves, so an edit of the manifest's
            // raw sha256 alone damages nothing that is restored (docs/VERIFY.md).
            // Single-stream files keep it: see below.
            checksum(&c, &repo, &m).success();
            verify(&c, &repo)
                .args(["--stanza", "app", "--backup", &m.id, "--level", "restore"])
                .args(["-d", "postgres"])
                .run()
                .success();
        }
    }
    // A byte of each file flipped, the manifest's stored sha256 rewritten to match:
    // only decoding (a frame's content checksum, or the frame's structure) can tell.
    for (i, file) in m.files.iter().enumerate() {
        let path = bdir.join(&file.name);
        let good = std::fs::read(&path).unwrap();
        let mut bad = good.clone();
        bad[good.len() / 2] ^= 0x01;
        std::fs::write(&path, &bad).unwrap();
        edit(
            i,
            "stored_sha256",
            pra_core::codec::digest_of(&bad[..]).unwrap().sha256,
        );
        let run = checksum(&c, &repo, &m);
        let what = format!("{} damaged behind a matching stored sha256", file.name);
        assert_detected(&run, &file.name, &what);
        let problem = verify_fields(&run).1.problem.unwrap_or_default();
        run.check(
            problem.contains("does not decode"),
            &format!("{what}: named by the decode, got {problem:?}"),
        );
        std::fs::write(&path, &good).unwrap();
    }
    std::fs::write(&mpath, &original).unwrap();
    let run = checksum(&c, &repo, &m);
    run.success();
    let rec = Repository::open(repo.to_str().unwrap())
        .unwrap()
        .read_verify("app", &m.id)
        .unwrap()
        .unwrap();
    assert_eq!(
        rec.get(pra_core::manifest::VerifyLevel::Checksum)
            .map(|v| v.status),
        Some(Status::Ok),
        "a newer checksum verdict replaces the older one"
    );
}

/// A single-stream zstd backup (`--threads 0`, as older backups are) has no frame
/// checksums to prove its decode: its raw sha256 is taken at every level (as in a
/// restore), and an edit of the manifest's is found.
#[test]
fn a_single_stream_backup_has_its_raw_sha256_checked() {
    let c = PgCluster::start();
    load_sample(&c, "app", 1);
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    take_backup_with(&c, &repo, "app", &["--threads", "0"]);
    let m = latest(&repo, "app");
    let i = m
        .files
        .iter()
        .position(|f| f.role == FileRole::Dump)
        .unwrap();
    let mpath = backup_dir(&repo, &m).join("manifest.json");
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&mpath).unwrap()).unwrap();
    v["files"][i]["raw_sha256"] = serde_json::Value::String("0".repeat(64));
    std::fs::write(&mpath, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    for level in ["checksum", "restore"] {
        let run = verify(&c, &repo)
            .args(["--stanza", "app", "--backup", &m.id, "--level", level])
            .args(["-d", "postgres"])
            .run();
        let what = format!("raw sha256 of a single-stream dump edited ({level} level)");
        assert_detected(&run, &m.files[i].name, &what);
        let problem = verify_fields(&run).1.problem.unwrap_or_default();
        run.check(
            problem.contains("decoded sha256"),
            &format!("{what}: the raw sha256 named, got {problem:?}"),
        );
    }
}

#[test]
fn selection_and_unreachable_repository() {
    let c = PgCluster::start();
    load_sample(&c, "app", 1);
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    take_backup(&c, &repo, "app");
    c.psql("app", "CREATE TABLE extra(x int)");
    take_backup(&c, &repo, "app");
    let all = verify(&c, &repo)
        .args(["--all-stanzas", "--backup", "all"])
        .run();
    all.success();
    all.check(
        all.events_of(Kind::Verify).len() == 2,
        "two backups, two events",
    );
    let first = Repository::open(repo.to_str().unwrap())
        .unwrap()
        .complete_backups("app")
        .unwrap()
        .remove(0);

    // A backup id that does not exist: a failed verification, exit 1.
    let missing = verify(&c, &repo)
        .args(["--stanza", "app", "--backup", "20200101T000000Z"])
        .run();
    missing.code_is(1);
    missing.check(
        verify_fields(&missing)
            .1
            .problem
            .unwrap_or_default()
            .contains("no manifest"),
        "says the manifest is missing",
    );
    // …and lists the backups that do exist (issue 18, item 9), and the stanzas for a typo.
    let problem = verify_fields(&missing).1.problem.unwrap_or_default();
    missing.check(
        problem.contains(&format!("its newest backups: {}", latest(&repo, "app").id)),
        "lists the newest backups",
    );
    let typo = verify(&c, &repo).args(["--stanza", "ap"]).run();
    let problem = verify_fields(&typo).1.problem.unwrap_or_default();
    typo.check(problem.contains("its stanzas: "), "lists the stanzas");

    // A corrupt manifest.json is named.
    let m = latest(&repo, "app");
    std::fs::write(backup_dir(&repo, &m).join("manifest.json"), b"{not json").unwrap();
    let run = verify(&c, &repo)
        .args(["--stanza", "app", "--backup", &m.id])
        .run();
    assert_detected(&run, "manifest.json", "corrupt manifest");

    // A backup being deleted (pra-rotate holds its exclusive lock): not verified, exit 3,
    // the holder named; verify holds a shared lock, which rotate cannot take meanwhile.
    let r = Repository::open(repo.to_str().unwrap()).unwrap();
    let lock = r
        .lock_backup("app", &first.id, "pra-rotate", LockMode::Exclusive)
        .unwrap();
    let locked = verify(&c, &repo)
        .args(["--stanza", "app", "--backup", &first.id])
        .run();
    locked.code_is(3);
    locked.check(
        verify_fields(&locked)
            .1
            .problem
            .unwrap_or_default()
            .contains("pra-rotate"),
        "the lock holder is named",
    );
    drop(lock);
    verify(&c, &repo)
        .args(["--stanza", "app", "--backup", &first.id])
        .run()
        .success();

    // pg_restore missing is our configuration, not the backup's fault: exit 2, no
    // verdict, and the message says which flag points at it.
    let no_pg_restore = verify(&c, &repo)
        .args(["--stanza", "app", "--backup", &first.id])
        .env("PRA_PG_BINDIR", "/nonexistent")
        .run();
    no_pg_restore
        .code_is(2)
        .stderr_contains("--pg-bindir/PRA_PG_BINDIR");

    // No repository there: exit 3.
    verify(&c, &dir.path().join("nowhere"))
        .args(["--stanza", "app"])
        .run()
        .code_is(3);
    // A server that cannot be reached at the restore level: an error event, exit 3,
    // and no verify.json (no verdict on the backup).
    let before = std::fs::read(backup_dir(&repo, &first).join("verify.json")).unwrap();
    let down = verify(&c, &repo)
        .args([
            "--stanza", "app", "--backup", &first.id, "--level", "restore",
        ])
        .args(["-d", "host=/nonexistent port=1 dbname=postgres"])
        .run();
    down.code_is(3);
    let (ev, f) = verify_fields(&down);
    down.check(
        ev.status == Status::Error && f.problem.unwrap_or_default().contains("connect"),
        "the unreachable server is reported in the event",
    );
    assert_eq!(
        std::fs::read(backup_dir(&repo, &first).join("verify.json")).unwrap(),
        before,
        "verify.json untouched"
    );
    // --check-sql without the restore level: usage error.
    verify(&c, &repo)
        .args(["--stanza", "app", "--check-sql", "/dev/null"])
        .run()
        .code_is(2);
}

#[test]
fn a_missing_repository_and_a_bad_flag_are_error_events_on_stdout() {
    // The next stage of a pipeline must hear about every failure (issue 22, item 9).
    let dir = tempfile::tempdir().unwrap();
    let run = pra_testkit::tool(env!("CARGO_BIN_EXE_pra-verify"))
        .arg("--repo")
        .arg(dir.path().join("not-mounted"))
        .args(["--stanza", "app"])
        .run();
    run.code_is(3).stderr_contains("no pra repository");
    let ev = run.one(Kind::Verify);
    run.check(
        ev.status == Status::Error
            && ev.class() == Some(pra_core::error_class::ErrorClass::Repository)
            && ev.message.contains("no pra repository"),
        "a missing repository is a verify error event, class repository",
    );

    let run = pra_testkit::tool(env!("CARGO_BIN_EXE_pra-verify"))
        .args(["--repo", "/nowhere", "--level", "bogus"])
        .run();
    run.code_is(2);
    let ev = run.one(Kind::Verify);
    run.check(
        ev.status == Status::Error
            && ev.class() == Some(pra_core::error_class::ErrorClass::Usage)
            && ev.message.contains("bogus"),
        "a bad flag is a verify usage event",
    );
    run.check(
        run.stderr.lines().count() == 1 && run.stderr.starts_with("pra-verify: error: "),
        "one line on stderr, prefixed with the tool's name",
    );
}
