//! Shared by pra-wal's tests: a repository the server's OS user owns, a cluster
//! archiving into it through pra-wal, and the events pra-wal appends.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use pra_core::event::kinds::WalFields;
use pra_core::event::Event;
use pra_core::repo::{Repository, Storage};
use pra_testkit::{tool, ClusterOptions, PgCluster, S3Server, Tool};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

pub const BIN: &str = env!("CARGO_BIN_EXE_pra-wal");
pub const STANZA: &str = "main";

/// A repository (`repo/` in a temporary directory, or a prefix of the loopback S3
/// server) and an events file `wal.jsonl` in that directory.
pub struct Archive {
    pub dir: tempfile::TempDir,
    /// `--repo`.
    pub location: String,
    /// What pra-wal needs in its environment to reach the repository.
    pub env: Vec<(String, String)>,
    storage: Box<dyn Storage>,
}

impl Archive {
    /// A local repository.
    pub fn new() -> Archive {
        let dir = Self::dir();
        let location = dir.path().join("repo").display().to_string();
        let repo = Repository::create(&location).unwrap();
        drop(repo);
        let storage = Box::new(pra_core::repo::LocalStorage::new(&location));
        Archive {
            dir,
            location,
            env: Vec::new(),
            storage,
        }
    }

    /// A repository on the loopback S3 server.
    pub fn on_s3(server: &S3Server) -> Archive {
        let location = server.url("wal-test");
        Repository::with_storage(Box::new(server.storage("wal-test")))
            .unwrap()
            .init()
            .unwrap();
        Archive {
            dir: Self::dir(),
            location,
            env: server.env(),
            storage: Box::new(server.storage("wal-test")),
        }
    }

    fn dir() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        // The server's OS user must reach the repository and the events file.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(dir.path().join("wal.jsonl"), "").unwrap();
        dir
    }

    /// `env K=V … pra-wal`: what PostgreSQL runs (its own environment lacks ours).
    fn program(&self) -> String {
        let vars: Vec<String> = self.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        if vars.is_empty() {
            BIN.to_string()
        } else {
            format!("env {} {BIN}", vars.join(" "))
        }
    }

    /// The stored object of archived `name`, if any.
    pub fn stored(&self, name: &str) -> Option<Vec<u8>> {
        let key = pra_core::wal::key(STANZA, name).unwrap();
        self.storage.size(&key).unwrap()?;
        Some(self.storage.read(&key).unwrap())
    }

    /// Replaces the stored object of archived `name` (still owned by the server's OS
    /// user, who runs restore_command).
    pub fn overwrite(&self, name: &str, bytes: &[u8]) {
        let key = pra_core::wal::key(STANZA, name).unwrap();
        self.storage.write(&key, bytes).unwrap();
        if let Some((uid, gid)) = postgres_ids() {
            chown_tree(self.dir.path(), uid, gid);
        }
    }

    pub fn events_file(&self) -> PathBuf {
        self.dir.path().join("wal.jsonl")
    }

    /// The `archive_command` line.
    pub fn archive_command(&self) -> String {
        format!(
            "archive_command = '{} push --repo {} --stanza {STANZA} --events {} %p'",
            self.program(),
            self.location,
            self.events_file().display()
        )
    }

    /// The `restore_command` line.
    pub fn restore_command(&self) -> String {
        format!(
            "restore_command = '{} fetch --repo {} --stanza {STANZA} --events {} %f %p'",
            self.program(),
            self.location,
            self.events_file().display()
        )
    }

    /// The `wal` events appended so far, with their fields.
    pub fn events(&self) -> Vec<(Event, WalFields)> {
        std::fs::read_to_string(self.events_file())
            .unwrap()
            .lines()
            .map(|l| {
                let e = Event::parse_line(l.as_bytes()).unwrap();
                let f: WalFields = e.fields_as().unwrap();
                (e, f)
            })
            .collect()
    }

    /// pra-wal with this repository, stanza and events file, run in the archive's
    /// directory (no standby.signal there: a failed fetch exits 200).
    pub fn pra_wal(&self, op: &str) -> Tool {
        tool(BIN)
            .current_dir(self.dir.path())
            .envs(self.env.clone())
            .args([op, "--stanza", STANZA, "--repo", &self.location])
            .arg("--events")
            .arg(self.events_file())
    }
}

pub use pra_testkit::recovered::chown_tree;

/// A cluster that archives into `archive` through pra-wal.
pub fn archiving_cluster(archive: &Archive) -> PgCluster {
    // The server runs archive_command as its own OS user, who must own the repository.
    if let Some((uid, gid)) = postgres_ids() {
        chown_tree(archive.dir.path(), uid, gid);
    }
    PgCluster::start_with(ClusterOptions {
        conf: vec![
            "wal_level = replica".into(),
            "archive_mode = on".into(),
            archive.archive_command(),
        ],
        ..ClusterOptions::default()
    })
}

/// The server's OS user when the tests run as root (as pra-testkit runs it).
pub fn postgres_ids() -> Option<(u32, u32)> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    let out = std::process::Command::new("id")
        .args(["-u", "postgres"])
        .output()
        .unwrap();
    let uid: u32 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    let out = std::process::Command::new("id")
        .args(["-g", "postgres"])
        .output()
        .unwrap();
    let gid: u32 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    Some((uid, gid))
}
