//! `pra-restore --physical`: a physical backup written into a data directory, every
//! file checked against its sha256, with `backup_label`, `tablespace_map`,
//! `recovery.signal`, and `restore_command = 'pra-wal fetch …'` plus the recovery
//! target in `postgresql.auto.conf`; with `--start`, the server started and waited for
//! until recovery reached the target and queries are accepted. Encrypted files are
//! decrypted with `--identity`, checked (with the backup's first WAL segment) before
//! anything is written, and restore_command gets the same identity files' paths.

use crate::physical_args::{PhysicalArgs, TargetAction};
use crate::physical_tablespaces;
use crate::{Args, Error, TOOL};
use pra_core::codec::{Decoder, HashReader};
use pra_core::crypt::Unsealed;
use pra_core::event::kinds::RestoreFields;
use pra_core::event::{Event, EventWriter, Kind, Status};
use pra_core::exit::{Exit, ExitStatus};
use pra_core::fetch::{check_stored, compare_decoded_stored, FetchError};
use pra_core::manifest::{BackupKind, Manifest};
use pra_core::physical::{PhysicalSection, BACKUP_LABEL, TABLESPACE_MAP};
use pra_core::repo::{LockMode, Repository};
use pra_core::select::BackupSelector;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

/// Runs a physical restore; one `restore` event.
pub fn run(
    args: &Args,
    out: &mut EventWriter<std::io::Stdout>,
    started: Instant,
) -> Result<Exit, Error> {
    let p = &args.physical;
    let pgdata = p.pgdata.clone().unwrap_or_default();
    let mut fields = RestoreFields {
        target: pgdata.display().to_string(),
        ..RestoreFields::default()
    };
    let stanza = args.repo.stanza.clone().unwrap_or_default();
    let result = restore(args, p, &pgdata, &stanza, &mut fields);
    fields.rto_s = started.elapsed().as_secs_f64();
    let event = match &result {
        Ok(message) => Event::new(TOOL, Kind::Restore, Status::Ok, message.clone()),
        Err(e) => {
            fields.error = Some(e.to_string());
            Event::error(
                TOOL,
                Kind::Restore,
                e.class(),
                format!("physical restore failed: {e}"),
            )
        }
    };
    out.emit(&event.with_stanza(&stanza).with_fields(&fields))
        .map_err(|e| Error::io("writing events", e))?;
    match result {
        Ok(_) => Ok(Exit::Ok),
        Err(e) => Err(Error::Reported(Box::new(e))),
    }
}

fn restore(
    args: &Args,
    p: &PhysicalArgs,
    pgdata: &Path,
    stanza: &str,
    fields: &mut RestoreFields,
) -> Result<String, Error> {
    if stanza.is_empty() {
        return Err(Error::Usage(
            "--physical needs --stanza (or PRA_STANZA)".into(),
        ));
    }
    if p.target_action != TargetAction::Promote && !p.standby && recovery_target(p).is_none() {
        // PostgreSQL ignores recovery_target_action without a target: it would replay
        // the whole archive and promote, and --start would wait for a pause or a stop
        // that never comes.
        return Err(Error::Usage(format!(
            "--target-action {} needs a recovery target (--target-time, --target-lsn, \
             --target-xid, --target-name or --target immediate)",
            p.target_action.as_str()
        )));
    }
    let (repo, location, manifest) = pick_backup(args, p, stanza)?;
    fields.backup_id = Some(manifest.id.clone());
    fields.repo = Some(repo.location());
    let _lock = repo.lock_backup(stanza, &manifest.id, TOOL, LockMode::Shared)?;
    let section = PhysicalSection::of(&manifest).ok_or_else(|| {
        Error::Validation(format!("backup {} has no physical section", manifest.id))
    })?;
    section
        .check_paths()
        .map_err(|e| Error::Validation(format!("backup {}: {e}", manifest.id)))?;
    let spaces = physical_tablespaces::placements(&section, &p.tablespace_map)?;
    // A missing or wrong identity is refused before the data directory is touched.
    crate::physical_keys::check_keys(&repo, &manifest, stanza, &section.start_wal)?;
    let fetch = Instant::now();
    prepare_dir(pgdata, p.force)?;
    for ts in &spaces {
        prepare_dir(&ts.dir, p.force).map_err(|e| match e {
            Error::Usage(_) => physical_tablespaces::taken(ts),
            other => other,
        })?;
    }
    let dest = |path: &str| physical_tablespaces::destination(&spaces, pgdata, path);
    for d in &section.dirs {
        let dir = dest(d);
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    }
    for f in &section.files {
        let path = dest(&f.path);
        fields.raw_bytes += write_object(&repo, &manifest, &f.object, &path, f.mode)?;
    }
    write_object(
        &repo,
        &manifest,
        BACKUP_LABEL,
        &pgdata.join("backup_label"),
        0o600,
    )?;
    let map = pgdata.join("tablespace_map");
    write_object(&repo, &manifest, TABLESPACE_MAP, &map, 0o600)?;
    if std::fs::metadata(&map)
        .map(|m| m.len() == 0)
        .unwrap_or(false)
    {
        let _ = std::fs::remove_file(&map);
    }
    if spaces.iter().any(|t| t.moved) {
        // The stored map was checked above; PostgreSQL links what this one says.
        std::fs::write(&map, physical_tablespaces::tablespace_map(&spaces))
            .map_err(|e| Error::io(format!("writing {}", map.display()), e))?;
    }
    let keys = crate::physical_keys::identity_flags(&args.decrypt)?;
    write_recovery_config(pgdata, p, (&location, stanza, &keys), &manifest.id)?;
    fields.fetch_s = fetch.elapsed().as_secs_f64();
    let target = target_words(p);
    if !p.start {
        return Ok(format!(
            "physical backup {} written to {} ({target}); start the server to recover",
            manifest.id,
            pgdata.display()
        ));
    }
    let recovery = Instant::now();
    crate::physical_start::start_and_wait(args, p, pgdata)?;
    fields.restore_s = recovery.elapsed().as_secs_f64();
    // What the server is doing now that the wait is over (physical_start).
    let state = match p.target_action {
        _ if p.standby => "accepting read-only queries",
        TargetAction::Promote => "promoted and accepting queries",
        TargetAction::Pause => {
            "paused at the target, accepting read-only queries (SELECT pg_wal_replay_resume() ends recovery)"
        }
        TargetAction::Shutdown => {
            "stopped at the target (recovery.signal kept: started as is, it replays to the target and stops again)"
        }
    };
    Ok(format!(
        "physical backup {} restored to {}, recovered ({target}), {state}",
        manifest.id,
        pgdata.display(),
    ))
}

/// The target in words, for the message.
fn target_words(p: &PhysicalArgs) -> String {
    if p.standby {
        return "as a standby of the primary".to_string();
    }
    match recovery_target(p) {
        Some((k, v)) => format!("{k} = {v}"),
        None => "to the end of the archive".to_string(),
    }
}

/// The `recovery_target*` setting and its value.
fn recovery_target(p: &PhysicalArgs) -> Option<(&'static str, String)> {
    if let Some(t) = &p.target_time {
        Some(("recovery_target_time", t.clone()))
    } else if let Some(l) = &p.target_lsn {
        Some(("recovery_target_lsn", l.clone()))
    } else if let Some(x) = &p.target_xid {
        Some(("recovery_target_xid", x.clone()))
    } else if let Some(n) = &p.target_name {
        Some(("recovery_target_name", n.clone()))
    } else {
        p.target_immediate
            .as_ref()
            .map(|_| ("recovery_target", "immediate".to_string()))
    }
}

/// An LSN `X/Y` as a number, to compare positions.
pub fn parse_lsn(s: &str) -> Option<u64> {
    let (hi, lo) = s.split_once('/')?;
    Some((u64::from_str_radix(hi, 16).ok()? << 32) | u64::from_str_radix(lo, 16).ok()?)
}

/// A `--target-time` as PostgreSQL would read it, for picking the backup.
fn parse_target_time(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    if let Ok(t) = pra_core::time::parse_ts(s) {
        return Some(t);
    }
    let s = s.trim();
    for fmt in [
        "%Y-%m-%d %H:%M:%S%.f%#z",
        "%Y-%m-%d %H:%M:%S%#z",
        "%Y-%m-%dT%H:%M:%S%.f%#z",
    ] {
        if let Ok(t) = chrono::DateTime::parse_from_str(s, fmt) {
            return Some(t.with_timezone(&chrono::Utc));
        }
    }
    None
}

/// The repository holding the stanza, its location as given, and the backup: the one
/// `--backup` names, else the newest physical backup that ends before the target.
fn pick_backup(
    args: &Args,
    p: &PhysicalArgs,
    stanza: &str,
) -> Result<(Repository, String, Manifest), Error> {
    let time = match &p.target_time {
        Some(t) => Some(parse_target_time(t).ok_or_else(|| {
            Error::Usage(format!(
                "--target-time {t:?}: expected e.g. 2026-11-26 15:42:00+00"
            ))
        })?),
        None => None,
    };
    let lsn =
        match &p.target_lsn {
            Some(l) => Some(parse_lsn(l).ok_or_else(|| {
                Error::Usage(format!("--target-lsn {l:?}: expected e.g. 0/3000060"))
            })?),
            None => None,
        };
    let mut last_err = None;
    for location in &args.repo.repos {
        let repo = match Repository::open_existing(location) {
            Ok(r) => r,
            Err(e) => {
                last_err = Some(e.into());
                continue;
            }
        };
        let mut candidates: Vec<Manifest> = repo
            .complete_backups(stanza)?
            .into_iter()
            .filter(|m| m.kind == BackupKind::Physical)
            .collect();
        candidates.retain(|m| {
            let stop = PhysicalSection::of(m).and_then(|s| parse_lsn(&s.stop_lsn));
            match &args.backups.backup {
                BackupSelector::Id(id) => &m.id == id,
                _ => {
                    time.is_none_or(|t| m.finished_at <= t)
                        && lsn.is_none_or(|l| stop.is_some_and(|s| s <= l))
                }
            }
        });
        if let Some(m) = candidates.pop() {
            return Ok((repo, args.repo.repos.join(","), m));
        }
    }
    Err(last_err.unwrap_or_else(|| {
        Error::Usage(format!(
            "no physical backup of stanza {stanza:?} fits (--backup {:?}{}): take one with pra-backup --physical",
            args.backups.backup,
            if time.is_some() || lsn.is_some() { ", ending before the target" } else { "" }
        ))
    }))
}

/// Makes `dir` an empty 0700 directory: refused when it holds anything, unless `force`.
fn prepare_dir(dir: &Path, force: bool) -> Result<(), Error> {
    let io = |e| Error::io(format!("preparing {}", dir.display()), e);
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            let entries: Vec<_> = entries.collect::<Result<_, _>>().map_err(io)?;
            if !entries.is_empty() && !force {
                return Err(Error::Usage(format!(
                    "{} is not empty: refusing to write a data directory over it (stop the \
                     server and pass --force to empty it, or choose another --pgdata)",
                    dir.display()
                )));
            }
            for e in entries {
                let path = e.path();
                let r = if e.file_type().map_err(io)?.is_dir() {
                    std::fs::remove_dir_all(&path)
                } else {
                    std::fs::remove_file(&path)
                };
                r.map_err(io)?;
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        Err(e) => return Err(io(e)),
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io)
}

/// Decodes one object of the backup to `path`, checked against its sha256.
fn write_object(
    repo: &Repository,
    m: &Manifest,
    object: &str,
    path: &Path,
    mode: u32,
) -> Result<u64, Error> {
    let entry = m.files.iter().find(|f| f.name == object).ok_or_else(|| {
        Error::Validation(format!(
            "backup {}: object {object} is not in the manifest",
            m.id
        ))
    })?;
    let src = repo.open_file(&m.stanza, &m.id, object)?;
    let Unsealed { reader, tap } = pra_core::crypt::unseal(entry, src)?;
    let mut dec = HashReader::new(
        Decoder::new(reader, entry.codec)
            .map_err(|e| Error::io(format!("decoding {object}"), e))?,
    );
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
    let copied = std::io::copy(&mut dec, &mut file);
    let (_, digest) = match copied.and_then(|_| dec.finish()) {
        Ok(done) => done,
        Err(e) => {
            // An altered ciphertext fails to decrypt: the stored sha256 (taken again,
            // decoding does not) says so plainly; else the error stands.
            if entry.encryption.is_some() {
                if let Err(altered @ FetchError::Corrupt { .. }) = check_stored(repo, m, entry) {
                    return Err(altered.into());
                }
            }
            let what = format!("restoring {object} to {}", path.display());
            return Err(Error::io(what, e));
        }
    };
    if let Some(tap) = tap {
        // Its size; age authenticated every chunk it decrypted.
        let stored = tap
            .finish()
            .map_err(|e| Error::io(format!("reading {object}"), e))?;
        compare_decoded_stored(entry, &stored)?;
    }
    if digest.sha256 != entry.raw_sha256 || digest.bytes != entry.raw_bytes {
        return Err(Error::Validation(format!(
            "{object} ({}) does not match the manifest: sha256 {} ({} bytes), expected {} ({} bytes)",
            path.display(),
            digest.sha256,
            digest.bytes,
            entry.raw_sha256,
            entry.raw_bytes
        )));
    }
    file.set_permissions(std::fs::Permissions::from_mode(mode & 0o7777))
        .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
    Ok(digest.bytes)
}

use std::os::unix::fs::OpenOptionsExt;

/// A value in single quotes, as postgresql.conf reads it.
fn quoted(v: &str) -> String {
    format!("'{}'", v.replace('\'', "''"))
}

/// `recovery.signal`, and restore_command and the target in `postgresql.auto.conf`.
pub(crate) fn write_recovery_config(
    pgdata: &Path,
    p: &PhysicalArgs,
    (location, stanza, keys): (&str, &str, &[String]),
    id: &str,
) -> Result<(), Error> {
    let auto = pgdata.join("postgresql.auto.conf");
    let mut text = std::fs::read_to_string(&auto).unwrap_or_default();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    let mut command = format!(
        "{} fetch --repo {} --stanza {}",
        shell_word(&p.pra_wal),
        shell_word(location),
        shell_word(stanza)
    );
    for word in keys {
        command.push(' ');
        command.push_str(&shell_word(word));
    }
    command.push_str(" %f %p");
    text.push_str(&format!(
        "# pra-restore --physical {id}\nrestore_command = {}\n",
        quoted(&command)
    ));
    if p.archive_mode == "off" {
        text.push_str("archive_mode = 'off'\n");
    }
    if let Some((key, value)) = recovery_target(p) {
        text.push_str(&format!("{key} = {}\n", quoted(&value)));
        text.push_str(&format!(
            "recovery_target_action = {}\n",
            quoted(p.target_action.as_str())
        ));
    }
    let signal = match &p.primary_conninfo {
        Some(conninfo) if p.standby => {
            if conninfo.to_ascii_lowercase().contains("password") {
                return Err(Error::Usage(
                    "--primary-conninfo must not hold a password (it would be written to \
                     postgresql.auto.conf): give the standby's OS user a pgpass file, or passfile="
                        .into(),
                ));
            }
            text.push_str(&format!("primary_conninfo = {}\n", quoted(conninfo)));
            "standby.signal"
        }
        _ => "recovery.signal",
    };
    let io = |e| Error::io(format!("writing {}", auto.display()), e);
    std::fs::write(&auto, text).map_err(io)?;
    std::fs::write(pgdata.join(signal), "").map_err(|e| Error::io(format!("writing {signal}"), e))
}

/// A word for `sh -c` (restore_command runs through the shell).
fn shell_word(s: &str) -> String {
    if s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/._-:,+=@".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// How long [`crate::physical_start`] polls between attempts.
pub(crate) const POLL: Duration = Duration::from_millis(200);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lsns_and_times_parse_as_postgresql_writes_them() {
        assert_eq!(parse_lsn("0/3000060"), Some(0x3000060));
        assert_eq!(parse_lsn("1/0"), Some(1 << 32));
        assert_eq!(parse_lsn("x"), None);
        assert!(parse_target_time("2026-11-26 15:42:00+00").is_some());
        assert!(parse_target_time("2026-11-26 15:42:00.123456+00").is_some());
        assert!(parse_target_time("2026-11-26T15:42:00Z").is_some());
        assert!(parse_target_time("yesterday").is_none());
        assert_eq!(shell_word("/usr/bin/pra-wal"), "/usr/bin/pra-wal");
        assert_eq!(shell_word("a b'c"), "'a b'\\''c'");
        assert_eq!(quoted("it's"), "'it''s'");
    }

    #[test]
    fn a_non_empty_directory_is_refused_without_force() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().join("data");
        prepare_dir(&d, false).unwrap();
        std::fs::write(d.join("PG_VERSION"), "17").unwrap();
        assert!(matches!(prepare_dir(&d, false), Err(Error::Usage(_))));
        prepare_dir(&d, true).unwrap();
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 0);
    }
}
