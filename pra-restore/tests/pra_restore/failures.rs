//! pra-restore against one real cluster: the normal run and every failure the
//! issue lists (target exists, --clean, failing --check-url, corrupt backup,
//! unreachable server, a restore killed midway), in one test so that one cluster
//! serves every step.

use crate::common;

use crate::common::PRA_RESTORE;
use pra_core::codec::Codec;
use pra_core::event::kinds::RestoreFields;
use pra_core::event::{Event, Kind, Status};
use pra_testkit::{database_digest, free_port, tool, HttpServer, PgCluster, ToolRun};
use std::path::Path;

pub(crate) fn restore(
    c: &PgCluster,
    repo: &Path,
    stanza: &str,
    target: &str,
    extra: &[&str],
) -> ToolRun {
    tool(PRA_RESTORE)
        .args([
            "--repo",
            repo.to_str().unwrap(),
            "--stanza",
            stanza,
            "--target-db",
            target,
        ])
        .args(extra)
        .envs(c.env())
        .run()
}

fn fields(run: &ToolRun) -> RestoreFields {
    run.one(Kind::Restore).fields_as().unwrap()
}

fn temp_dbs(c: &PgCluster) -> Vec<String> {
    c.databases()
        .into_iter()
        .filter(|d| d.contains("__pra_restore_"))
        .collect()
}

#[test]
fn a_selector_restore_cannot_honour_is_a_usage_error_naming_the_flag() {
    let repo = tempfile::tempdir().unwrap();
    let base = ["--repo", repo.path().to_str().unwrap(), "--target-db", "x"];
    // `all` is a valid selector (pra-verify takes it), but a restore is of one backup.
    let all = tool(PRA_RESTORE).args(base).args(["--backup", "all"]).run();
    all.code_is(2).stderr_contains("--backup all");
    // A word that is no selector at all: clap says which forms exist.
    let typo = tool(PRA_RESTORE)
        .args(base)
        .args(["--backup", "newest"])
        .run();
    typo.code_is(2).stderr_contains("latest-verified");
}

#[test]
fn restore_validates_renames_and_fails_safely() {
    let c = PgCluster::start();
    common::load_owned_sample(&c, "app", 1);
    let repo_dir = tempfile::tempdir().unwrap();
    let repo = repo_dir.path();
    let m = common::backup(&c, repo, "app", "app", Codec::Zstd);
    let source = database_digest(&c, "app");
    let report = repo_dir.path().join("restore.md");

    // 0. latest-verified needs a passed verification: none yet, a usage error naming pra-verify.
    let run = restore(
        &c,
        repo,
        "app",
        "restored",
        &["--backup", "latest-verified"],
    );
    run.code_is(2).stderr_contains("pra-verify");
    let r = pra_core::repo::Repository::open(repo.to_str().unwrap()).unwrap();
    r.write_verify(
        "app",
        &pra_core::manifest::VerifyRecord {
            format: pra_core::manifest::VERIFY_FORMAT,
            backup_id: m.id.clone(),
            level: pra_core::manifest::VerifyLevel::Checksum,
            status: Status::Ok,
            verified_at: pra_core::time::now(),
            duration_s: 0.1,
            problems: vec![],
            tool_version: pra_core::VERSION.to_string(),
            extra: Default::default(),
        },
    )
    .unwrap();

    // 1. The normal run: upstream events forwarded first, one ok event, same content.
    let upstream = Event::new("pra-backup", Kind::Backup, Status::Ok, "upstream");
    let run = tool(PRA_RESTORE)
        .args([
            "--repo",
            repo.to_str().unwrap(),
            "--target-db",
            "restored",
            "--backup",
            "latest-verified",
        ])
        .args([
            "--critical-table",
            "rental.payments",
            "--critical-table",
            "leases",
            "--rto",
            "1h",
        ])
        .arg("--report")
        .arg(&report)
        .envs(c.env())
        .stdin_events(std::slice::from_ref(&upstream))
        .run();
    run.success();
    run.check(
        run.events[0] == upstream,
        "the upstream event comes first, unchanged",
    );
    let ev = run.one(Kind::Restore);
    assert_eq!(ev.status, Status::Ok, "{}", run.dump());
    assert_eq!(ev.stanza.as_deref(), Some("app"));
    let f = fields(&run);
    assert_eq!(f.backup_id.as_deref(), Some(m.id.as_str()));
    assert_eq!(f.target, "restored");
    assert!(f.temp_database.is_none());
    assert_eq!(f.rows, m.tables.iter().filter_map(|t| t.rows).sum::<u64>());
    assert_eq!(
        common::check_statuses(&f),
        [
            ("row_counts", Status::Ok),
            ("critical_table", Status::Ok),
            ("critical_table", Status::Ok),
            ("analyze", Status::Ok)
        ],
        "{}",
        run.dump()
    );
    assert!(f.rto_s >= f.restore_s && f.restore_s > 0.0, "{f:?}");
    assert_eq!(f.rto_target_s, Some(3600.0));
    assert_eq!(
        database_digest(&c, "restored").diff(&source),
        Vec::<String>::new()
    );
    let md = std::fs::read_to_string(&report).unwrap();
    assert!(
        md.contains("# Restore report: restored")
            && md.contains("| critical_table | rental.payments | ok |"),
        "{md}"
    );
    assert!(temp_dbs(&c).is_empty(), "{:?}", c.databases());

    // 2. The target exists: refused, exit 2, the message says how to replace it.
    let before = c.databases();
    let run = restore(&c, repo, "app", "restored", &[]);
    run.code_is(2).stderr_contains("--clean --yes");
    assert_eq!(run.one(Kind::Restore).status, Status::Error);
    assert_eq!(c.databases(), before);
    // --clean alone is a usage error (it needs --yes).
    restore(&c, repo, "app", "restored", &["--clean"]).code_is(2);

    // 3. --clean --yes --keep-old replaces it and keeps the old one; without --keep-old it is dropped.
    c.psql("restored", "CREATE TABLE marker_of_old (x int)");
    let run = restore(
        &c,
        repo,
        "app",
        "restored",
        &["--clean", "--yes", "--keep-old", "--jobs", "2"],
    );
    run.success();
    let old = fields(&run).old_database.expect("old database named");
    assert!(c.db_exists(&old));
    assert_eq!(
        c.psql(
            &old,
            "SELECT count(*) FROM pg_class WHERE relname = 'marker_of_old'"
        ),
        "1"
    );
    assert_eq!(
        c.psql(
            "restored",
            "SELECT count(*) FROM pg_class WHERE relname = 'marker_of_old'"
        ),
        "0"
    );
    assert_eq!(
        database_digest(&c, "restored").diff(&source),
        Vec::<String>::new()
    );
    let run = restore(&c, repo, "app", "restored", &["--clean", "--yes"]);
    run.success();
    assert!(fields(&run).old_database.is_none());
    assert_eq!(
        c.databases().len(),
        before.len() + 1,
        "only the kept old one was added: {:?}",
        c.databases()
    );

    // 4. A failing --check-url: error, exit 1, data kept under its temporary name.
    // (--check-timeout: the former name of --http-timeout still works.)
    let app = HttpServer::always(500);
    let url = app.url("/health?db={db}");
    let run = restore(
        &c,
        repo,
        "app",
        "checked",
        &[
            "--check-url",
            &url,
            "--check-timeout",
            "5s",
            "--report",
            report.to_str().unwrap(),
        ],
    );
    run.code_is(1);
    let ev = run.one(Kind::Restore);
    assert_eq!(ev.status, Status::Error);
    let f = fields(&run);
    let temp = f
        .temp_database
        .clone()
        .expect("temporary database named in the event");
    assert!(ev.message.contains(&temp), "{}", ev.message);
    assert!(c.db_exists(&temp) && !c.db_exists("checked"));
    let failed: Vec<&str> = f
        .validation
        .iter()
        .filter(|c| c.status == Status::Error)
        .map(|c| c.detail.as_str())
        .collect();
    assert!(
        failed.len() == 1 && failed[0].starts_with("HTTP 500"),
        "{failed:?}"
    );
    let asked = app.requests();
    assert!(
        asked.len() == 1 && asked[0].path == format!("/health?db={temp}"),
        "the URL named the restored database: {asked:?}"
    );
    assert!(std::fs::read_to_string(&report).unwrap().contains(&temp));
    // The next run for that target leaves it in place (kept on purpose) and reports it.
    let run = restore(&c, repo, "app", "checked", &[]);
    run.success();
    let f = fields(&run);
    assert!(
        f.leftover_temp_databases
            .iter()
            .any(|l| l.starts_with(&temp)),
        "{f:?}"
    );
    assert!(c.db_exists(&temp) && c.db_exists("checked"));
    c.psql("postgres", &format!("DROP DATABASE \"{temp}\""));

    // 5. A corrupt backup: refused before the server is touched (nothing created).
    let bad = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", repo.display()))
        .arg(bad.path())
        .status()
        .unwrap();
    assert!(status.success());
    let dump = bad
        .path()
        .join(format!("app/backup/{}/{}", m.id, m.files[0].name));
    let mut bytes = std::fs::read(&dump).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    std::fs::write(&dump, &bytes).unwrap();
    let before = c.databases();
    // One job streams: the stored checksum refuses it before pg_restore starts.
    let run = restore(&c, bad.path(), "app", "corrupt", &["--jobs", "1"]);
    run.code_is(1);
    let f = fields(&run);
    assert!(
        f.error.as_deref().unwrap_or("").contains(&m.files[0].name),
        "{f:?}"
    );
    assert_eq!(c.databases(), before, "nothing created on the server");
    // With two jobs the dump is decoded to a temporary file first: same refusal, file
    // removed; `problem` is in the error.
    let scratch = tempfile::tempdir().unwrap();
    let refused_with_two_jobs = |problem: &str| {
        let temp_dir = scratch.path().to_str().unwrap();
        let run = restore(
            &c,
            bad.path(),
            "app",
            "corrupt",
            &["--jobs", "2", "--temp-dir", temp_dir],
        );
        run.code_is(1);
        let error = fields(&run).error.unwrap_or_default();
        assert!(
            error.contains(&m.files[0].name) && error.contains(problem),
            "{error}"
        );
        assert_eq!(c.databases(), before, "nothing created on the server");
        assert_eq!(std::fs::read_dir(scratch.path()).unwrap().count(), 0);
    };
    refused_with_two_jobs("");
    // The stored bytes intact, the manifest's raw sha256 edited: a single-stream file
    // has no frame checksums to prove its decode, its raw sha256 is compared
    // (docs/VERIFY.md), after decoding to the temporary file, before pg_restore.
    bytes[mid] ^= 0x55;
    std::fs::write(&dump, &bytes).unwrap();
    let mpath = dump.with_file_name("manifest.json");
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&mpath).unwrap()).unwrap();
    v["files"][0]["raw_sha256"] = serde_json::Value::String("0".repeat(64));
    std::fs::write(&mpath, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    refused_with_two_jobs("decoded sha256");

    // 6. An unreachable server: exit 3.
    let closed_port = free_port();
    let run = tool(PRA_RESTORE)
        .args(["--repo", repo.to_str().unwrap(), "--target-db", "nowhere"])
        .arg("-d")
        .arg(format!("host=127.0.0.1 port={closed_port} user=postgres"))
        .env("PGCONNECT_TIMEOUT", "3")
        .run();
    run.code_is(3);
    assert_eq!(run.one(Kind::Restore).status, Status::Error);

    // 7. Killed midway (SIGKILL during pg_restore): no target; the next run drops the temporary database.
    c.create_db("big");
    c.psql("big", "CREATE TABLE big AS SELECT g AS id, md5(g::text) AS a, md5((g+1)::text) AS b FROM generate_series(1, 1000000) g; ALTER TABLE big ADD PRIMARY KEY (id)");
    common::backup(&c, repo, "big", "big", Codec::Zstd);
    let mut child = tool(PRA_RESTORE)
        .args([
            "--repo",
            repo.to_str().unwrap(),
            "--stanza",
            "big",
            "--target-db",
            "bigr",
        ])
        .envs(c.env())
        .command()
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    common::wait_for_copy(&c, "bigr", &mut child);
    let temp = temp_dbs(&c)
        .into_iter()
        .find(|d| d.starts_with("bigr"))
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        !c.db_exists("bigr"),
        "a killed restore leaves no target database"
    );
    let run = restore(&c, repo, "big", "bigr", &[]);
    run.success();
    let f = fields(&run);
    assert_eq!(
        f.cleaned_temp_databases,
        std::slice::from_ref(&temp),
        "{}",
        run.dump()
    );
    assert!(!c.db_exists(&temp));
    assert_eq!(c.psql("bigr", "SELECT count(*) FROM big"), "1000000");
}
