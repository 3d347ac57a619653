//! Point-in-time recovery end to end (issue 19's "Must show"): a real cluster archives
//! through pra-wal; after a physical backup it commits batch A, then B, a restore
//! point, then C; pra-restore --physical to the time after A, the LSN after A, the xid
//! of B, the restore point and `immediate` each gives exactly the right rows, and a
//! deleted WAL segment makes recovery past it fail clearly. Local and loopback S3.

use pra_core::repo::{Repository, Storage};
use pra_testkit::recovered::chown_tree;
use pra_testkit::{tool, tool_as, ClusterOptions, PgCluster, RecoveredServer, S3Server, Tool};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A tool built beside this test (`cargo build --workspace`, as scripts/test.sh does).
pub(crate) fn sibling(name: &str) -> String {
    pra_testkit::archiving::workspace_bin(name)
}

pub(crate) const STANZA: &str = "main";

pub(crate) struct Pitr {
    pub(crate) tmp: tempfile::TempDir,
    pub(crate) cluster: PgCluster,
    pub(crate) repo: String,
    pub(crate) env: Vec<(String, String)>,
    pub(crate) storage: Box<dyn Storage>,
    time_after_a: String,
    lsn_after_a: String,
    xid_of_b: String,
    segment_of_b: String,
}

pub(crate) fn postgres_user() -> (u32, u32) {
    pra_testkit::archiving::server_user_ids()
}

impl Pitr {
    /// The cluster, its backup, then A, B, the restore point `rp`, C, all archived.
    pub(crate) fn prepare(
        repo: String,
        env: Vec<(String, String)>,
        storage: Box<dyn Storage>,
    ) -> Pitr {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let (uid, gid) = postgres_user();
        if !repo.contains("://") {
            Repository::create(&repo).unwrap();
            chown_tree(Path::new(&repo), uid, gid);
        }
        let vars: Vec<String> = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let cluster = PgCluster::start_with(ClusterOptions {
            conf: vec![
                "wal_level = replica".into(),
                "archive_mode = on".into(),
                format!(
                    "archive_command = 'env {} {} push --repo {repo} --stanza {STANZA} %p'",
                    vars.join(" "),
                    sibling("pra-wal")
                ),
            ],
            ..ClusterOptions::default()
        });
        cluster.psql(
            "postgres",
            "CREATE TABLE t (batch text); INSERT INTO t VALUES ('pre')",
        );
        // As the DBA runs it: the server's user, who owns the repository.
        tool_as("postgres", &sibling("pra-backup"))
            .envs(cluster.env())
            .envs(env.clone())
            .args(["--physical", "--stanza", STANZA, "--repo", &repo])
            .run()
            .success();
        let mut c = cluster.connect("postgres");
        c.execute("INSERT INTO t VALUES ('A')", &[]).unwrap();
        std::thread::sleep(Duration::from_millis(1100));
        let row = c
            .query_one("SELECT now()::text, pg_current_wal_lsn()::text", &[])
            .unwrap();
        let (time_after_a, lsn_after_a): (String, String) = (row.get(0), row.get(1));
        std::thread::sleep(Duration::from_millis(1100));
        cluster.archive_current_segment();
        let mut tx = c.transaction().unwrap();
        tx.execute("INSERT INTO t VALUES ('B')", &[]).unwrap();
        let xid_of_b: String = tx
            .query_one("SELECT pg_current_xact_id()::text", &[])
            .unwrap()
            .get(0);
        // The insert position: the write position lags under synchronous_commit = off
        // and may still name the segment archived just before.
        let segment_of_b: String = tx
            .query_one("SELECT pg_walfile_name(pg_current_wal_insert_lsn())", &[])
            .unwrap()
            .get(0);
        tx.commit().unwrap();
        c.execute("SELECT pg_create_restore_point('rp')", &[])
            .unwrap();
        cluster.archive_current_segment();
        c.execute("INSERT INTO t VALUES ('C')", &[]).unwrap();
        cluster.archive_current_segment();
        Pitr {
            tmp,
            cluster,
            repo,
            env,
            storage,
            time_after_a,
            lsn_after_a,
            xid_of_b,
            segment_of_b,
        }
    }

    pub(crate) fn restore(&self, name: &str, target: &[&str]) -> (PathBuf, Tool) {
        let data = self.tmp.path().join(name);
        let t = tool(&sibling("pra-restore"))
            .envs(self.env.clone())
            .args(["--physical", "--stanza", STANZA, "--repo", &self.repo])
            .arg("--pgdata")
            .arg(&data)
            .args(["--pra-wal", &sibling("pra-wal"), "--archive-mode", "off"])
            .args(target);
        (data, t)
    }

    /// Restores to `target`, starts the copy, returns its batches, or the failure.
    pub(crate) fn batches(&self, name: &str, target: &[&str]) -> Result<Vec<String>, String> {
        let (data, t) = self.restore(name, target);
        t.run().success();
        let mut server = RecoveredServer::start_with_env(
            self.cluster.bindir(),
            &data,
            &self.cluster.data_dir(),
            &self.env,
        );
        let mut client = server.wait_recovered(Duration::from_secs(60))?;
        Ok(client
            .query("SELECT batch FROM t ORDER BY batch", &[])
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    fn run_all(&self) {
        let got = |name: &str, target: &[&str]| {
            self.batches(name, target)
                .unwrap_or_else(|e| panic!("{name}: {e}"))
        };
        assert_eq!(
            got("time", &["--target-time", &self.time_after_a]),
            ["A", "pre"]
        );
        assert_eq!(
            got("lsn", &["--target-lsn", &self.lsn_after_a]),
            ["A", "pre"]
        );
        assert_eq!(
            got("xid", &["--target-xid", &self.xid_of_b]),
            ["A", "B", "pre"]
        );
        assert_eq!(got("name", &["--target-name", "rp"]), ["A", "B", "pre"]);
        assert_eq!(got("immediate", &["--target", "immediate"]), ["pre"]);
        assert_eq!(got("end", &[]), ["A", "B", "C", "pre"]);

        // A non-empty directory is refused without --force.
        let (_, t) = self.restore("end", &[]);
        t.run().code_is(2).stderr_contains("not empty");

        // A gap in the archive: recovery past it fails, and says why.
        let verify = || {
            tool(&sibling("pra-verify"))
                .envs(self.env.clone())
                .args([
                    "--stanza", STANZA, "--repo", &self.repo, "--level", "checksum",
                ])
                .run()
        };
        verify().success();
        let key = pra_core::wal::key(STANZA, &self.segment_of_b).unwrap();
        self.storage.delete(&key).unwrap();
        let run = verify();
        run.code_is(1);
        let problem = run
            .one(pra_core::event::Kind::Verify)
            .str_field("problem")
            .unwrap_or_default()
            .to_string();
        assert!(
            problem.contains(&format!("WAL gap: segment {}", self.segment_of_b)),
            "{}",
            run.dump()
        );
        let err = self.batches("gap", &["--target-name", "rp"]).unwrap_err();
        assert!(
            err.contains("recovery ended before configured recovery target was reached"),
            "{err}"
        );
    }
}

/// A PITR setup on a local repository (the directory holding it comes first).
pub(crate) fn local() -> (tempfile::TempDir, Pitr) {
    local_with(Vec::new())
}

/// The same, with `env` given to the archive_command, pra-backup and pra-restore.
pub(crate) fn local_with(env: Vec<(String, String)>) -> (tempfile::TempDir, Pitr) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let repo = dir.path().join("repo").display().to_string();
    let storage = Box::new(pra_core::repo::LocalStorage::new(&repo));
    let p = Pitr::prepare(repo, env, storage);
    (dir, p)
}

impl Pitr {
    /// pra-restore --physical --start as the server's user (who creates the data
    /// directory `name` and runs the server) on a free port; the directory and port.
    pub(crate) fn started(
        &self,
        name: &str,
        args: &[&str],
    ) -> (PathBuf, u16, pra_testkit::ToolRun) {
        let parent = self.tmp.path().join("pg");
        if !parent.exists() {
            std::fs::create_dir(&parent).unwrap();
            let (uid, gid) = postgres_user();
            chown_tree(&parent, uid, gid);
        }
        let data = parent.join(name);
        let port = pra_testkit::free_port();
        let run = tool_as("postgres", &sibling("pra-restore"))
            .envs(self.cluster.env())
            .env("PRA_PG_BINDIR", self.cluster.bindir())
            .args([
                "--physical",
                "--stanza",
                STANZA,
                "--repo",
                &self.repo,
                "--start",
            ])
            .args([
                "--port",
                &port.to_string(),
                "--pra-wal",
                &sibling("pra-wal"),
            ])
            .args(args)
            .arg("--pgdata")
            .arg(&data)
            .run();
        (data, port, run)
    }

    /// pg_ctl on `data`, as the server's user; it must succeed.
    pub(crate) fn pg_ctl(&self, data: &Path, args: &[&str]) {
        let out = std::process::Command::new("setpriv")
            .args([
                "--reuid",
                "postgres",
                "--regid",
                "postgres",
                "--clear-groups",
                "--",
            ])
            .arg(self.cluster.bindir().join("pg_ctl"))
            .arg("-D")
            .arg(data)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A client of the server pra-restore started on `port`.
    pub(crate) fn connect(&self, port: u16) -> postgres::Client {
        postgres::Config::new()
            .host_path(self.cluster.socket_dir())
            .port(port)
            .user("postgres")
            .dbname("postgres")
            .connect(postgres::NoTls)
            .unwrap()
    }
}

pub(crate) fn count(c: &mut postgres::Client) -> i64 {
    c.query_one("SELECT count(*) FROM t", &[]).unwrap().get(0)
}

#[test]
fn pitr_to_each_target_gives_exactly_its_rows() {
    local().1.run_all();
}

#[test]
fn pitr_from_the_loopback_s3_server() {
    let s3 = S3Server::start();
    Repository::with_storage(Box::new(s3.storage("pitr")))
        .unwrap()
        .init()
        .unwrap();
    Pitr::prepare(s3.url("pitr"), s3.env(), Box::new(s3.storage("pitr"))).run_all();
}

#[test]
fn start_waits_until_the_target_is_reached_and_queries_answer() {
    let (_dir, p) = local();
    let (data, port, run) = p.started("started", &["--target-name", "rp", "--archive-mode", "off"]);
    run.success();
    let ev = run.one(pra_core::event::Kind::Restore);
    let fields: pra_core::event::kinds::RestoreFields = ev.fields_as().unwrap();
    assert!(
        fields.rto_s > 0.0 && fields.restore_s > 0.0,
        "{}",
        run.dump()
    );
    assert_eq!(count(&mut p.connect(port)), 3, "pre, A, B");
    // The server pra-restore started is ours to stop.
    p.pg_ctl(&data, &["stop", "-m", "fast"]);
    assert!(data.metadata().unwrap().mode() & 0o777 == 0o700);
}

#[test]
fn a_standby_follows_the_primary_and_serves_after_promotion() {
    let (_dir, p) = local();
    let primary = format!(
        "host={} port={} user=postgres",
        p.cluster.socket_dir().display(),
        p.cluster.port()
    );
    let (data, port, run) = p.started("standby", &["--standby", "--primary-conninfo", &primary]);
    run.success();
    assert!(data.join("standby.signal").exists());
    // New rows on the primary reach the standby by streaming.
    p.cluster.psql("postgres", "INSERT INTO t VALUES ('D')");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let mut standby = p.connect(port);
    while count(&mut standby) != 5 {
        assert!(
            std::time::Instant::now() < deadline,
            "D never reached the standby"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // Promotion: the standby becomes a primary that serves them and takes writes.
    p.pg_ctl(&data, &["promote", "-w"]);
    let mut promoted = p.connect(port);
    let recovering: bool = promoted
        .query_one("SELECT pg_is_in_recovery()", &[])
        .unwrap()
        .get(0);
    assert!(!recovering);
    promoted.execute("INSERT INTO t VALUES ('E')", &[]).unwrap();
    assert_eq!(count(&mut promoted), 6, "pre, A, B, C, D, E");
    p.pg_ctl(&data, &["stop", "-m", "fast"]);
}
