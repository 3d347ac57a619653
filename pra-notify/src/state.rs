//! The `--only-changes` memory: what was wrong at the end of the last run, keyed by
//! stanza, kind and check name, kept in a small JSON file written atomically (0600).

use pra_core::event::{Event, Status};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

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

/// A state file that could not be understood, renamed aside so that it can be
/// looked at (and its open problems read by a person) instead of being overwritten.
#[derive(Debug, Clone, PartialEq)]
pub struct SetAside {
    /// Where the damaged file now is (`<state file>.damaged-<UTC time>`).
    pub kept_as: PathBuf,
    /// Why it could not be read.
    pub reason: String,
}

impl State {
    /// Reads the state file; a missing file is an empty state. A damaged file is
    /// renamed aside ([`State::load_or_set_aside`]) and the state starts empty.
    pub fn load(path: &Path) -> io::Result<State> {
        Self::load_or_set_aside(path).map(|(state, _)| state)
    }

    /// Reads the state file; a missing file is an empty state. A file that cannot be
    /// understood is renamed aside and the state starts empty (a stale memory must
    /// not silence alerts forever); the caller says so, since the problems it held
    /// are no longer known to be open.
    pub fn load_or_set_aside(path: &Path) -> io::Result<(State, Option<SetAside>)> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((State::default(), None)),
            Err(e) => return Err(e),
        };
        let reason = match serde_json::from_slice(&bytes) {
            Ok(state) => return Ok((state, None)),
            Err(e) => e.to_string(),
        };
        let kept_as = aside_name(path);
        std::fs::rename(path, &kept_as)?;
        log::warn!(
            "state file {} is not valid ({reason}): kept as {}; starting from an empty state",
            path.display(),
            kept_as.display()
        );
        Ok((State::default(), Some(SetAside { kept_as, reason })))
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

/// A free name beside `path` for its damaged copy: `<name>.damaged-<UTC time>`, with
/// `-N` when a damaged copy of the same second exists (none is ever overwritten).
fn aside_name(path: &Path) -> PathBuf {
    let stamp = pra_core::repo::backup_id_for(pra_core::time::now());
    let base = format!("{}.damaged-{stamp}", path.display());
    (0..)
        .map(|n| match n {
            0 => PathBuf::from(&base),
            n => PathBuf::from(format!("{base}-{n}")),
        })
        .find(|p| !p.exists())
        .unwrap_or_else(|| PathBuf::from(base))
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
        let (state, aside) = State::load_or_set_aside(&path).unwrap();
        assert_eq!(state, State::default());
        let aside = aside.expect("the damaged file is set aside");
        assert_eq!(std::fs::read(&aside.kept_as).unwrap(), b"not json");
        assert!(!path.exists(), "renamed, not copied");
        std::fs::write(&path, "{").unwrap();
        let second = State::load_or_set_aside(&path).unwrap().1.unwrap();
        assert_ne!(
            second.kept_as, aside.kept_as,
            "an earlier damaged copy is kept"
        );
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
