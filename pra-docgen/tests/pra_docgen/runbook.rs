//! The runbook and the cron example, executed: every ```sh block of docs/RUNBOOK.md in
//! order, in one shell session as the operator would type them, and the jobs of
//! scripts/cron.example, each as the OS user of its sixth column, against a private
//! PostgreSQL with a repository made by `pra-backup --init`.
//!
//! Only the machine's names are replaced (machine.rs: the environment file, state and
//! log directories); the commands themselves run as written. A block that cannot run here
//! is marked ```text in the document; a cron job that is not run here is named in
//! [`CRON_NOT_RUN`] with why, so that a new one needs a decision.

use crate::machine::{sh_blocks, Machine};

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

#[test]
fn the_runbook_blocks_run_as_written() {
    let m = Machine::new();
    let blocks = sh_blocks(RUNBOOK);
    assert!(
        blocks.len() >= 3,
        "the runbook has its restore blocks: {blocks:?}"
    );
    let mut session = String::from("cd \"$HOME\"\n");
    for (i, (_, b)) in blocks.iter().enumerate() {
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
    assert!(m.path("tmp/restore.md").exists(), "the report of step 2");
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
pub fn cron_jobs(text: &str) -> Vec<(String, String, String)> {
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
