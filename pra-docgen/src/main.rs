//! `pra-docgen`: rewrites man/ and scripts/completions/ from the clap definitions.
//! `pra-docgen --check` only reports stale files (exit 1).

use std::process::ExitCode;

fn main() -> ExitCode {
    let check = std::env::args().any(|a| a == "--check");
    let root = pra_docgen::workspace_root();
    let mut stale = 0;
    for (path, content) in pra_docgen::generated_files() {
        let full = root.join(&path);
        if std::fs::read(&full).ok().as_deref() == Some(&content[..]) {
            continue;
        }
        stale += 1;
        if check {
            eprintln!("pra-docgen: stale: {}", path.display());
            continue;
        }
        if let Some(dir) = full.parent() {
            if let Err(e) = std::fs::create_dir_all(dir) {
                eprintln!("pra-docgen: error: cannot create {}: {e}", dir.display());
                return ExitCode::from(3);
            }
        }
        if let Err(e) = std::fs::write(&full, &content) {
            eprintln!("pra-docgen: error: cannot write {}: {e}", full.display());
            return ExitCode::from(3);
        }
        eprintln!("pra-docgen: wrote {}", path.display());
    }
    if check && stale > 0 {
        eprintln!("pra-docgen: {stale} stale file(s); run: cargo run -p pra-docgen");
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
