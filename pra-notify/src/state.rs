//! The `--only-changes` memory: what was wrong at the end of the last run, keyed by
//! stanza, kind and check name, kept in a small JSON file written atomically (0600).

use pra_core::event::{Event, Status};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io;
use std::path::Path;

/// One thing that is wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// Its status when last alerted.
    pub status: Status,
    /// When it was first alerted (RFC 3339).
    pub since: String,
    /// The message of the event that raised it.
    #[serde(default)]
    pub message: String,
}

/// What is wrong, by key; absent keys are fine.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// Format version of the file.
    #[serde(default)]
    pub version: u32,
    /// Open problems by key (see [`key_of`]).
    #[serde(default)]
    pub problems: BTreeMap<String, Problem>,
}

/// The key an event is tracked under: stanza, kind and (for `check` events) check
/// name and target, so that two disks or two API URLs of one run are tracked apart.
pub fn key_of(event: &Event) -> String {
    let mut key = format!(
        "{}/{}/{}",
        event.stanza.as_deref().unwrap_or("-"),
        event.kind.as_str(),
        event.str_field("name").unwrap_or("-")
    );
    if let Some(target) = event.str_field("target") {
        key.push(':');
        key.push_str(target);
    }
    key
}

impl State {
    /// Reads the state file; a missing file is an empty state. A file that cannot be
    /// understood is reported and replaced: a stale memory must not silence alerts forever.
    pub fn load(path: &Path) -> io::Result<State> {
        match std::fs::read(path) {
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(state) => Ok(state),
                Err(e) => {
                    log::warn!(
                        "state file {} is not valid ({e}); starting from an empty state",
                        path.display()
                    );
                    Ok(State::default())
                }
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(State::default()),
            Err(e) => Err(e),
        }
    }

    /// Writes the state file atomically ([`pra_core::fs::write_atomic`]), mode 0600:
    /// a crash leaves the old or the new file.
    pub fn save(&self, path: &Path) -> io::Result<()> {
        let mut bytes = serde_json::to_vec_pretty(&State {
            version: 1,
            problems: self.problems.clone(),
        })
        .map_err(io::Error::other)?;
        bytes.push(b'\n');
        pra_core::fs::write_atomic(path, &bytes, 0o600)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pra_core::event::Kind;

    #[test]
    fn saves_atomically_with_mode_0600_and_reads_back() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify.state");
        assert_eq!(State::load(&path).unwrap(), State::default());
        let mut s = State::default();
        s.problems.insert(
            "app/check/disk".into(),
            Problem {
                status: Status::Error,
                since: "2026-11-25T12:00:00Z".into(),
                message: "disk full".into(),
            },
        );
        s.save(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let back = State::load(&path).unwrap();
        assert_eq!(back.problems, s.problems);
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp left"
        );
        std::fs::write(&path, "not json").unwrap();
        assert_eq!(State::load(&path).unwrap(), State::default());
    }

    #[test]
    fn keys_name_stanza_kind_and_check() {
        let ev = Event::new("pra-status", Kind::Check, Status::Error, "x")
            .with_stanza("app")
            .with_field("name", "disk");
        assert_eq!(key_of(&ev), "app/check/disk");
        let other_disk = ev.clone().with_field("target", "/srv");
        assert_eq!(key_of(&other_disk), "app/check/disk:/srv");
        let ev = Event::new("pra-backup", Kind::Backup, Status::Error, "x");
        assert_eq!(key_of(&ev), "-/backup/-");
    }
}
