//! The man pages' examples (the EXAMPLES section, rendered from each tool's clap
//! `after_help`), executed: each tool's examples in one shell session on the test
//! machine (machine.rs), as docs.rs runs the docs' blocks.

use crate::docs::VERDICTS;
use crate::machine::Machine;

/// Tools whose examples are not run here, and why; any other tool's are.
const NOT_RUN: &[(&str, &str)] = &[
    (
        "pra-loadtest",
        "drills of minutes on databases and workload files of the reader's; \
         pra-loadtest's own tests and docs/DRILLS.md's block run it",
    ),
    (
        "pra-wal",
        "archive_command and restore_command of a server with archiving; \
         pra-wal's own tests run them",
    ),
];

/// The examples of a help text: the indented lines after "Examples:", blank lines
/// between them included, up to the next paragraph ("Exit codes: …").
fn examples(after_help: &str) -> Option<String> {
    let rest = after_help.split_once("Examples:\n")?.1;
    let lines: Vec<&str> = rest
        .lines()
        .take_while(|l| l.trim().is_empty() || l.starts_with(' '))
        .collect();
    Some(lines.join("\n"))
}

#[test]
fn every_man_page_example_runs_as_written() {
    let m = Machine::new();
    crate::docs::settle(&m);
    // pra-restore's examples restore onto a new server, as after a disaster (its
    // --all-stanzas example recreates every database of the run).
    let new_server = pra_testkit::PgCluster::start();
    let new_server_env: String = new_server
        .env()
        .iter()
        .map(|(k, v)| format!("export {k}={v}\n"))
        .collect();
    let mut ran = Vec::new();
    let mut failed = Vec::new();
    for cmd in pra_docgen::commands() {
        let name = cmd.get_name().to_string();
        let Some(block) = examples(&pra_docgen::after_help(&cmd)) else {
            continue;
        };
        if let Some((_, why)) = NOT_RUN.iter().find(|(t, _)| *t == name) {
            eprintln!("{name}'s examples not run here: {why}");
            continue;
        }
        let server = if name == "pra-restore" {
            new_server_env.as_str()
        } else {
            ""
        };
        let env = m.localize("set -a; . /etc/pra/pra.env; set +a\n");
        let script = m.localize(&format!("cd \"$HOME\"\n{VERDICTS}{block}\necho '@@ ran'\n"));
        let run = m.as_postgres_verbatim(&format!("{env}{server}{script}"));
        let out = String::from_utf8_lossy(&run.stdout);
        if out.contains("@@ ran") {
            ran.push(name);
        } else {
            failed.push(format!(
                "{name}(1) EXAMPLES failed (exit {:?}):\n{block}\nstderr:\n{}\nstdout's end:\n{}\n",
                run.code,
                run.stderr.trim_end(),
                &out[out.len().saturating_sub(3000)..]
            ));
        }
    }
    eprintln!("examples run: {ran:?}");
    assert!(failed.is_empty(), "{}", failed.join("\n"));
    assert!(ran.len() >= 7, "{ran:?}");
}
