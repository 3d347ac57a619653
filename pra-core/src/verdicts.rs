//! The verdicts of a backup (`verify.json`): one per verification level, merged so that a
//! verdict never weakens, and the one rule that says whether a backup is verified.
//!
//! Rules (docs/VERIFY.md has them as a table):
//! - a newer result at a level replaces the older one at that level, and only that one;
//! - a failure stands until a newer pass at a *stronger* level (a pass at the same level
//!   replaces it); a weaker pass never erases it;
//! - "verified" = no standing failure and a passing checksum or restore verdict; the
//!   strongest such level is the one reported.

use crate::event::Status;
use crate::manifest::{parse_versioned, FormatError, VerifyLevel, VerifyRecord, VERIFY_FORMAT};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The verdict of one level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// The level verified.
    pub level: VerifyLevel,
    /// Passed (`ok`) or not (`error`).
    pub status: Status,
    /// When the verification finished.
    pub verified_at: DateTime<Utc>,
    /// How long it took.
    pub duration_s: f64,
    /// What failed, in plain words (empty when it passed).
    #[serde(default)]
    pub problems: Vec<String>,
    /// The pra version that verified.
    pub tool_version: String,
    /// Fields written by newer versions of the same format.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Verdict {
    /// True when this verification passed.
    pub fn passed(&self) -> bool {
        self.status != Status::Error
    }

    /// The level's name as in JSON (`manifest`, `checksum`, `restore`).
    pub fn level_name(&self) -> &'static str {
        level_name(self.level)
    }
}

/// The level's name as in JSON and on the command line.
pub fn level_name(level: VerifyLevel) -> &'static str {
    match level {
        VerifyLevel::Manifest => "manifest",
        VerifyLevel::Checksum => "checksum",
        VerifyLevel::Restore => "restore",
    }
}

impl From<&VerifyRecord> for Verdict {
    fn from(r: &VerifyRecord) -> Verdict {
        Verdict {
            level: r.level,
            status: r.status,
            verified_at: r.verified_at,
            duration_s: r.duration_s,
            problems: r.problems.clone(),
            tool_version: r.tool_version.clone(),
            extra: r.extra.clone(),
        }
    }
}

/// Where a backup stands after all its verifications.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Standing<'a> {
    /// A passing checksum or restore verdict and no standing failure: the strongest pass.
    Verified(&'a Verdict),
    /// A failure no newer, stronger pass has erased: the newest such failure.
    Failed(&'a Verdict),
    /// Never verified, or only a manifest-level pass (the files are there, nothing more).
    Unverified,
}

/// The content of `verify.json`: the newest verdict of each level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdicts {
    /// File format number ([`VERIFY_FORMAT`]).
    pub format: u32,
    /// The backup verified.
    pub backup_id: String,
    /// At most one per level, weakest level first.
    pub verdicts: Vec<Verdict>,
    /// Fields written by newer versions of the same format.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Verdicts {
    /// No verdict yet for backup `backup_id`.
    pub fn new(backup_id: &str) -> Verdicts {
        Verdicts {
            format: VERIFY_FORMAT,
            backup_id: backup_id.to_string(),
            verdicts: Vec::new(),
            extra: Default::default(),
        }
    }

    /// Reads `verify.json` of either format; `what` names it in errors.
    pub fn from_json(bytes: &[u8], what: &str) -> Result<Verdicts, FormatError> {
        let format = serde_json::from_slice::<serde_json::Value>(bytes)
            .ok()
            .and_then(|v| v.get("format").and_then(serde_json::Value::as_u64));
        if format == Some(1) {
            // Format 1: one record per backup, the last verification of any level.
            let old: VerifyRecord = parse_versioned(bytes, what, 1)?;
            let mut v = Verdicts::new(&old.backup_id);
            v.merge(&old);
            return Ok(v);
        }
        parse_versioned(bytes, what, VERIFY_FORMAT)
    }

    /// The verdicts as pretty JSON, in the current format.
    pub fn to_json(&self) -> Vec<u8> {
        let mut this = self.clone();
        this.format = VERIFY_FORMAT;
        let mut v = serde_json::to_vec_pretty(&this).unwrap_or_default();
        v.push(b'\n');
        v
    }

    /// Takes a new verification into account: it replaces the verdict of its own level
    /// unless that one is newer; other levels are untouched.
    pub fn merge(&mut self, record: &VerifyRecord) {
        let new = Verdict::from(record);
        match self.verdicts.iter_mut().find(|v| v.level == new.level) {
            Some(old) if old.verified_at > new.verified_at => {}
            Some(old) => *old = new,
            None => {
                self.verdicts.push(new);
                self.verdicts.sort_by_key(|v| v.level);
            }
        }
    }

    /// The verdict of one level, if that level was verified.
    pub fn get(&self, level: VerifyLevel) -> Option<&Verdict> {
        self.verdicts.iter().find(|v| v.level == level)
    }

    /// The most recent verdict of any level.
    pub fn newest(&self) -> Option<&Verdict> {
        self.verdicts.iter().max_by_key(|v| v.verified_at)
    }

    /// Where the backup stands (see the module's rules).
    pub fn standing(&self) -> Standing<'_> {
        let standing_failure = self
            .verdicts
            .iter()
            .filter(|f| !f.passed())
            .filter(|f| {
                !self
                    .verdicts
                    .iter()
                    .any(|p| p.passed() && p.level > f.level && p.verified_at > f.verified_at)
            })
            .max_by_key(|f| f.verified_at);
        if let Some(f) = standing_failure {
            return Standing::Failed(f);
        }
        match self
            .verdicts
            .iter()
            .filter(|v| v.passed() && v.level >= VerifyLevel::Checksum)
            .max_by_key(|v| v.level)
        {
            Some(v) => Standing::Verified(v),
            None => Standing::Unverified,
        }
    }

    /// The verdict that makes the backup verified, if it is.
    pub fn verified(&self) -> Option<&Verdict> {
        match self.standing() {
            Standing::Verified(v) => Some(v),
            _ => None,
        }
    }
}

#[cfg(test)]
#[path = "verdicts_tests.rs"]
mod tests;
