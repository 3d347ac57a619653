//! The listings of one run on object storage, kept for [`TTL`] unless the run writes
//! or deletes anything: pra-rotate, pra-status and pra-info list a stanza's backups
//! more than once per run within moments (the plan, then the deletions; the age
//! check, then the verification check), and on a bucket of thousands of backups
//! each listing is several paginated requests. The store is shared with other
//! writers: the TTL bounds how stale a long-lived caller (a test polling for a
//! backup to appear) may see it, and what must see them live (leases, reserving a
//! backup id) lists without the cache.

use object_store::path::Path as ObjPath;
use object_store::ObjectMeta;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long a listing is reused.
pub(super) const TTL: Duration = Duration::from_secs(5);

type Cached = HashMap<(String, bool), (Instant, Listed)>;

/// One listing: the objects, and for a one-level listing the "directories" below.
#[derive(Debug, Clone, Default)]
pub(super) struct Listed {
    /// The objects (at any depth for a deep listing).
    pub objects: Vec<ObjectMeta>,
    /// The common prefixes of a one-level listing.
    pub dirs: Vec<ObjPath>,
}

/// The cache, by prefix and depth, and how many listings were requested.
#[derive(Debug, Default)]
pub(super) struct Listings {
    cached: Mutex<Cached>,
    requests: AtomicU64,
}

impl Listings {
    fn map(&self) -> MutexGuard<'_, Cached> {
        self.cached.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The listing of `prefix` (`deep`: at any depth), from the cache or from `list`.
    pub fn get<E>(
        &self,
        prefix: &str,
        deep: bool,
        list: impl FnOnce() -> Result<Listed, E>,
    ) -> Result<Listed, E> {
        let key = (prefix.to_string(), deep);
        if let Some((at, hit)) = self.map().get(&key) {
            if at.elapsed() < TTL {
                return Ok(hit.clone());
            }
        }
        let listed = self.fresh(list)?;
        self.map().insert(key, (Instant::now(), listed.clone()));
        Ok(listed)
    }

    /// A listing that bypasses the cache (and is not kept).
    pub fn fresh<E>(&self, list: impl FnOnce() -> Result<Listed, E>) -> Result<Listed, E> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        list()
    }

    /// Forgets every listing: the run changed the store.
    pub fn forget(&self) {
        self.map().clear();
    }

    /// How many listings went to the store (each one or more paginated requests).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}
