//! One backup from start to event: open and lock the repositories, take the backup
//! (backup.rs), remove what a failure left, and say what happened — the `backup`
//! event, and one `error` event per repository that failed while the others went on.

use crate::backup::{take_backup, BackupOptions, BackupOutcome, Down, Failure};
use crate::{Error, TOOL};
use pra_core::event::kinds::{BackupFields, FileSummary};
use pra_core::event::{Event, Kind, Status};
use pra_core::exit::ExitStatus;
use pra_core::manifest::Manifest;
use pra_core::repo::{LockGuard, Repository};
use pra_core::time::format_bytes;
use std::time::Instant;

/// Takes one logical backup of `opts.conn`'s database into every repository.
///
/// On success the manifest is in every repository and the event says `ok` (or `warn`).
/// On failure nothing of this backup is left in any repository (no manifest, no data
/// file, no temporary file) and the event says `error` with the cause.
pub fn backup_database(opts: &BackupOptions) -> Result<BackupOutcome, Box<Failure>> {
    let clock = Instant::now();
    let redacted: Vec<String> = opts
        .repos
        .iter()
        .map(|r| pra_core::redact::redact_url(r))
        .collect();
    let mut down: Down = Vec::new();
    let (repos, locks) = open_repositories(opts, &mut down).map_err(|(e, repos)| {
        failure(opts, clock, e, None, repos.as_deref().unwrap_or(&redacted))
    })?;
    let located: Vec<String> = repos.iter().map(Repository::location).collect();

    let mut reserved = Vec::new();
    let mut warnings = Vec::new();
    let result = take_backup(opts, &repos, &mut reserved, &mut warnings, &mut down)
        .map_err(|e| e.with_privilege_hint(&opts.conn.user()));
    let manifest = match result {
        Ok(m) => m,
        Err(error) => {
            remove_partial(opts, &repos, &reserved);
            let id = reserved.first().map(|(_, id)| id.clone());
            drop(locks);
            return Err(failure(opts, clock, error, id, &located));
        }
    };
    drop(locks);

    let repo_failures = repository_failures(opts, &down, &mut warnings);
    let located: Vec<String> = located
        .into_iter()
        .filter(|l| !down.iter().any(|(d, _)| d == l))
        .collect();
    let event = success(opts, &manifest, warnings, &located, clock);
    Ok(BackupOutcome {
        manifest,
        event,
        repo_failures,
    })
}

/// Opens (or with `--init` creates) and locks every repository. With several, one that
/// cannot be opened or locked goes to `down` and the backup goes to the others; with
/// one, or when none is left, the error is returned (with the repositories to name).
#[allow(clippy::type_complexity)]
fn open_repositories(
    opts: &BackupOptions,
    down: &mut Down,
) -> Result<(Vec<Repository>, Vec<Box<dyn LockGuard>>), (Error, Option<Vec<String>>)> {
    let several = opts.repos.len() > 1;
    let mut opened_repos = Vec::new();
    for location in &opts.repos {
        let opened = if opts.init {
            Repository::create_with(location, opts.group_readable)
        } else {
            Repository::open_existing(location)
        }
        .and_then(|r| Repository::check_writer(location, &opts.stanza, TOOL).map(|()| r));
        match opened {
            Ok(r) => opened_repos.push(r),
            Err(e) if several => down.push((pra_core::redact::redact_url(location), e.into())),
            Err(e) => return Err((e.into(), None)),
        }
    }
    let mut repos = Vec::new();
    let mut locks: Vec<Box<dyn LockGuard>> = Vec::new();
    for repo in opened_repos {
        match repo.lock_stanza(&opts.stanza, TOOL, opts.wait) {
            Ok(l) => {
                locks.push(l);
                repos.push(repo);
            }
            Err(e) if several => down.push((repo.location(), e.into())),
            Err(e) => return Err((e.into(), Some(vec![repo.location()]))),
        }
    }
    if repos.is_empty() {
        for (location, e) in down.iter() {
            log::error!("repository {location}: {e}");
        }
        if let Some((_, e)) = down.pop() {
            return Err((e, None));
        }
    }
    Ok((repos, locks))
}

/// Removes the backups reserved in each repository by a run that failed.
fn remove_partial(opts: &BackupOptions, repos: &[Repository], reserved: &[(usize, String)]) {
    for (i, id) in reserved {
        if let Some(repo) = repos.get(*i) {
            if let Err(e) = repo.delete_backup(&opts.stanza, id) {
                log::error!("could not remove the partial backup {id}: {e}");
            }
        }
    }
}

/// The failed backup's `error` event, with its error.
fn failure(
    opts: &BackupOptions,
    clock: Instant,
    error: Error,
    id: Option<String>,
    repos: &[String],
) -> Box<Failure> {
    let error = error.or_stopped();
    let reason = error.to_string();
    let fields = BackupFields {
        id,
        error: Some(reason.clone()),
        duration_s: clock.elapsed().as_secs_f64(),
        ..base_fields(opts, repos)
    };
    let event = Event::error(
        TOOL,
        Kind::Backup,
        error.class(),
        format!(
            "backup of {} failed: {}",
            opts.conn.dbname(),
            first_line(&reason)
        ),
    )
    .with_stanza(&opts.stanza)
    .with_fields(&fields);
    Box::new(Failure { error, event })
}

/// One `error` event per repository that failed while the backup went on to the
/// others, each also a warning of the backup's own event.
fn repository_failures(
    opts: &BackupOptions,
    down: &Down,
    warnings: &mut Vec<String>,
) -> Vec<Event> {
    down.iter()
        .map(|(location, e)| {
            let reason = e.to_string();
            warnings.push(format!(
                "repository {location} failed, the backup is on the others: {}",
                first_line(&reason)
            ));
            Event::error(
                TOOL,
                Kind::Backup,
                e.class(),
                format!(
                    "backup of {} to repository {location} failed: {}",
                    opts.conn.dbname(),
                    first_line(&reason)
                ),
            )
            .with_stanza(&opts.stanza)
            .with_fields(&BackupFields {
                error: Some(reason),
                ..base_fields(opts, std::slice::from_ref(location))
            })
        })
        .collect()
}

/// The completed backup's event: `ok`, or `warn` with the warnings.
fn success(
    opts: &BackupOptions,
    manifest: &Manifest,
    warnings: Vec<String>,
    located: &[String],
    clock: Instant,
) -> Event {
    let duration_s = clock.elapsed().as_secs_f64();
    let raw = manifest.raw_bytes();
    let stored = manifest.stored_bytes();
    let status = if warnings.is_empty() {
        Status::Ok
    } else {
        Status::Warn
    };
    let fields = BackupFields {
        id: Some(manifest.id.clone()),
        files: manifest
            .files
            .iter()
            .map(|f| FileSummary {
                name: f.name.clone(),
                raw_bytes: f.raw_bytes,
                stored_bytes: f.stored_bytes,
                raw_sha256: f.raw_sha256.clone(),
                stored_sha256: f.stored_sha256.clone(),
            })
            .collect(),
        raw_bytes: raw,
        stored_bytes: stored,
        duration_s,
        throughput_bytes_per_s: if duration_s > 0.0 {
            raw as f64 / duration_s
        } else {
            0.0
        },
        wal_lsn: manifest.wal_lsn.clone(),
        tables: manifest.tables.len() as u64,
        rows: manifest.tables.iter().filter_map(|t| t.rows).sum(),
        server_version: Some(manifest.server_version.clone()),
        warnings,
        ..base_fields(opts, located)
    };
    Event::new(
        TOOL,
        Kind::Backup,
        status,
        format!(
            "backup {}: {} -> {} in {:.1} s",
            manifest.id,
            format_bytes(raw),
            format_bytes(stored),
            duration_s
        ),
    )
    .with_stanza(&opts.stanza)
    .with_fields(&fields)
}

fn base_fields(opts: &BackupOptions, repos: &[String]) -> BackupFields {
    BackupFields {
        repo: repos.to_vec(),
        database: Some(opts.conn.dbname()),
        backup_type: Some("logical".to_string()),
        codec: Some(opts.encode.codec.as_str().to_string()),
        encrypted_to: opts
            .encrypt
            .as_ref()
            .map(|r| r.record().recipients)
            .unwrap_or_default(),
        ..Default::default()
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}
