//! Reaching a test cluster: the environment and conninfo a tool needs, a client
//! connection, psql, and database helpers.

use super::PgCluster;
use std::path::Path;
use std::process::Command;

impl PgCluster {
    /// The environment a tool needs to reach this cluster: PGHOST, PGPORT, PGUSER,
    /// PGDATABASE (`postgres`), and no stray password or service.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("PGHOST".into(), self.socket_dir().display().to_string()),
            ("PGPORT".into(), self.port.to_string()),
            ("PGUSER".into(), "postgres".into()),
            ("PGDATABASE".into(), "postgres".into()),
            ("PGPASSFILE".into(), "/nonexistent".into()),
        ]
    }

    /// A conninfo string for a database of this cluster (Unix socket, no password).
    pub fn conninfo(&self, db: &str) -> String {
        format!(
            "host={} port={} user=postgres dbname={db}",
            self.socket_dir().display(),
            self.port
        )
    }

    /// Connects to a database of this cluster as the superuser.
    pub fn connect(&self, db: &str) -> postgres::Client {
        postgres::Config::new()
            .host_path(self.socket_dir())
            .port(self.port)
            .user("postgres")
            .dbname(db)
            .connect(postgres::NoTls)
            .unwrap_or_else(|e| panic!("connect to {db} on the test cluster: {e}"))
    }

    /// A `psql` command aimed at a database of this cluster (no psqlrc, stop on error).
    pub fn psql_cmd(&self, db: &str) -> Command {
        let mut cmd = Command::new(self.bindir.join("psql"));
        cmd.args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d"])
            .arg(self.conninfo(db));
        cmd.env_remove("PGPASSWORD").env_remove("PGSERVICE");
        cmd
    }

    /// Runs SQL through `psql` and returns its output (unaligned, tuples only); panics on error.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let out = self
            .psql_cmd(db)
            .args(["-A", "-t", "-c", sql])
            .output()
            .expect("run psql");
        assert!(
            out.status.success(),
            "psql -c {sql:?} on {db} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim_end().to_string()
    }

    /// Runs a SQL file through `psql` with `-v` variables; panics on error.
    pub fn psql_file(&self, db: &str, file: &Path, vars: &[(&str, &str)]) {
        let mut cmd = self.psql_cmd(db);
        for (k, v) in vars {
            cmd.arg("-v").arg(format!("{k}={v}"));
        }
        let out = cmd.arg("-f").arg(file).output().expect("run psql");
        assert!(
            out.status.success(),
            "psql -f {} on {db} failed:\n{}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Creates a database.
    pub fn create_db(&self, name: &str) {
        self.psql("postgres", &format!("CREATE DATABASE \"{name}\""));
    }

    /// True when a database of that name exists.
    pub fn db_exists(&self, name: &str) -> bool {
        let n = self.psql(
            "postgres",
            &format!("SELECT count(*) FROM pg_database WHERE datname = '{name}'"),
        );
        n == "1"
    }

    /// Names of all non-template databases.
    pub fn databases(&self) -> Vec<String> {
        self.psql(
            "postgres",
            "SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY 1",
        )
        .lines()
        .map(str::to_string)
        .collect()
    }
}
