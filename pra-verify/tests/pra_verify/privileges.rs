//! Least privilege: the roles of docs/CONNECTING.md, created by the SQL block of that
//! file as written (so the documentation cannot drift from what works), back up,
//! verify and restore without a superuser; a role that lacks a privilege is told
//! which one to grant.

use crate::common::{backup_bin, sibling_bin, verify, verify_fields};
use pra_core::event::{Kind, Status};
use pra_testkit::{load_sample, tool, PgCluster, Tool, ToolRun};
use std::path::Path;

/// The ```sql block under the `least-privilege-sql` marker of docs/CONNECTING.md.
fn documented_sql() -> String {
    let doc = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/CONNECTING.md");
    let text = std::fs::read_to_string(&doc).unwrap();
    let (_, after) = text
        .split_once("<!-- least-privilege-sql")
        .expect("docs/CONNECTING.md has the least-privilege-sql marker");
    let (_, block) = after
        .split_once("```sql\n")
        .expect("a ```sql block after it");
    let (sql, _) = block.split_once("```").expect("the block is closed");
    sql.to_string()
}

/// The sample database, with a table under row-level security (which the backup
/// role must see whole), and the documented roles.
fn cluster_with_documented_roles() -> PgCluster {
    let c = PgCluster::start();
    load_sample(&c, "app", 1);
    c.psql(
        "app",
        "SET ROLE pra_sample_owner; \
         CREATE TABLE rental.notes (id int, author text); \
         INSERT INTO rental.notes VALUES (1, 'alice'), (2, 'bob'); \
         ALTER TABLE rental.notes ENABLE ROW LEVEL SECURITY; \
         CREATE POLICY own_notes ON rental.notes USING (author = current_user);",
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("least-privilege.sql");
    std::fs::write(&file, documented_sql()).unwrap();
    c.psql_file(
        "postgres",
        &file,
        &[("db", "app"), ("owner", "pra_sample_owner")],
    );
    c
}

/// A tool connecting to the cluster as `user`.
fn as_role(c: &PgCluster, program: &Path, user: &str) -> Tool {
    tool(program.to_str().unwrap())
        .envs(c.env())
        .env("PGUSER", user)
        .env("PRA_PG_BINDIR", c.bindir())
}

/// pra-backup of `app` as `user` into `repo` (created if need be).
fn backup_as(c: &PgCluster, repo: &Path, user: &str) -> ToolRun {
    as_role(c, &backup_bin(), user)
        .arg("--init")
        .arg("--repo")
        .arg(repo)
        .args(["-d", "app"])
        .run()
}

#[test]
fn documented_roles_back_up_verify_and_restore_without_superuser() {
    let c = cluster_with_documented_roles();
    let superusers = c.psql(
        "postgres",
        "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'pra\\_%' AND rolsuper",
    );
    assert_eq!(superusers, "0", "the documented roles are not superusers");
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");

    let taken = backup_as(&c, &repo, "pra_backup");
    taken.success();
    let backup = taken.one(Kind::Backup);
    taken.check(
        backup.status != Status::Error,
        "pra_backup takes the backup",
    );

    let verified = verify(&c, &repo)
        .env("PGUSER", "pra_verify")
        .args(["--level", "restore"])
        .stdin(taken.stdout.clone())
        .run();
    verified.success();
    let (ev, f) = verify_fields(&verified);
    verified.check(
        ev.status == Status::Ok && f.rows_checked == 10402,
        "pra_verify restores every row, those under row-level security included",
    );

    let restore = sibling_bin("pra-restore");
    for (target, extra) in [("app_owned", None), ("app_flat", Some("--no-owner"))] {
        let run = as_role(&c, &restore, "pra_restore")
            .arg("--repo")
            .arg(&repo)
            .args(["--stanza", "app", "--target-db", target])
            .args(extra)
            .run();
        run.success();
        assert_eq!(c.psql(target, "SELECT count(*) FROM rental.notes"), "2");
        let owner = c.psql(
            target,
            "SELECT tableowner FROM pg_tables WHERE tablename = 'leases'",
        );
        let expected = if extra.is_some() {
            "pra_restore"
        } else {
            "pra_sample_owner"
        };
        assert_eq!(owner, expected, "owner of rental.leases in {target}");
    }
}

#[test]
fn a_role_without_a_privilege_is_told_which_to_grant() {
    let c = cluster_with_documented_roles();
    c.psql(
        "postgres",
        "CREATE ROLE pra_reader LOGIN; GRANT pg_read_all_data TO pra_reader; \
         CREATE ROLE pra_plain LOGIN;",
    );
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let backup = |user: &str| {
        let run = backup_as(&c, &repo, user);
        run.code_is(3);
        run.one(Kind::Backup).message.clone()
    };
    let plain = backup("pra_plain");
    assert!(
        plain.contains("permission denied for")
            && plain.contains("(hint: GRANT pg_read_all_data TO pra_plain"),
        "{plain}"
    );
    let reader = backup("pra_reader");
    assert!(
        reader.contains("row-level security") && reader.contains("ALTER ROLE pra_reader BYPASSRLS"),
        "{reader}"
    );

    let taken = backup_as(&c, &repo, "pra_backup");
    taken.success();
    let verified = verify(&c, &repo)
        .env("PGUSER", "pra_plain")
        .args(["--level", "restore"])
        .stdin(taken.stdout.clone())
        .run();
    verified.code_is(3);
    let (ev, _) = verify_fields(&verified);
    verified.check(
        ev.error_class.as_deref() == Some("connection")
            && ev.message.contains("(hint: ALTER ROLE pra_plain CREATEDB"),
        "a verifier without CREATEDB gives no verdict and names CREATEDB",
    );

    let restored = as_role(&c, &sibling_bin("pra-restore"), "pra_verify")
        .arg("--repo")
        .arg(&repo)
        .args(["--stanza", "app", "--target-db", "app_copy"])
        .run();
    restored.code_is(3);
    let message = &restored.one(Kind::Restore).message;
    assert!(
        message.contains("(hint: GRANT pra_sample_owner TO pra_verify to restore objects owned by it, or restore with --no-owner)"),
        "{message}"
    );
}
