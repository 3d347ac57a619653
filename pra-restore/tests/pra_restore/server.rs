//! Whole-server restore (issue 18, item 7) with `--all-stanzas`, the database-level
//! state on the way (item 4), and the empty `postgres` database as a valid backup
//! (item 2), from a source cluster onto a FRESH one.

use crate::common;
use crate::common::PRA_RESTORE;
use pra_core::codec::Codec;
use pra_core::event::kinds::RestoreFields;
use pra_core::event::{Kind, Status};
use pra_core::repo::Repository;
use pra_testkit::{database_digest, database_settings, tool, PgCluster, ToolRun};
use std::path::Path;

const RUN: &str = "20261101T000000Z";

fn restore(c: &PgCluster, repo: &Path, extra: &[&str]) -> ToolRun {
    tool(PRA_RESTORE)
        .args(["--repo", repo.to_str().unwrap()])
        .args(extra)
        .envs(c.env())
        .run()
}

/// The restore events by stanza: (stanza, status, fields).
fn events(run: &ToolRun) -> Vec<(String, Status, RestoreFields)> {
    let mut v: Vec<_> = run
        .events
        .iter()
        .filter(|e| e.kind == Kind::Restore)
        .map(|e| {
            (
                e.stanza.clone().unwrap_or_default(),
                e.status,
                e.fields_as::<RestoreFields>().unwrap(),
            )
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[test]
fn all_stanzas_restores_a_whole_run_with_globals_and_database_state() {
    let source = PgCluster::start();
    let fresh = PgCluster::start();
    common::load_owned_sample(&source, "app", 1);
    source.psql(
        "postgres",
        "CREATE ROLE pra_crm_owner; CREATE ROLE pra_login_only LOGIN",
    );
    source.psql("postgres", "CREATE DATABASE crm OWNER pra_crm_owner");
    source.psql(
        "crm",
        "ALTER DATABASE crm SET work_mem = '3MB'; \
         ALTER DATABASE crm SET search_path = \"$user\", crm, public; \
         COMMENT ON DATABASE crm IS 'customers'; \
         CREATE TABLE contacts (id int PRIMARY KEY); \
         INSERT INTO contacts SELECT generate_series(1, 25)",
    );
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::open(dir.path().to_str().unwrap()).unwrap();
    let mut run_ids = Vec::new();
    for db in ["app", "crm", "postgres"] {
        let mut m = common::backup(&source, dir.path(), db, db, Codec::Zstd);
        m.run_id = Some(RUN.to_string());
        repo.write_manifest(&m).unwrap();
        run_ids.push(m.id);
    }
    let app_then = database_digest(&source, "app");
    let crm_state = database_settings(&source, "crm");
    assert_eq!(crm_state["owner"], "pra_crm_owner");
    // A newer backup of app, outside the run: `--backup RUN` must not take it.
    source.psql("app", "CREATE TABLE after_the_run (x int)");
    let newer_app = common::backup(&source, dir.path(), "app", "app", Codec::Zstd);

    let report = dir.path().join("restore.md");
    let run = restore(
        &fresh,
        dir.path(),
        &[
            "--all-stanzas",
            "--backup",
            RUN,
            "--report",
            report.to_str().unwrap(),
        ],
    );
    run.success();
    for db in ["app", "crm"] {
        let r = std::fs::read_to_string(dir.path().join(format!("restore-{db}.md"))).unwrap();
        assert!(r.contains(&format!("# Restore report: {db}")), "{r}");
    }
    let ev = events(&run);
    let summary: Vec<(&str, Status)> = ev.iter().map(|(s, st, _)| (s.as_str(), *st)).collect();
    assert_eq!(
        summary,
        [
            ("app", Status::Ok),
            ("crm", Status::Ok),
            // The maintenance database exists on every server: said, not replaced.
            ("postgres", Status::Warn)
        ],
        "{}",
        run.dump()
    );
    assert_eq!(ev[0].2.backup_id.as_deref(), Some(run_ids[0].as_str()));
    assert_eq!(
        database_digest(&fresh, "app").diff(&app_then),
        Vec::<String>::new()
    );
    // Globals first: a login role that owns nothing exists too.
    assert_eq!(
        fresh
            .psql(
                "postgres",
                "SELECT count(*) FROM pg_roles WHERE rolname = 'pra_login_only'"
            )
            .trim(),
        "1"
    );
    assert_eq!(
        database_settings(&fresh, "crm"),
        crm_state,
        "{}",
        run.dump()
    );
    assert!(ev[1]
        .2
        .db_settings_applied
        .contains(&"setting work_mem".to_string()));

    // The empty postgres database restores as a valid backup: zero tables compared, ok.
    let empty = restore(
        &fresh,
        dir.path(),
        &[
            "--stanza",
            "postgres",
            "--backup",
            &run_ids[2],
            "--target-db",
            "restored_empty",
        ],
    );
    empty.success();
    let e = empty.one(Kind::Restore);
    assert_eq!(e.status, Status::Ok, "{}", empty.dump());
    assert!(!e.message.contains("count-rows"), "{}", e.message);
    let f: RestoreFields = e.fields_as().unwrap();
    assert!(
        f.validation
            .iter()
            .any(|c| c.check == "row_counts" && c.status == Status::Ok),
        "{:?}",
        f.validation
    );

    // --no-db-settings: the data, not the database-level state.
    let plain = restore(
        &fresh,
        dir.path(),
        &[
            "--stanza",
            "crm",
            "--target-db",
            "crm_plain",
            "--no-db-settings",
        ],
    );
    plain.success();
    let f: RestoreFields = plain.one(Kind::Restore).fields_as().unwrap();
    assert!(f.db_settings_applied.is_empty());
    assert_eq!(f.db_settings_skipped, ["all (--no-db-settings)"]);
    assert!(!database_settings(&fresh, "crm_plain").contains_key("setting:*"));

    // `latest` per stanza, replacing what exists with --clean --yes.
    let latest = restore(&fresh, dir.path(), &["--all-stanzas", "--clean", "--yes"]);
    latest.success();
    let ev = events(&latest);
    assert_eq!(ev[0].2.backup_id.as_deref(), Some(newer_app.id.as_str()));
    assert_eq!(ev[0].1, Status::Ok, "{}", latest.dump());
}
