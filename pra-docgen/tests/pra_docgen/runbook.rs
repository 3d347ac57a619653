//! The runbook and the cron example, executed: every ```sh block of docs/RUNBOOK.md in
//! order, in one shell session as the operator would type them, and the jobs of
//! scripts/cron.example, each as the OS user of its sixth column, against a private
//! PostgreSQL with a repository made by `pra-backup --init`.
//!
//! Only the machine's paths are replaced (the environment file, state and log
//! directories); the commands themselves run as written. A block that cannot run here
//! is marked ```text in the document; a cron job that is not run here is named in
//! [`CRON_NOT_RUN`] with why, so that a new one needs a decision.

use pra_testkit::{tool_as, PgCluster};
use std::path::{Path, PathBuf};

const RUNBOOK: &str = include_str!("../../../docs/RUNBOOK.md");
const CRON: &str = include_str!("../../../scripts/cron.example");

/// Cron jobs not run by this test, by a word of their command, and why.
const CRON_NOT_RUN: &[(&str, &str)] = &[
    (
        "/usr/lib/pra/test-restore",
        "installed by the package; tested by scripts/quickstart.sh test-restore",
    ),
    (
        "pra-loadtest",
        "a 10-minute drill; pra-loadtest's own tests run it",
    ),
    (
        "pra-report",
        "needs a month of history; pra-report's own tests run it",
    ),
];

/// The text of every ```sh block.
fn sh_blocks(doc: &str) -> Vec<&str> {
    doc.split("```sh\n")
        .skip(1)
        .filter_map(|rest| rest.split("\n```").next())
        .collect()
}

/// The tools built beside this test (`cargo build --workspace`; scripts/test.sh does).
fn bindir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    for t in [
        "pra-backup",
        "pra-verify",
        "pra-restore",
        "pra-info",
        "pra-rotate",
        "pra-notify",
        "pra-status",
    ] {
        assert!(
            dir.join(t).exists(),
            "the documentation test runs the real {t}, not built in {}: run `cargo build --workspace` first",
            dir.display()
        );
    }
    dir
}

/// A machine as the docs describe it, in a temporary directory owned by postgres:
/// /etc/pra/pra.env, /var/lib/pra, /var/log/pra, a repository with one verified backup.
struct Machine {
    home: tempfile::TempDir,
    cluster: PgCluster,
    bin: PathBuf,
    /// The alert sink the environment file configures (PRA_WEBHOOK).
    _hook: pra_testkit::http::HttpServer,
}

impl Machine {
    fn new() -> Machine {
        let cluster = PgCluster::start();
        cluster.create_db("app");
        cluster.psql(
            "app",
            "CREATE TABLE public.payments (id int PRIMARY KEY, amount numeric);
             INSERT INTO public.payments SELECT g, g * 1.5 FROM generate_series(1, 100) g;",
        );
        let home = tempfile::tempdir().unwrap();
        let hook = pra_testkit::http::HttpServer::always(200);
        let m = Machine {
            home,
            cluster,
            bin: bindir(),
            _hook: hook,
        };
        for d in ["etc", "state", "log", "textfile"] {
            std::fs::create_dir(m.path(d)).unwrap();
        }
        // The disk thresholds are this test machine's: how full the build host's disk
        // is says nothing about the docs (a CI host with 9 % free made status CRITICAL).
        let mut env = format!(
            "PRA_REPO={}\nPRA_PG_BINDIR={}\nPRA_WEBHOOK={}\nPRA_DISK_WARN=0%\nPRA_DISK_CRIT=0%\n",
            m.path("repo").display(),
            m.cluster.bindir().display(),
            m._hook.url("/hook")
        );
        for (k, v) in m.cluster.env() {
            env.push_str(&format!("{k}={v}\n"));
        }
        std::fs::write(m.path("etc/pra.env"), env).unwrap();
        let status = std::process::Command::new("chown")
            .args(["-R", "postgres:"])
            .arg(m.home.path())
            .status()
            .unwrap();
        assert!(status.success());
        // The installer's first run, as postgres: the repository is created explicitly.
        m.as_postgres("set -a; . @ENV@; set +a; pra-backup -d app --init | pra-verify --level checksum > /dev/null")
            .success();
        m
    }

    fn path(&self, p: &str) -> PathBuf {
        self.home.path().join(p)
    }

    /// The document's machine paths, pointed at this machine.
    fn localize(&self, text: &str) -> String {
        text.replace(
            "/etc/pra/pra.env",
            &self.path("etc/pra.env").display().to_string(),
        )
        .replace(
            "/var/lib/pra/",
            &format!("{}/", self.path("state").display()),
        )
        .replace("/var/log/pra/", &format!("{}/", self.path("log").display()))
        .replace(
            "/var/lib/node_exporter/textfile/",
            &format!("{}/", self.path("textfile").display()),
        )
        .replace(
            "/tmp/restore.md",
            &self.path("state/restore.md").display().to_string(),
        )
        .replace("@ENV@", &self.path("etc/pra.env").display().to_string())
    }

    /// Runs a bash script as postgres, the PATH holding the tools and nothing of ours
    /// in its environment but what the script exports itself.
    fn as_postgres(&self, script: &str) -> pra_testkit::ToolRun {
        let script = self.localize(script);
        let mut t = tool_as("postgres", "/usr/bin/env")
            .arg("-i")
            .arg(format!(
                "PATH={}:/usr/local/bin:/usr/bin:/bin",
                self.bin.display()
            ))
            .arg(format!("HOME={}", self.home.path().display()))
            .args(["bash", "-euo", "pipefail", "-c"])
            .arg(&script);
        t = t.timeout(std::time::Duration::from_secs(240));
        t.run()
    }
}

#[test]
fn the_runbook_blocks_run_as_written() {
    let m = Machine::new();
    let blocks = sh_blocks(RUNBOOK);
    assert!(
        blocks.len() >= 3,
        "the runbook has its restore blocks: {blocks:?}"
    );
    let mut session = String::from("cd \"$HOME\"\n");
    for (i, b) in blocks.iter().enumerate() {
        session.push_str(b);
        session.push_str(&format!("\necho '@@ block {i} ran'\n"));
    }
    let run = m.as_postgres(&session);
    run.success();
    let out = String::from_utf8_lossy(&run.stdout);
    for i in 0..blocks.len() {
        run.check(
            out.contains(&format!("@@ block {i} ran")),
            &format!("block {i} ran"),
        );
    }
    // The disaster path: the validated copy now has the original's name.
    let rows = m
        .cluster
        .psql("app", "SELECT count(*) FROM public.payments");
    assert_eq!(rows.trim(), "100");
    assert!(m.cluster.db_exists("app_damaged") && !m.cluster.db_exists("app_restored"));
    assert!(m.path("state/restore.md").exists(), "the report of step 2");
}

/// What follows the first `n` whitespace-separated fields of a line.
fn after_fields(line: &str, n: usize) -> &str {
    let mut rest = line.trim_start();
    for _ in 0..n {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        rest = rest[end..].trim_start();
    }
    rest
}

/// The jobs of the cron example: `schedule user command` (variable lines left out).
fn cron_jobs(text: &str) -> Vec<(String, String, String)> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter(|l| !l.split_whitespace().next().unwrap_or("").contains('='))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (
                f[..5].join(" "),
                f[5].to_string(),
                after_fields(l, 6).to_string(),
            )
        })
        .collect()
}

#[test]
fn the_cron_jobs_run_as_written_as_their_user() {
    let jobs = cron_jobs(CRON);
    assert!(
        CRON.contains("\nPATH="),
        "cron's PATH is set: it is not the login shell's"
    );
    for (schedule, user, _) in &jobs {
        let f: Vec<&str> = schedule.split(' ').collect();
        assert!(
            f[2] == "*" || f[4] == "*",
            "{schedule}: cron ORs day-of-month and day-of-week when both are restricted"
        );
        assert_eq!(user, "postgres", "every job runs as postgres");
    }
    let m = Machine::new();
    let mut ran = 0;
    for (_, _, command) in &jobs {
        if let Some((_, why)) = CRON_NOT_RUN.iter().find(|(w, _)| command.contains(w)) {
            eprintln!("not run here ({why}): {command}");
            continue;
        }
        // cron turns an unescaped % into a newline; the example has none to turn.
        assert!(
            !command.contains('%') || command.contains("\\%"),
            "{command}"
        );
        let run = m.as_postgres(command);
        let log = std::fs::read_to_string(m.path("log/pra.log")).unwrap_or_default();
        // pra-status speaks the monitoring-plugin codes: 1 is WARNING (a check of this
        // bare test machine, e.g. no WAL archiving), a finished run all the same.
        let ok = if command.contains("pra-status") {
            0..=1
        } else {
            0..=0
        };
        run.check(
            run.code.is_some_and(|c| ok.contains(&c)),
            &format!("the job succeeds; its log:\n{log}"),
        );
        ran += 1;
    }
    assert_eq!(
        ran + CRON_NOT_RUN.len(),
        jobs.len(),
        "every job is run or named"
    );
    let events = std::fs::read_to_string(m.path("log/events.jsonl")).unwrap();
    for kind in [
        "\"kind\":\"backup\"",
        "\"kind\":\"verify\"",
        "\"kind\":\"rotate\"",
    ] {
        assert!(
            events.contains(kind),
            "the jobs' events reach the log: {kind}"
        );
    }
    assert!(
        m.path("textfile/pra.prom").exists(),
        "the status job's metrics"
    );
}
