//! Database-level state and run ids in the manifest (issue 18, items 4 and 7): the
//! owner, comment, privileges and settings pg_dump leaves out are recorded, and every
//! backup of one `--all-databases` run carries the same run id.

use crate::common::*;
use pra_core::dbstate::{read_database_state, DatabaseSetting};
use pra_testkit::PgCluster;

#[test]
fn the_manifest_records_database_state_and_the_run() {
    let c = PgCluster::start();
    c.psql(
        "postgres",
        "CREATE ROLE pra_app_owner; CREATE ROLE pra_app_reader",
    );
    c.psql("postgres", "CREATE DATABASE app OWNER pra_app_owner");
    c.psql(
        "postgres",
        "ALTER DATABASE app SET work_mem = '7MB'; \
         ALTER DATABASE app SET search_path = \"$user\", app, public; \
         ALTER ROLE pra_app_reader IN DATABASE app SET statement_timeout = '5s'; \
         COMMENT ON DATABASE app IS 'the app''s database'; \
         GRANT CONNECT ON DATABASE app TO pra_app_reader",
    );
    let dir = tempfile::tempdir().unwrap();
    backup(&c, dir.path())
        .arg("--all-databases")
        .run()
        .success();
    let app = only_manifest(dir.path(), "app");
    let state = app.database_state.clone().expect("database_state recorded");
    assert_eq!(state.owner, "pra_app_owner");
    assert_eq!(state.comment.as_deref(), Some("the app's database"));
    assert!(state.settings.contains(&DatabaseSetting {
        role: Some("pra_app_reader".into()),
        name: "statement_timeout".into(),
        value: "5s".into(),
    }));
    assert!(
        state.privileges.as_ref().is_some_and(|p| p
            .iter()
            .any(|g| g.grantee.as_deref() == Some("pra_app_reader"))),
        "{state:?}"
    );
    let live = read_database_state(&mut c.connect("postgres"), "app").unwrap();
    assert_eq!(Some(state), live);

    let postgres = only_manifest(dir.path(), "postgres");
    assert!(app.run_id.is_some());
    assert_eq!(app.run_id, postgres.run_id, "one run id for the whole run");
    // A single-database backup belongs to no run.
    let single = tempfile::tempdir().unwrap();
    backup(&c, single.path())
        .args(["-d", "app"])
        .run()
        .success();
    assert_eq!(only_manifest(single.path(), "app").run_id, None);
}
