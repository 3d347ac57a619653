//! A physical backup of a cluster with a user tablespace: restored beside the running
//! source on the same host, the tablespace's recorded location (the source's, in use)
//! is refused, and `--tablespace-map OID=DIR` puts it elsewhere; the copy starts,
//! replays the rows written into the tablespace after the backup, and answers with
//! them, while the source's tablespace is untouched.

use pra_core::event::Kind;
use pra_testkit::archiving::{
    archiving_options, server_owned_repo, server_user_ids, workspace_bin, StopOnDrop,
};
use pra_testkit::recovered::chown_tree;
use pra_testkit::{tool_as, PgCluster};
use std::path::Path;

const STANZA: &str = "main";

fn server_dir(path: &Path) {
    std::fs::create_dir(path).unwrap();
    let (uid, gid) = server_user_ids();
    chown_tree(path, uid, gid);
}

#[test]
fn a_tablespace_is_restored_where_tablespace_map_says() {
    let tmp = tempfile::tempdir().unwrap();
    let repo_path = tmp.path().join("repo");
    server_owned_repo(&repo_path);
    let repo = repo_path.display().to_string();
    let space = tmp.path().join("space");
    server_dir(&space);
    let mut c = PgCluster::start_with(archiving_options(&repo, STANZA, &[]));
    c.psql(
        "postgres",
        &format!("CREATE TABLESPACE space LOCATION '{}'", space.display()),
    );
    c.psql(
        "postgres",
        "CREATE TABLE t (id int) TABLESPACE space; \
         CREATE INDEX t_id ON t (id) TABLESPACE space; \
         INSERT INTO t SELECT generate_series(1, 1000)",
    );
    let oid = c
        .psql(
            "postgres",
            "SELECT oid FROM pg_tablespace WHERE spcname = 'space'",
        )
        .trim()
        .to_string();
    tool_as("postgres", &workspace_bin("pra-backup"))
        .envs(c.env())
        .args(["--physical", "--stanza", STANZA, "--repo", &repo])
        .run()
        .success();
    c.psql(
        "postgres",
        "INSERT INTO t SELECT generate_series(1001, 1500)",
    );
    c.archive_current_segment();

    // What the closures need, so that the source can be stopped later.
    let (env, bindir, sockets) = (
        c.env(),
        c.bindir().to_path_buf(),
        c.socket_dir().to_path_buf(),
    );
    let pg = tmp.path().join("pg");
    server_dir(&pg);
    let restore = |name: &str, extra: &[&str]| {
        let port = pra_testkit::free_port();
        let data = pg.join(name);
        let run = tool_as("postgres", &workspace_bin("pra-restore"))
            .envs(env.clone())
            .env("PRA_PG_BINDIR", &bindir)
            .args(["--physical", "--stanza", STANZA, "--repo", &repo])
            .args([
                "--pra-wal",
                &workspace_bin("pra-wal"),
                "--archive-mode",
                "off",
            ])
            .args(["--start", "--port", &port.to_string()])
            .args(extra)
            .arg("--pgdata")
            .arg(&data)
            .run();
        (data, port, run)
    };

    // Its recorded location is the running source's tablespace: refused, untouched.
    let (_, _, run) = restore("same", &[]);
    run.code_is(2)
        .stderr_contains(&format!("--tablespace-map {oid}=DIR"));
    assert!(
        std::fs::read_dir(&space).unwrap().count() > 0,
        "the source's tablespace is untouched"
    );

    // Relocated: the copy's tablespace is the new directory, with every row.
    let moved = pg.join("space2");
    let map = format!("{oid}={}", moved.display());
    let (data, port, run) = restore("moved", &["--tablespace-map", &map]);
    let _stop = StopOnDrop::new(&bindir, &data);
    run.success();
    run.one(Kind::Restore);
    let connect = |port: u16| {
        postgres::Config::new()
            .host_path(&sockets)
            .port(port)
            .user("postgres")
            .dbname("postgres")
            .connect(postgres::NoTls)
            .unwrap()
    };
    let count = |port: u16| -> i64 {
        connect(port)
            .query_one("SELECT count(*) FROM t", &[])
            .unwrap()
            .get(0)
    };
    let row = connect(port)
        .query_one(
            "SELECT count(*), pg_tablespace_location((SELECT oid FROM pg_tablespace \
             WHERE spcname = 'space')) FROM t",
            &[],
        )
        .unwrap();
    assert_eq!(
        row.get::<_, i64>(0),
        1500,
        "the rows before and after the backup"
    );
    assert_eq!(row.get::<_, String>(1), moved.display().to_string());
    let link = std::fs::read_link(data.join("pg_tblspc").join(&oid)).unwrap();
    assert_eq!(link, moved);
    // The source still reads its own tablespace.
    assert_eq!(c.psql("postgres", "SELECT count(*) FROM t").trim(), "1500");

    // The source lost (stopped): by default the tablespace goes back where it was,
    // --force emptying it as it empties the data directory.
    c.stop();
    let (data, port, run) = restore("back", &["--force"]);
    let _stop_back = StopOnDrop::new(&bindir, &data);
    run.success();
    assert_eq!(count(port), 1500);
    let link = std::fs::read_link(data.join("pg_tblspc").join(&oid)).unwrap();
    assert_eq!(link, space);
}
