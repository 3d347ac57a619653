//! The checked-in man pages and completions are exactly what the code generates,
//! every man page renders with man(1), and every bash completion parses.

use std::process::Command;

#[test]
fn checked_in_files_are_current() {
    let root = pra_docgen::workspace_root();
    let mut stale = Vec::new();
    for (path, content) in pra_docgen::generated_files() {
        if std::fs::read(root.join(&path)).ok().as_deref() != Some(&content[..]) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files (run `cargo run -p pra-docgen` and commit): {stale:?}"
    );
}

#[test]
fn man_pages_render_and_completions_parse() {
    let root = pra_docgen::workspace_root();
    let have_man = Command::new("man")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        have_man,
        "man(1) is missing: apt-get install -y man-db (scripts/test.sh installs it)"
    );
    for (path, _) in pra_docgen::generated_files() {
        let full = root.join(&path);
        let name = path.to_string_lossy().into_owned();
        if name.starts_with("man/") {
            let out = Command::new("man")
                .arg("-l")
                .arg(&full)
                .env("MANWIDTH", "80")
                .env("MANPAGER", "cat")
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "man -l {name} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                text.contains("NAME") && text.contains("SYNOPSIS") || name.ends_with(".7"),
                "{name} renders:\n{text}"
            );
            if name.ends_with(".1") {
                assert!(
                    text.contains("EXIT STATUS") && text.contains("EXAMPLES"),
                    "{name} has exit codes and examples:\n{text}"
                );
            }
        } else if name.ends_with(".bash") {
            let st = Command::new("bash").arg("-n").arg(&full).status().unwrap();
            assert!(st.success(), "bash -n {name}");
        }
    }
}
