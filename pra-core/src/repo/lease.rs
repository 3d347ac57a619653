//! Leases: the locks of object storage, which has no `flock` and no process that
//! dies with its holder. A lease is an object naming its holder (tool, host, pid,
//! since) and an expiry; it is taken with put-if-absent, renewed by a thread while
//! its guard lives, deleted when the guard drops, and taken over by another process
//! only once expired (a holder that was killed stops renewing).
//!
//! Exclusive: the object `<key>` itself. Shared (readers): one object per reader
//! under `<key>.readers/`; a writer that finds a live reader gives its lease back.

use super::object::ObjectStorage;
use super::storage::{LockGuard, LockHolder, LockMode, Storage};
use super::RepoError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long a lease lasts without renewal: a killed holder blocks others this long.
pub const LEASE_TTL: Duration = Duration::from_secs(60);
/// How often a live holder renews (a third of the TTL: two renewals may fail).
const RENEW_EVERY: Duration = Duration::from_secs(20);

/// The content of a lease object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lease {
    /// Who holds it.
    #[serde(flatten)]
    pub holder: LockHolder,
    /// `exclusive` or `shared`.
    pub mode: String,
    /// Until when, unless renewed.
    pub expires_at: DateTime<Utc>,
}

impl Lease {
    /// A lease for `holder` from now on.
    pub fn new(holder: &LockHolder, mode: LockMode) -> Lease {
        let ttl = chrono::Duration::from_std(LEASE_TTL).unwrap_or(chrono::Duration::zero());
        Lease {
            holder: holder.clone(),
            mode: match mode {
                LockMode::Exclusive => "exclusive",
                LockMode::Shared => "shared",
            }
            .to_string(),
            expires_at: crate::time::now() + ttl,
        }
    }

    /// The lease as stored.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    fn live(&self) -> bool {
        self.expires_at > crate::time::now()
    }

    fn describe(&self) -> String {
        format!(
            "{} (lease until {})",
            self.holder,
            crate::time::format_ts(&self.expires_at)
        )
    }
}

/// A stored lease: its raw bytes, and the lease when they parse.
type Stored = (Vec<u8>, Option<Lease>);

/// The lease stored under `key`; `None` when there is none.
fn read_lease(st: &ObjectStorage, key: &str) -> Result<Option<Stored>, RepoError> {
    match st.read(key) {
        Ok(raw) => {
            let lease = serde_json::from_slice(&raw).ok();
            Ok(Some((raw, lease)))
        }
        Err(RepoError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Takes a lease, waiting up to `wait` while a live one is held by someone else.
pub(super) fn acquire(
    st: &ObjectStorage,
    key: &str,
    holder: &LockHolder,
    mode: LockMode,
    wait: Duration,
) -> Result<Box<dyn LockGuard>, RepoError> {
    let deadline = Instant::now() + wait;
    loop {
        let held_by = match mode {
            LockMode::Exclusive => match try_exclusive(st, key, holder)? {
                Ok(guard) => return Ok(Box::new(guard)),
                Err(other) => other,
            },
            LockMode::Shared => match try_shared(st, key, holder)? {
                Ok(guard) => return Ok(Box::new(guard)),
                Err(other) => other,
            },
        };
        // A stopping run (SIGTERM) gives up at once rather than wait out `wait`.
        if Instant::now() >= deadline || crate::signals::stopping() {
            return Err(RepoError::Locked {
                what: key.to_string(),
                holder: held_by,
            });
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// The writer lease, or who holds it / reads under it.
fn try_exclusive(
    st: &ObjectStorage,
    key: &str,
    holder: &LockHolder,
) -> Result<Result<LeaseGuard, String>, RepoError> {
    let lease = Lease::new(holder, LockMode::Exclusive);
    // Two rounds: the second after taking over an expired lease.
    for _ in 0..2 {
        if st.put_if_absent(key, &lease.to_json())? {
            if let Some(reader) = live_readers(st, key)?.into_iter().next() {
                st.delete(key)?;
                return Ok(Err(reader.describe()));
            }
            return Ok(Ok(LeaseGuard::start(st, key, lease)));
        }
        match read_lease(st, key)? {
            // Released between our put and our read: try again.
            None => continue,
            Some((_, Some(other))) if other.live() => return Ok(Err(other.describe())),
            Some((_, None)) => {
                return Ok(Err(format!(
                    "an unreadable lease {key} (delete it if no pra tool is running)"
                )))
            }
            Some((raw, Some(expired))) => {
                // Delete only the expired lease we read: another process that took it
                // over in the meantime wrote different bytes.
                if read_lease(st, key)?.is_some_and(|(now, _)| now == raw) {
                    log::warn!("taking over the expired lease of {}", expired.describe());
                    st.delete(key)?;
                }
            }
        }
    }
    Ok(Err(format!("another process racing for {key}")))
}

/// A reader lease, unless a live writer holds the key.
fn try_shared(
    st: &ObjectStorage,
    key: &str,
    holder: &LockHolder,
) -> Result<Result<LeaseGuard, String>, RepoError> {
    let lease = Lease::new(holder, LockMode::Shared);
    let nanos = holder.since.timestamp_nanos_opt().unwrap_or(0);
    let rkey = format!("{key}.readers/{}.{}.{nanos}", holder.host, holder.pid);
    st.put(&rkey, &lease.to_json())?;
    if let Some((_, Some(writer))) = read_lease(st, key)? {
        if writer.live() {
            st.delete(&rkey)?;
            return Ok(Err(writer.describe()));
        }
    }
    Ok(Ok(LeaseGuard::start(st, &rkey, lease)))
}

/// The live reader leases under `key` (expired ones are removed on the way).
fn live_readers(st: &ObjectStorage, key: &str) -> Result<Vec<Lease>, RepoError> {
    let dir = format!("{key}.readers");
    let mut out = Vec::new();
    for name in st.list_names(&dir)? {
        let rkey = format!("{dir}/{name}");
        match read_lease(st, &rkey)? {
            Some((_, Some(l))) if l.live() => out.push(l),
            Some(_) => st.delete(&rkey)?,
            None => {}
        }
    }
    Ok(out)
}

/// A held lease: a thread renews it; dropping the guard stops it and deletes the lease.
struct LeaseGuard {
    st: ObjectStorage,
    key: String,
    holder: LockHolder,
    stop: Arc<(Mutex<bool>, Condvar)>,
    renewer: Option<JoinHandle<()>>,
}

impl LeaseGuard {
    fn start(st: &ObjectStorage, key: &str, lease: Lease) -> LeaseGuard {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let (st2, key2, stop2) = (st.clone(), key.to_string(), stop.clone());
        let holder = lease.holder.clone();
        let renewer = std::thread::Builder::new()
            .name("pra-lease".to_string())
            .spawn(move || renew(&st2, &key2, lease, &stop2))
            .map_err(|e| log::warn!("cannot start the lease renewal of {key}: {e}"))
            .ok();
        LeaseGuard {
            st: st.clone(),
            key: key.to_string(),
            holder,
            stop,
            renewer,
        }
    }
}

/// Renews the lease every [`RENEW_EVERY`] until told to stop or the lease is lost.
fn renew(st: &ObjectStorage, key: &str, mut lease: Lease, stop: &(Mutex<bool>, Condvar)) {
    let (lock, cvar) = stop;
    let Ok(mut stopped) = lock.lock() else { return };
    loop {
        let Ok((guard, _)) = cvar.wait_timeout(stopped, RENEW_EVERY) else {
            return;
        };
        stopped = guard;
        if *stopped {
            return;
        }
        match read_lease(st, key) {
            Ok(Some((_, Some(current)))) if current.holder == lease.holder => {}
            Ok(_) => {
                log::warn!("lost the lease {key}: another process took it over");
                return;
            }
            Err(e) => {
                log::warn!("cannot read the lease {key}: {e}");
                continue;
            }
        }
        lease.expires_at = Lease::new(&lease.holder, LockMode::Shared).expires_at;
        if let Err(e) = st.put(key, &lease.to_json()) {
            log::warn!("cannot renew the lease {key}: {e}");
        }
    }
}

impl LockGuard for LeaseGuard {}

impl Drop for LeaseGuard {
    fn drop(&mut self) {
        let (lock, cvar) = &*self.stop;
        if let Ok(mut stopped) = lock.lock() {
            *stopped = true;
            cvar.notify_all();
        }
        if let Some(t) = self.renewer.take() {
            let _ = t.join();
        }
        // Only our own lease: one taken over after ours expired belongs to its new holder.
        if let Ok(Some((_, Some(l)))) = read_lease(&self.st, &self.key) {
            if l.holder == self.holder {
                if let Err(e) = self.st.delete(&self.key) {
                    log::warn!("cannot release the lease {}: {e}", self.key);
                }
            }
        }
    }
}
