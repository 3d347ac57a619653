//! Checking the files of one backup: the small ones (the globals file) on a thread of
//! their own while the large ones (the dump) are checked, so that their fixed costs
//! (opening, starting a decoder) overlap the dump's decoding instead of following it.
//! The results come back in the manifest's order: the verdict does not depend on which
//! thread finished first.

use crate::pipeline::{self, FileDigests, RawHash};
use crate::verify::Plan;
use pra_core::fetch::{check_present, FetchError};
use pra_core::manifest::{FileRole, Manifest, ManifestFile, VerifyLevel};
use pra_core::repo::Repository;

/// What checking one file found: its digests (none at the manifest level), or why not.
pub type Checked = Result<Option<FileDigests>, FetchError>;

/// Files up to this size are checked beside the others: their cost is fixed (opening,
/// a decoder's threads), a few milliseconds overlapped rather than added.
const SMALL_FILE: u64 = 1 << 20;

fn check_one(plan: &Plan, repo: &Repository, manifest: &Manifest, file: &ManifestFile) -> Checked {
    match plan.level {
        VerifyLevel::Manifest => check_present(repo, manifest, file).map(|()| None),
        VerifyLevel::Checksum | VerifyLevel::Restore => pipeline::check_file(
            repo,
            manifest,
            file,
            file.role == FileRole::Dump,
            plan.pg_bindir.as_deref(),
            // The restore level proves what a restore does, which follows the same rule.
            RawHash::UnlessFramesChecked,
        )
        .map(Some),
    }
}

/// True when the files after this one cannot change the outcome: no verdict can be
/// given (the repository cannot be read, pg_restore cannot run).
fn stops(checked: &Checked) -> bool {
    matches!(checked, Err(FetchError::Repo(_) | FetchError::Sink { .. }))
}

/// Checks the files of `manifest` at the plan's level; the results in the manifest's
/// order, ending with the first that [`stops`] the verification. `None` when SIGINT or
/// SIGTERM arrived meanwhile: a read cut short says nothing about the backup.
pub fn check_all(plan: &Plan, repo: &Repository, manifest: &Manifest) -> Option<Vec<Checked>> {
    // The manifest level only looks at sizes: nothing to overlap.
    let beside = |f: &ManifestFile| {
        plan.level != VerifyLevel::Manifest
            && f.role != FileRole::Dump
            && f.stored_bytes <= SMALL_FILE
    };
    let check = |f: &ManifestFile| {
        pra_core::signals::pending()
            .is_none()
            .then(|| check_one(plan, repo, manifest, f))
    };
    let (mut main, mut aside) = std::thread::scope(|s| {
        let aside = s.spawn(|| {
            let small = manifest.files.iter().filter(|f| beside(f));
            small.map_while(check).collect::<Vec<_>>()
        });
        let mut main = Vec::new();
        for file in manifest.files.iter().filter(|f| !beside(f)) {
            let Some(checked) = check(file) else { break };
            let stop = stops(&checked);
            main.push(checked);
            if stop {
                break;
            }
        }
        let aside = aside.join().unwrap_or_else(|_| {
            let file = manifest.files.iter().find(|f| beside(f));
            vec![Err(FetchError::Sink {
                file: file.map(|f| f.name.clone()).unwrap_or_default(),
                source: std::io::Error::other("the thread checking the small files failed"),
            })]
        });
        (main.into_iter(), aside.into_iter())
    });
    if pra_core::signals::pending().is_some() {
        return None;
    }
    let mut all = Vec::with_capacity(manifest.files.len());
    for file in &manifest.files {
        let next = if beside(file) {
            aside.next()
        } else {
            main.next()
        };
        let Some(checked) = next else { break };
        let stop = stops(&checked);
        all.push(checked);
        if stop {
            break;
        }
    }
    Some(all)
}

#[cfg(test)]
mod tests;
