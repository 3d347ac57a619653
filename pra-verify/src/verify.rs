//! Verifying one backup at the level asked for, into an [`Outcome`]: what was
//! checked, what was wrong, or why no verdict could be given.

use crate::restore::{test_restore, NoVerdict, RestoreSettings};
use pra_core::error_class::ErrorClass;
use pra_core::event::kinds::VerifyFields;
use pra_core::exit::ExitStatus;
use pra_core::fetch::FetchError;
use pra_core::manifest::{Manifest, VerifyLevel};
use pra_core::repo::{LockMode, RepoError, Repository, MANIFEST_FILE};
use std::path::PathBuf;
use std::time::Instant;

/// How backups are verified in this run.
pub struct Plan {
    /// How deep.
    pub level: VerifyLevel,
    /// Directory of `pg_restore`.
    pub pg_bindir: Option<PathBuf>,
    /// The server for the restore level.
    pub server: Option<pra_core::conn::ConnSettings>,
    /// Why the server for the restore level cannot be reached, if it cannot.
    pub server_down: Option<String>,
    /// `pg_restore` jobs for the restore level.
    pub jobs: u32,
    /// `--check-sql` statements.
    pub checks: Vec<String>,
    /// `--stall-timeout` of the test restore.
    pub stall_timeout: std::time::Duration,
}

/// The result of verifying one backup.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The event fields (problems included).
    pub fields: VerifyFields,
    /// Set when no verdict could be given: the repository or server could not be
    /// reached, a lock is held (exit 3, no verify.json).
    pub unreachable: Option<String>,
    /// The signal that interrupted the verification.
    pub interrupted: Option<i32>,
    /// Why there is no verdict or what the failure is, when not a plain verification
    /// problem: the event's `error_class` (see [`Outcome::class`]).
    pub class: Option<ErrorClass>,
    /// True when the backup directory exists, so verify.json can be written.
    pub recordable: bool,
    /// Set when the backup was listed but deleted (by retention) before it could be
    /// verified: nothing to verify, no verdict, no failure.
    pub skipped: Option<String>,
}

impl Outcome {
    fn problem(&mut self, p: impl Into<String>) {
        self.fields.problems.push(p.into());
    }

    /// A stored file that does not match its manifest.
    fn corrupt(&mut self, p: impl Into<String>) {
        self.class = Some(ErrorClass::Corrupt);
        self.problem(p);
    }

    /// No verdict can be given (exit 3): the repository, the server or our side failed.
    fn no_verdict(&mut self, class: ErrorClass, why: impl Into<String>) {
        self.class = Some(class);
        self.unreachable = Some(why.into());
    }

    /// The class of the failure, for the event's `error_class`.
    pub fn class(&self) -> ErrorClass {
        self.class.unwrap_or(ErrorClass::Verification)
    }
}

fn level_name(level: VerifyLevel) -> &'static str {
    match level {
        VerifyLevel::Manifest => "manifest",
        VerifyLevel::Checksum => "checksum",
        VerifyLevel::Restore => "restore",
    }
}

/// Verifies backup `id` of `stanza`. `listed`: the id comes from listing the
/// repository (not from a `backup` event), so that its disappearance since is a
/// rotation's doing rather than a missing backup.
pub fn verify_backup(
    plan: &Plan,
    repo: &Repository,
    stanza: &str,
    id: &str,
    listed: bool,
) -> Outcome {
    let started = Instant::now();
    let mut out = Outcome::default();
    out.fields.id = Some(id.to_string());
    out.fields.repo = Some(repo.location());
    out.fields.level = Some(level_name(plan.level).to_string());
    verify_into(plan, repo, stanza, id, listed, &mut out);
    out.fields.duration_s = started.elapsed().as_secs_f64();
    if out.fields.stored_bytes > 0 && out.fields.duration_s > 0.0 {
        out.fields.throughput_bytes_per_s = out.fields.stored_bytes as f64 / out.fields.duration_s;
    }
    out.fields.problem = out.fields.problems.first().cloned();
    out
}

fn no_manifest(stanza: &str, id: &str) -> String {
    format!("backup {stanza}/{id} has no manifest.json (missing, or an incomplete backup)")
}

/// What a backup listed earlier has become, once its manifest is found missing:
/// the note saying it was deleted (or is being deleted) since, or `None` when it is
/// still there without a manifest (an incomplete backup, a failure).
fn deleted_since_listed(repo: &Repository, stanza: &str, id: &str) -> Option<String> {
    let still_there = || {
        repo.backups(stanza)
            .map(|b| b.iter().any(|b| b.id == id))
            .unwrap_or(true)
    };
    let deleted =
        || format!("backup {stanza}/{id} was deleted since it was listed (retention): skipped");
    if !still_there() {
        return Some(deleted());
    }
    // The manifest goes first when pra-rotate deletes, under the backup's exclusive
    // lock; once we hold the shared lock, a directory still there is not being deleted.
    match repo.lock_backup(stanza, id, crate::TOOL, LockMode::Shared) {
        Err(RepoError::Locked { holder, .. }) => Some(format!(
            "backup {stanza}/{id} is being deleted by {holder} (retention): skipped"
        )),
        Ok(_lock) if !still_there() => Some(deleted()),
        _ => None,
    }
}

fn verify_into(
    plan: &Plan,
    repo: &Repository,
    stanza: &str,
    id: &str,
    listed: bool,
    out: &mut Outcome,
) {
    let manifest = match repo.read_manifest(stanza, id) {
        Ok(m) => m,
        Err(RepoError::NotFound(_)) => {
            if let Some(note) = listed
                .then(|| deleted_since_listed(repo, stanza, id))
                .flatten()
            {
                out.skipped = Some(note);
                return;
            }
            out.recordable = repo
                .backups(stanza)
                .map(|b| b.iter().any(|b| b.id == id))
                .unwrap_or(false);
            out.problem(no_manifest(stanza, id));
            return;
        }
        Err(RepoError::Format(e)) => {
            out.recordable = true;
            out.problem(format!("manifest.json: {e}"));
            return;
        }
        Err(RepoError::InvalidName(e)) => {
            out.problem(format!("invalid backup name: {e}"));
            return;
        }
        Err(e) => {
            out.no_verdict(e.class(), e.to_string());
            return;
        }
    };
    out.recordable = true;
    if manifest.stanza != stanza || manifest.id != id {
        out.problem(format!(
            "manifest.json describes backup {}/{}, not {stanza}/{id}",
            manifest.stanza, manifest.id
        ));
        return;
    }
    // A file list without the dump passes every check of the files it does list:
    // the kind says what must be there.
    for missing in manifest.missing_files() {
        out.problem(missing);
    }
    if plan.level == VerifyLevel::Restore {
        if let Some(why) = &plan.server_down {
            out.no_verdict(ErrorClass::Connection, why.clone());
            return;
        }
    }
    // Held until the end of this function: pra-rotate cannot delete the backup meanwhile.
    let lock = repo.lock_backup(stanza, id, crate::TOOL, LockMode::Shared);
    // Deleted, or being deleted, between reading the manifest and locking.
    if listed && matches!(repo.file_size(stanza, id, MANIFEST_FILE), Ok(None)) {
        drop(lock);
        match deleted_since_listed(repo, stanza, id) {
            Some(note) => out.skipped = Some(note),
            None => out.problem(no_manifest(stanza, id)),
        }
        return;
    }
    let _lock = match lock {
        Ok(l) => l,
        Err(e) => {
            out.no_verdict(e.class(), e.to_string());
            return;
        }
    };
    let mut locked_out: Option<String> = None;
    // A read cut short by SIGINT or SIGTERM says nothing about the backup.
    let Some(all_checked) = crate::files::check_all(plan, repo, &manifest) else {
        out.interrupted = pra_core::signals::pending();
        return;
    };
    for checked in all_checked {
        out.fields.files_checked += 1;
        match checked {
            Ok(Some(d)) => {
                out.fields.stored_bytes += d.stored.bytes;
                out.fields.raw_bytes += d.raw.bytes;
            }
            Ok(None) => {}
            Err(FetchError::Repo(e)) => {
                out.no_verdict(e.class(), e.to_string());
                return;
            }
            // No identity, or a wrong one: the other files are still checked (a damaged
            // one is a verdict); no verdict on what could not be decoded.
            Err(FetchError::Key(e)) => {
                locked_out.get_or_insert(e.to_string());
            }
            // Our side failed (pg_restore cannot run): no verdict on the backup.
            Err(FetchError::Sink { file, source }) => {
                out.no_verdict(ErrorClass::Child, format!("{file}: {source}"));
                return;
            }
            Err(e) => out.corrupt(e.to_string()),
        }
    }
    if plan.level != VerifyLevel::Manifest {
        if let Some(section) = pra_core::physical::PhysicalSection::of(&manifest) {
            match crate::wal_gaps::gaps(repo, stanza, &section) {
                Ok(gaps) => gaps.into_iter().for_each(|g| out.problem(g)),
                Err(e) => out.no_verdict(e.class(), e.to_string()),
            }
        }
    }
    if let Some(why) = locked_out.filter(|_| out.fields.problems.is_empty()) {
        out.no_verdict(ErrorClass::Key, why);
        return;
    }
    if plan.level == VerifyLevel::Restore && out.fields.problems.is_empty() {
        restore_level(plan, repo, &manifest, out);
    }
}

fn restore_level(plan: &Plan, repo: &Repository, manifest: &Manifest, out: &mut Outcome) {
    let Some(server) = plan.server.as_ref() else {
        out.no_verdict(ErrorClass::Config, "no server for the restore level");
        return;
    };
    let settings = RestoreSettings {
        server,
        jobs: plan.jobs,
        checks: &plan.checks,
        pg_bindir: plan.pg_bindir.as_deref(),
        stall_timeout: plan.stall_timeout,
    };
    match test_restore(&settings, repo, manifest) {
        Ok(r) => {
            out.fields.scratch_database = Some(r.scratch);
            out.fields.restore_s = Some(r.restore_s);
            out.fields.tables_checked = r.tables;
            out.fields.rows_checked = r.rows;
            out.fields.tables_not_compared = r.not_compared;
            out.fields.assertions_passed = r.assertions;
            out.fields.problems.extend(r.problems);
        }
        Err(NoVerdict::Unreachable(e)) => out.no_verdict(ErrorClass::Connection, e),
        Err(NoVerdict::Interrupted(sig)) => out.interrupted = Some(sig),
        Err(NoVerdict::Stalled(why)) => out.no_verdict(ErrorClass::Timeout, why),
    }
}
