//! Shared by pra-rotate's integration tests: a real repository in a temporary
//! directory, backups created directly with pra-core (synthetic manifests at chosen
//! start times; no PostgreSQL needed), and the tool run against it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use chrono::{DateTime, Duration as Span, Utc};
use pra_core::codec::Codec;
use pra_core::event::kinds::RotateFields;
use pra_core::event::{Event, Status};
use pra_core::manifest::{
    BackupKind, FileRole, Manifest, ManifestFile, VerifyLevel, VerifyRecord, MANIFEST_FORMAT,
    VERIFY_FORMAT,
};
use pra_core::repo::Repository;
use pra_testkit::{tool, ToolRun};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

pub struct Repo {
    pub dir: tempfile::TempDir,
    pub repo: Repository,
}

impl Repo {
    pub fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::open(dir.path().to_str().unwrap()).unwrap();
        repo.init().unwrap();
        Repo { dir, repo }
    }

    pub fn path(&self) -> &str {
        self.dir.path().to_str().unwrap()
    }

    pub fn backup_dir(&self, stanza: &str, id: &str) -> PathBuf {
        self.dir.path().join(stanza).join("backup").join(id)
    }

    /// A backup started at `started` with a data file of `size` bytes; complete
    /// (manifest written) or not.
    pub fn backup(
        &self,
        stanza: &str,
        started: DateTime<Utc>,
        size: usize,
        complete: bool,
    ) -> String {
        let id = self.repo.new_backup(stanza, started).unwrap();
        let mut f = self.repo.create_file(stanza, &id, "dump.pgc.zst").unwrap();
        f.write_all(&vec![b'x'; size]).unwrap();
        f.commit().unwrap();
        if complete {
            self.repo
                .write_manifest(&Manifest {
                    format: MANIFEST_FORMAT,
                    id: id.clone(),
                    stanza: stanza.to_string(),
                    kind: BackupKind::Logical,
                    started_at: started,
                    finished_at: started + Span::seconds(5),
                    server_version: "15.18".into(),
                    server_version_num: 150018,
                    system_identifier: "7300000000000000000".into(),
                    database: Some(stanza.to_string()),
                    database_size_bytes: None,
                    database_state: None,
                    run_id: None,
                    wal_lsn: None,
                    timeline: None,
                    files: vec![ManifestFile {
                        name: "dump.pgc.zst".into(),
                        role: FileRole::Dump,
                        raw_bytes: size as u64 * 3,
                        stored_bytes: size as u64,
                        raw_sha256: "a".repeat(64),
                        stored_sha256: "b".repeat(64),
                        codec: Codec::Zstd,
                        encryption: None,
                    }],
                    tables: vec![],
                    tool_version: pra_core::VERSION.into(),
                    extra: Default::default(),
                })
                .unwrap();
        }
        id
    }

    /// Daily complete backups at 03:00 for `days` days ending on `last_day`.
    pub fn dailies(&self, stanza: &str, last_day: &str, days: i64) -> Vec<String> {
        let last = at(&format!("{last_day}T03:00:00Z"));
        (0..days)
            .rev()
            .map(|d| self.backup(stanza, last - Span::days(d), 1000, true))
            .collect()
    }

    pub fn verify(&self, stanza: &str, id: &str, status: Status) {
        self.repo
            .write_verify(
                stanza,
                &VerifyRecord {
                    format: VERIFY_FORMAT,
                    backup_id: id.to_string(),
                    level: VerifyLevel::Checksum,
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

    pub fn exists(&self, stanza: &str, id: &str) -> bool {
        self.backup_dir(stanza, id).exists()
    }

    /// Every file under the repository with its size and modification time.
    pub fn snapshot(&self) -> BTreeMap<PathBuf, (u64, SystemTime)> {
        let mut out = BTreeMap::new();
        let mut stack = vec![self.dir.path().to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let e = e.unwrap();
                let m = e.metadata().unwrap();
                out.insert(e.path(), (m.len(), m.modified().unwrap()));
                if m.is_dir() {
                    stack.push(e.path());
                }
            }
        }
        out
    }

    pub fn rotate(&self, args: &[&str]) -> ToolRun {
        self.rotate_with_stdin(args, Vec::new())
    }

    pub fn rotate_with_stdin(&self, args: &[&str], stdin: Vec<u8>) -> ToolRun {
        tool(env!("CARGO_BIN_EXE_pra-rotate"))
            .args(["--repo", self.path()])
            .args(args)
            .stdin(stdin)
            .run()
    }
}

pub fn at(s: &str) -> DateTime<Utc> {
    pra_core::time::parse_ts(s).unwrap()
}

pub fn set_mtime(dir: &Path, t: SystemTime) {
    std::fs::File::open(dir)
        .unwrap()
        .set_times(std::fs::FileTimes::new().set_modified(t).set_accessed(t))
        .unwrap();
}

pub fn fields(ev: &Event) -> RotateFields {
    ev.fields_as().unwrap()
}

pub fn reasons<'a>(f: &'a RotateFields, id: &str) -> Vec<&'a str> {
    f.kept
        .iter()
        .find(|k| k.id == id)
        .map(|k| k.reasons.iter().map(String::as_str).collect())
        .unwrap_or_default()
}

pub fn kept_ids(f: &RotateFields) -> Vec<&str> {
    f.kept.iter().map(|k| k.id.as_str()).collect()
}

pub const NOW: &str = "2026-11-25T12:00:00Z";
