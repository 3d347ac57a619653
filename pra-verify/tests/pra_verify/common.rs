//! Helpers shared by the pra-verify integration tests: taking backups with the real
//! pra-backup binary, running pra-verify against a repository, reading results back.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use pra_core::event::kinds::VerifyFields;
use pra_core::event::{Event, Kind};
use pra_core::manifest::Manifest;
use pra_core::repo::Repository;
use pra_testkit::{tool, PgCluster, Tool, ToolRun};
use std::path::{Path, PathBuf};

/// The pra-backup binary built beside this test's binary (`cargo build -p pra-backup`).
pub fn backup_bin() -> PathBuf {
    sibling_bin("pra-backup")
}

/// Another tool's binary built beside this test's binary (`cargo build -p <name>`).
pub fn sibling_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/debug/deps/<test> -> target/debug/<name>
    let bin = exe.parent().and_then(Path::parent).unwrap().join(name);
    assert!(
        bin.exists(),
        "pra-verify's tests run the real {name}, which is not built at {}: \
         run `cargo build -p {name}` first (scripts/test.sh builds the whole workspace)",
        bin.display()
    );
    bin
}

/// Takes a backup of `db` with pra-backup; returns the run (its stdout is the `backup` event).
pub fn take_backup(c: &PgCluster, repo: &Path, db: &str) -> ToolRun {
    take_backup_with(c, repo, db, &[])
}

/// [`take_backup`] with more pra-backup flags (`--count-rows none`, …).
pub fn take_backup_with(c: &PgCluster, repo: &Path, db: &str, extra: &[&str]) -> ToolRun {
    let run = tool(backup_bin().to_str().unwrap())
        .envs(c.env())
        .env("PRA_PG_BINDIR", c.bindir())
        .arg("--init")
        .arg("--repo")
        .arg(repo)
        .args(["-d", db])
        .args(extra)
        .run();
    run.success();
    run
}

/// pra-verify aimed at a repository and the cluster (for the restore level).
pub fn verify(c: &PgCluster, repo: &Path) -> Tool {
    tool(env!("CARGO_BIN_EXE_pra-verify"))
        .envs(c.env())
        .env("PRA_PG_BINDIR", c.bindir())
        .arg("--repo")
        .arg(repo)
}

/// The newest complete backup of a stanza.
pub fn latest(repo: &Path, stanza: &str) -> Manifest {
    let r = Repository::open(repo.to_str().unwrap()).unwrap();
    r.complete_backups(stanza)
        .unwrap()
        .pop()
        .expect("a complete backup")
}

/// The directory of a backup.
pub fn backup_dir(repo: &Path, m: &Manifest) -> PathBuf {
    repo.join(&m.stanza).join("backup").join(&m.id)
}

/// The fields of the only `verify` event of a run.
pub fn verify_fields(run: &ToolRun) -> (Event, VerifyFields) {
    let ev = run.one(Kind::Verify).clone();
    let f: VerifyFields = ev.fields_as().unwrap();
    (ev, f)
}

/// The scratch databases present on the cluster.
pub fn scratch_dbs(c: &PgCluster) -> Vec<String> {
    c.databases()
        .into_iter()
        .filter(|d| d.starts_with("pra_verify_"))
        .collect()
}

/// A small deterministic random generator (xorshift), seeded from the clock and printed,
/// so that a failing trial can be replayed with PRA_TEST_SEED.
pub struct Rng(u64);

impl Rng {
    pub fn new() -> Rng {
        let seed = std::env::var("PRA_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
                    | 1
            });
        eprintln!("random seed: PRA_TEST_SEED={seed}");
        Rng(seed)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}
