//! The operator docs, executed: every ```sh block of README.md and docs/*.md runs as
//! written against a test machine (machine.rs), the blocks of one document in order in
//! one shell session, as the operator would paste them into a shell whose settings are
//! exported (`set -a; . /etc/pra/pra.env; set +a`, as the README says).
//!
//! The documents are read when the test runs, so a new document or block is covered
//! without a change here. A block that cannot run on a test machine (packaging, sudo,
//! systemctl, a template to adjust, a cloud account) is fenced ```text or ```console
//! instead, which is the one way to leave it out. docs/RUNBOOK.md is runbook.rs's, with
//! assertions of its own.

use crate::machine::{sh_blocks, Machine};
use std::path::PathBuf;

/// The workspace root.
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// README.md and docs/*.md (RUNBOOK.md aside), with their text, in name order.
fn documents() -> Vec<(String, String)> {
    let mut names = vec!["README.md".to_string()];
    let mut docs: Vec<String> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md") && n != "RUNBOOK.md")
        .map(|n| format!("docs/{n}"))
        .collect();
    docs.sort();
    names.extend(docs);
    names
        .into_iter()
        .map(|n| {
            let text = std::fs::read_to_string(root().join(&n)).unwrap();
            (n, text)
        })
        .collect()
}

/// The judging tools' verdicts are results, not broken commands: pra-status's 1
/// (WARNING) and pra-report's 1 (an objective failed on this young machine) end a
/// pipeline with success; every other non-zero status still fails the block.
pub const VERDICTS: &str = "pra-status() { command pra-status \"$@\" || [ $? -eq 1 ]; }
pra-report() { command pra-report \"$@\" || [ $? -eq 1 ]; }
";

/// The files a document asks the operator to write: a fenced block whose first line
/// is a comment naming a file under /etc/pra/ (`-- /etc/pra/app-checks.sql`).
fn etc_files(doc: &str) -> Vec<(String, String)> {
    ["sql", "ini", "sh", "text", ""]
        .iter()
        .flat_map(|lang| crate::machine::fenced(doc, lang))
        .filter_map(|(_, text)| {
            let first = text.lines().next()?;
            let name = first
                .strip_prefix("-- /etc/pra/")
                .or_else(|| first.strip_prefix("# /etc/pra/"))?;
            (!name.contains(' ') && !name.contains('/')).then(|| (name.to_string(), text.clone()))
        })
        .collect()
}

/// Runs the ```sh blocks of one document in one session; what ran, or why not.
fn run_sh_blocks(m: &Machine, name: &str, text: &str) -> Result<Vec<String>, String> {
    let blocks = sh_blocks(text);
    let mut session = format!("set -a; . /etc/pra/pra.env; set +a\ncd \"$HOME\"\n{VERDICTS}");
    for (line, block) in &blocks {
        session.push_str(block);
        session.push_str(&format!("\necho '@@ {name}:{line} ran'\n"));
    }
    let run = m.as_postgres(&session);
    let out = String::from_utf8_lossy(&run.stdout);
    let mut ran = Vec::new();
    for (line, _) in &blocks {
        if !out.contains(&format!("@@ {name}:{line} ran")) {
            return Err(format!(
                "{name}: the ```sh block at line {line} failed (exit {:?}); stderr:\n{}\nstdout's end:\n{}\n",
                run.code,
                run.stderr.trim_end(),
                &out[out.len().saturating_sub(3000)..]
            ));
        }
        ran.push(format!("{name}:{line}"));
    }
    Ok(ran)
}

/// Runs the jobs of the ```cron blocks of one document, each as its user, with what
/// cron does to `\%`; what ran, or why not.
fn run_cron_blocks(m: &Machine, name: &str, text: &str) -> Result<Vec<String>, String> {
    let mut ran = Vec::new();
    for (line, block) in crate::machine::fenced(text, "cron") {
        if !block.contains("\nPATH=") && !block.starts_with("PATH=") {
            return Err(format!(
                "{name}:{line}: the cron block sets no PATH (cron's is not the login shell's)"
            ));
        }
        for (schedule, user, command) in crate::runbook::cron_jobs(&block) {
            let f: Vec<&str> = schedule.split(' ').collect();
            if f[2] != "*" && f[4] != "*" {
                return Err(format!(
                    "{name}:{line}: {schedule}: cron ORs day-of-month and day-of-week"
                ));
            }
            if user != "postgres" {
                return Err(format!(
                    "{name}:{line}: the job runs as {user}, not postgres"
                ));
            }
            let run = m.as_postgres(&command.replace("\\%", "%"));
            let ok = match run.code {
                Some(0) => true,
                Some(1) => command.contains("pra-status"),
                _ => false,
            };
            if !ok {
                return Err(format!(
                    "{name}:{line}: the cron job failed: {command}\n{}",
                    run.dump()
                ));
            }
            ran.push(format!("{name}:{line} (cron)"));
        }
    }
    Ok(ran)
}

/// The machine after a while in service: the files the docs ask for written
/// (`/etc/pra/app-checks.sql`), and a history for the reports, as the cron jobs would
/// have logged it.
pub fn settle(m: &Machine) {
    for (_, text) in documents() {
        for (file, content) in etc_files(&text) {
            m.write_etc(&file, &m.localize(&content));
        }
    }
    m.give_to_postgres();
    m.as_postgres(&format!(
        "set -a; . /etc/pra/pra.env; set +a\n{VERDICTS}
         pra-backup | pra-verify >> /var/log/pra/events.jsonl
         pra-status --history /var/lib/pra/status.jsonl > /dev/null"
    ))
    .success();
}

#[test]
fn every_sh_and_cron_block_of_the_readme_and_the_docs_runs_as_written() {
    let m = Machine::new();
    // The S3 bucket of docs/STORAGE.md, on the loopback server the environment names.
    let s3 = pra_testkit::S3Server::start();
    assert_eq!(s3.request("PUT", "/acme-backups", b""), 200);
    let mut env = std::fs::read_to_string(m.path("etc/pra.env")).unwrap();
    for (k, v) in s3.env() {
        if k == "AWS_ENDPOINT_URL" || k == "AWS_ALLOW_HTTP" {
            env.push_str(&format!("{k}={v}\n"));
        }
    }
    m.write_etc("pra.env", &env);
    let docs = documents();
    settle(&m);

    let mut ran = Vec::new();
    let mut failed = Vec::new();
    for (name, text) in &docs {
        for outcome in [
            run_sh_blocks(&m, name, text),
            run_cron_blocks(&m, name, text),
        ] {
            match outcome {
                Ok(r) => ran.extend(r),
                Err(e) => failed.push(e),
            }
        }
    }
    eprintln!("blocks run: {}\n{}", ran.len(), ran.join("\n"));
    assert!(failed.is_empty(), "{}", failed.join("\n"));
    assert!(ran.len() >= 30, "the docs' blocks were found: {ran:?}");
    // Healthy runs alert nobody (pra-notify's default --min-status is warn), so the
    // sinks' settings are proven by pra-notify accepting them; what is sent whatever
    // the status reached its stand-in: the drill's report to Slack, its probes to the
    // application, the digest by e-mail.
    let routes: Vec<String> = m
        .hook
        .requests()
        .iter()
        .map(|r| r.route().to_string())
        .collect();
    for sink in ["/slack", "/staging/"] {
        assert!(
            routes.iter().any(|r| r.starts_with(sink)),
            "a request to {sink}: {routes:?}"
        );
    }
    assert!(!m.smtp.messages().is_empty(), "the digest was mailed");
    assert!(m.path("www/report.html").exists(), "the README's report");
}

/// The workspace files a document cites in backquotes (`scripts/cron.example`,
/// `pra-restore/src/offsets/`), without what follows a space or a colon.
fn cited_paths(doc: &str) -> Vec<String> {
    const TOP: &[&str] = &["scripts/", "docs/", "bench/", "man/", ".ci/", "pra-"];
    doc.split('`')
        .skip(1)
        .step_by(2)
        .filter_map(|quoted| quoted.split([' ', ':', '#']).next())
        .filter(|p| TOP.iter().any(|t| p.starts_with(t)) && p.contains('/'))
        .filter(|p| !p.contains(['*', '<', '$', '…']))
        // `pra-wal/1 zstd …` is a format's name and version, not a path.
        .filter(|p| {
            !p.rsplit('/')
                .next()
                .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit()))
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn the_docs_cite_only_files_that_exist() {
    let mut missing = Vec::new();
    let mut cited = 0;
    for (name, text) in documents() {
        for p in cited_paths(&text) {
            cited += 1;
            let base = if name.starts_with("docs/") && !root().join(&p).exists() {
                root().join("docs")
            } else {
                root()
            };
            if !base.join(&p).exists() {
                missing.push(format!("{name}: `{p}`"));
            }
        }
    }
    assert!(cited >= 20, "paths were found: {cited}");
    assert!(
        missing.is_empty(),
        "cited but not in the tree:\n{}",
        missing.join("\n")
    );
}
