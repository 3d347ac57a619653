//! Hostile manifests (issue 22, item 2): file names that point outside the backup
//! are refused when the manifest is read, before any path is built, and reading a
//! listed file is bounded by the size the manifest records.

use crate::common::*;
use pra_core::manifest::FileRole;
use pra_testkit::secrets::{assert_no_secret, password_cluster, password_places, DB_PASSWORD};
use pra_testkit::{load_sample, PgCluster};
use std::path::Path;
use std::time::Duration;

/// Rewrites the dump's entry of the manifest at `dir` with `edit`.
fn edit_dump_entry(dir: &Path, edit: impl Fn(&mut serde_json::Value)) {
    let path = dir.join("manifest.json");
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let files = v["files"].as_array_mut().unwrap();
    let dump = files.iter_mut().find(|f| f["role"] == "dump").unwrap();
    edit(dump);
    std::fs::write(&path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
}

#[test]
fn names_outside_the_backup_are_refused_and_reading_is_bounded() {
    let c = PgCluster::start();
    load_sample(&c, "app", 1);
    c.create_db("other");
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    take_backup(&c, &repo, "app");
    take_backup(&c, &repo, "other");
    let m = latest(&repo, "app");
    let other = latest(&repo, "other");
    let dir = backup_dir(&repo, &m);
    let original = std::fs::read(dir.join("manifest.json")).unwrap();
    let shadow_size = std::fs::metadata("/etc/shadow").map(|m| m.len()).ok();
    // Another stanza's intact dump, with its own sizes and digests: only the name is wrong.
    let theirs = other.file(FileRole::Dump).unwrap().clone();
    let escape = format!("../../../other/backup/{}/{}", other.id, theirs.name);

    for name in [escape.as_str(), "/dev/zero", "/etc/shadow", "..", "a\u{0}b"] {
        std::fs::write(dir.join("manifest.json"), &original).unwrap();
        edit_dump_entry(&dir, |f| {
            *f = serde_json::to_value(&theirs).unwrap();
            f["name"] = name.into();
        });
        let run = verify(&c, &repo)
            .args(["--stanza", "app", "--backup", &m.id, "--level", "checksum"])
            .timeout(Duration::from_secs(60))
            .run();
        run.check(run.code != Some(0), &format!("{name:?}: not a pass"));
        let all = format!("{}{}", String::from_utf8_lossy(&run.stdout), run.stderr);
        run.check(
            all.contains("not a plain name"),
            &format!("{name:?}: says why"),
        );
        if let Some(size) = shadow_size {
            run.check(
                !all.contains(&format!("{size} bytes")),
                "the size of a file outside the backup is not revealed",
            );
        }
        let verdicts = dir.join("verify.json");
        run.check(
            !verdicts.exists()
                || !std::fs::read_to_string(&verdicts)
                    .unwrap()
                    .contains("\"status\": \"ok\""),
            "no passing verdict written",
        );
    }

    // A plain name whose file is a link to an endless device, with a stored size of 0
    // in the manifest: read no further than one byte past it, then a clear mismatch.
    std::fs::write(dir.join("manifest.json"), &original).unwrap();
    let dump = m.file(FileRole::Dump).unwrap();
    std::fs::remove_file(dir.join(&dump.name)).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.join(&dump.name)).unwrap();
    edit_dump_entry(&dir, |f| f["stored_bytes"] = 0.into());
    let run = verify(&c, &repo)
        .args(["--stanza", "app", "--backup", &m.id, "--level", "checksum"])
        .timeout(Duration::from_secs(60))
        .run();
    run.code_is(1);
    let (_, f) = verify_fields(&run);
    let problem = f.problem.unwrap_or_default();
    run.check(
        problem.contains(&dump.name) && problem.contains("stored size is 1 bytes"),
        &format!("bounded read, named mismatch: {problem}"),
    );
}

#[test]
fn no_database_password_shows_at_the_most_verbose_level() {
    let c = password_cluster();
    c.create_db("app");
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    take_backup(&c, &repo, "app");
    for place in password_places(&c, "postgres", dir.path()) {
        let run = verify(&c, &repo)
            .args([
                "-vvv",
                "--stanza",
                "app",
                "--level",
                "restore",
                "-d",
                &place.dbname,
            ])
            .envs(place.env)
            .env("RUST_LOG", "trace")
            .run();
        run.success();
        assert_no_secret(&run, place.how, 5, &[DB_PASSWORD]);
    }
}

#[test]
fn a_long_checksum_read_ends_on_sigterm() {
    let c = PgCluster::start();
    c.create_db("app");
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    take_backup(&c, &repo, "app");
    let m = latest(&repo, "app");
    let dir = backup_dir(&repo, &m);
    // A sparse 64 GiB dump the manifest agrees with: minutes of reading and hashing.
    let dump = m.file(FileRole::Dump).unwrap();
    let size: u64 = 64 << 30;
    std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(dir.join(&dump.name))
        .unwrap()
        .set_len(size)
        .unwrap();
    edit_dump_entry(&dir, |f| {
        f["stored_bytes"] = size.into();
        // Stored as is: nothing to fail decoding early, only bytes to hash.
        f["codec"] = "none".into();
    });
    let running = verify(&c, &repo)
        .args(["--stanza", "app", "--level", "checksum"])
        .timeout(Duration::from_secs(120))
        .spawn();
    std::thread::sleep(Duration::from_secs(2));
    running.interrupt(
        libc::SIGTERM,
        pra_core::event::Kind::Verify,
        Duration::from_secs(10),
    );
}
