//! Secrets in every place a tool can be given one, for the tests that run a tool at
//! its most verbose level and search all its output for them (issue 22, item 3).

use crate::{PgCluster, ToolRun};

/// The superuser password of [`password_cluster`].
pub const DB_PASSWORD: &str = "Db-Pw-6611";

/// A cluster whose superuser needs [`DB_PASSWORD`] over TCP on 127.0.0.1.
pub fn password_cluster() -> PgCluster {
    PgCluster::start_with(crate::ClusterOptions {
        password: Some(DB_PASSWORD.to_string()),
        ..Default::default()
    })
}

/// One way of giving the password: its name, the `-d` value, and the environment.
pub struct PasswordPlace {
    /// What it is (`URI`, `conninfo`, `PGPASSWORD`, `pgpass`).
    pub how: &'static str,
    /// The `-d` value.
    pub dbname: String,
    /// Environment variables to set.
    pub env: Vec<(String, String)>,
}

/// The password of database `db` in a URI, a conninfo string, `PGPASSWORD` and a
/// password file (written into `dir`).
pub fn password_places(c: &PgCluster, db: &str, dir: &std::path::Path) -> Vec<PasswordPlace> {
    let port = c.port();
    let pgpass = dir.join("pgpass");
    std::fs::write(
        &pgpass,
        format!("127.0.0.1:{port}:*:postgres:{DB_PASSWORD}\n"),
    )
    .unwrap();
    std::fs::set_permissions(&pgpass, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let env = |extra: (&str, String)| {
        vec![
            ("PGHOST".to_string(), "127.0.0.1".to_string()),
            (extra.0.to_string(), extra.1),
        ]
    };
    vec![
        PasswordPlace {
            how: "URI",
            dbname: format!("postgresql://postgres:{DB_PASSWORD}@127.0.0.1:{port}/{db}"),
            env: vec![],
        },
        PasswordPlace {
            how: "conninfo",
            dbname: format!(
                "host=127.0.0.1 port={port} user=postgres dbname={db} password={DB_PASSWORD}"
            ),
            env: vec![],
        },
        PasswordPlace {
            how: "PGPASSWORD",
            dbname: db.to_string(),
            env: env(("PGPASSWORD", DB_PASSWORD.to_string())),
        },
        PasswordPlace {
            how: "pgpass",
            dbname: db.to_string(),
            env: env(("PGPASSFILE", pgpass.display().to_string())),
        },
    ]
}

/// Asserts the run logged verbosely (more than `min_lines` on stderr) and that no
/// secret shows anywhere in its stdout or stderr.
pub fn assert_no_secret(run: &ToolRun, what: &str, min_lines: usize, secrets: &[&str]) {
    let all = String::from_utf8_lossy(&run.stdout).into_owned() + &run.stderr;
    assert!(
        run.stderr.lines().count() > min_lines,
        "{what}: verbose logs expected\n{}",
        run.dump()
    );
    for secret in secrets {
        assert!(
            !all.contains(secret),
            "{what}: {secret} shows\n{}",
            run.dump()
        );
    }
}

/// Runs `bin` at its most verbose level on a repository of a real S3-compatible
/// server (`--repo s3://…` then `args`), and asserts the secret access key never shows.
pub fn assert_storage_secret_hidden(bin: &str, args: &[&str]) {
    let s3 = crate::S3Server::start();
    let env = s3.env();
    let secret = env
        .iter()
        .find(|(k, _)| k == "AWS_SECRET_ACCESS_KEY")
        .map(|(_, v)| v.clone())
        .expect("the S3 server's secret key");
    let run = crate::tool(bin)
        .args(["-vvv", "--repo", &s3.url("secrets")])
        .args(args)
        .envs(env)
        .env("RUST_LOG", "trace")
        .stdin(Vec::new())
        .run();
    assert_no_secret(&run, bin, 3, &[&secret]);
}
