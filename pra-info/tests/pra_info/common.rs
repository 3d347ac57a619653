//! Shared by pra-info's tests: a real repository in a temporary directory whose
//! backups are written directly (synthetic manifests at chosen times, no PostgreSQL),
//! and the tool run against it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use chrono::{DateTime, Duration as Span, Utc};
use pra_core::event::Status;
use pra_core::manifest::{VerifyLevel, VerifyRecord, VERIFY_FORMAT};
use pra_core::repo::Repository;
use pra_testkit::{tool, Tool};

pub struct Repo {
    pub dir: tempfile::TempDir,
    pub repo: Repository,
}

pub fn at(s: &str) -> DateTime<Utc> {
    pra_core::time::parse_ts(s).unwrap()
}

/// A manifest as pra-backup writes it (JSON, so that new optional fields need no edit here).
pub fn manifest_json(stanza: &str, id: &str, started: DateTime<Utc>, stored: u64) -> String {
    let ts = |t: DateTime<Utc>| pra_core::time::format_ts(&t);
    format!(
        r#"{{"format":1,"id":"{id}","stanza":"{stanza}","kind":"logical",
  "started_at":"{}","finished_at":"{}","server_version":"16.4","server_version_num":160004,
  "system_identifier":"7300000000000000000","database":"{stanza}",
  "files":[{{"name":"dump.pgc.zst","role":"dump","raw_bytes":{},"stored_bytes":{stored},
    "raw_sha256":"{}","stored_sha256":"{}","codec":"zstd"}}],
  "tables":[],"tool_version":"0.1.0"}}"#,
        ts(started),
        ts(started + Span::seconds(5)),
        stored * 3,
        "a".repeat(64),
        "b".repeat(64)
    )
}

impl Repo {
    pub fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::create(dir.path().to_str().unwrap()).unwrap();
        Repo { dir, repo }
    }

    pub fn path(&self) -> &str {
        self.dir.path().to_str().unwrap()
    }

    /// A backup started at `started`, complete (manifest written) or not.
    pub fn backup(&self, stanza: &str, started: DateTime<Utc>, complete: bool) -> String {
        let id = self.repo.new_backup(stanza, started).unwrap();
        let dir = self.dir.path().join(stanza).join("backup").join(&id);
        std::fs::write(dir.join("dump.pgc.zst"), vec![b'x'; 1000]).unwrap();
        if complete {
            std::fs::write(
                dir.join("manifest.json"),
                manifest_json(stanza, &id, started, 1000),
            )
            .unwrap();
        }
        id
    }

    pub fn verify(&self, stanza: &str, id: &str, level: VerifyLevel, status: Status) {
        self.repo
            .write_verify(
                stanza,
                &VerifyRecord {
                    format: VERIFY_FORMAT,
                    backup_id: id.to_string(),
                    level,
                    status,
                    verified_at: Utc::now(),
                    duration_s: 0.1,
                    problems: vec![],
                    tool_version: pra_core::VERSION.into(),
                    extra: Default::default(),
                },
            )
            .unwrap();
    }

    pub fn info(&self) -> Tool {
        tool(env!("CARGO_BIN_EXE_pra-info"))
            .arg("--repo")
            .arg(self.path())
    }
}
