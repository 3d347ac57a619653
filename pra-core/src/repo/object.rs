//! The object-storage driver: `s3://bucket/prefix`, `gs://bucket/prefix` and
//! `az://container/prefix` through the `object_store` crate (its byte streams are in
//! `object_stream.rs`).
//!
//! Keys are flat; a "directory" is a prefix that exists while an object is under it
//! (a reserved backup id is a hidden `.reserved` object). A file is staged as a
//! multipart upload that becomes visible only when it completes, so a killed upload
//! leaves no object (only parts the bucket's lifecycle rule for incomplete multipart
//! uploads removes). Memory stays bounded: one part buffered, two in flight.
//! Credentials come only from the standard environment variables and files that
//! `object_store`'s builders read (`AWS_*`, `GOOGLE_*`, `AZURE_*`); error messages are
//! scrubbed of them. Locks are leases ([`super::lease`]).

use super::lease;
use super::listings::{Listed, Listings};
use super::object_errors::{hint, scrub};
use super::object_stream::{ObjectReader, ObjectStaged, PartPool};
use super::storage::{
    Capabilities, FileInfo, LockGuard, LockHolder, LockMode, StagedFile, Storage,
};
use super::RepoError;
use futures::StreamExt;
use object_store::path::Path as ObjPath;
use object_store::{
    BackoffConfig, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, RetryConfig,
};
use std::io::{self, Read};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// A repository in a bucket (or container) under a prefix.
#[derive(Clone)]
pub struct ObjectStorage {
    pub(super) store: Arc<dyn ObjectStore>,
    pub(super) rt: Arc<tokio::runtime::Runtime>,
    /// The key prefix inside the bucket, without slashes at either end ("" = root).
    prefix: String,
    /// The URL as given, for people (it holds no secret: credentials never go in it).
    url: String,
    /// This run's listings, shared by the clones (staged files).
    listings: Arc<Listings>,
    /// The buffers of the parts being uploaded, reused from file to file.
    pub(super) parts: PartPool,
}

impl std::fmt::Debug for ObjectStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ObjectStorage({})", self.url)
    }
}

/// True for the URL schemes this driver serves.
pub fn is_object_url(location: &str) -> bool {
    ["s3://", "gs://", "az://"]
        .iter()
        .any(|s| location.starts_with(s))
}

fn retry_config() -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            base: 2.0,
        },
        // 0.2 + 0.4 + … + 3.2 s: a blip is ridden out, a server that is down is
        // reported within seconds rather than holding a cron slot.
        max_retries: 5,
        retry_timeout: Duration::from_secs(60),
    }
}

impl ObjectStorage {
    /// Opens `s3://bucket/prefix`, `gs://bucket/prefix` or `az://container/prefix`,
    /// credentials and endpoint from the environment. Nothing is contacted yet.
    pub fn open(url: &str) -> Result<ObjectStorage, RepoError> {
        ObjectStorage::open_with(url, &[])
    }

    /// [`ObjectStorage::open`] with settings on top of the environment, named as the
    /// environment variables (`AWS_ENDPOINT_URL`, `GOOGLE_BASE_URL`, …): tests reach
    /// their loopback servers without changing the process environment.
    pub fn open_with(url: &str, settings: &[(String, String)]) -> Result<ObjectStorage, RepoError> {
        let bad = |reason: &str| RepoError::Location {
            location: crate::redact::redact_url(url),
            reason: reason.to_string(),
        };
        let (scheme, rest) = url.split_once("://").ok_or_else(|| bad("not a URL"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() || bucket.contains('@') || bucket.contains(':') {
            return Err(bad(
                "give scheme://bucket/prefix; credentials come from the environment, never the URL",
            ));
        }
        let prefix = prefix.trim_matches('/').to_string();
        let setting = |prefix: &str| {
            settings
                .iter()
                .filter(|(k, _)| k.starts_with(prefix))
                .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                .collect::<Vec<_>>()
        };
        // The three builders share their shape but not a trait: one macro configures
        // any of them from the environment, the settings, the bucket and the retries.
        macro_rules! build {
            ($builder:expr, $vars:literal, $with_bucket:ident) => {
                setting($vars)
                    .into_iter()
                    .fold($builder, |b, (k, v)| match k.parse() {
                        Ok(key) => b.with_config(key, v),
                        Err(_) => b,
                    })
                    .$with_bucket(bucket)
                    .with_retry(retry_config())
                    .build()
                    .map(|s| Arc::new(s) as Arc<dyn ObjectStore>)
            };
        }
        let built: Result<Arc<dyn ObjectStore>, object_store::Error> = match scheme {
            "s3" => build!(
                object_store::aws::AmazonS3Builder::from_env(),
                "AWS_",
                with_bucket_name
            ),
            "gs" => build!(
                object_store::gcp::GoogleCloudStorageBuilder::from_env(),
                "GOOGLE_",
                with_bucket_name
            ),
            "az" => build!(
                object_store::azure::MicrosoftAzureBuilder::from_env(),
                "AZURE_",
                with_container_name
            ),
            other => return Err(bad(&format!("unknown scheme {other}://"))),
        };
        let store = built.map_err(|e| bad(&scrub(&e.to_string())))?;
        // One worker thread: uploads of parts go on while the caller compresses the
        // next one; the callers themselves are synchronous and block on it.
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("pra-objstore")
            .enable_all()
            .build()
            .map_err(|e| bad(&format!("cannot start the I/O runtime: {e}")))?;
        Ok(ObjectStorage {
            store,
            rt: Arc::new(rt),
            prefix,
            url: url.trim_end_matches('/').to_string(),
            listings: Arc::default(),
            parts: PartPool::default(),
        })
    }

    pub(super) fn path(&self, key: &str) -> ObjPath {
        let key = key.trim_matches('/');
        match (self.prefix.is_empty(), key.is_empty()) {
            (true, _) => ObjPath::from(key),
            (false, true) => ObjPath::from(self.prefix.as_str()),
            (false, false) => ObjPath::from(format!("{}/{key}", self.prefix)),
        }
    }

    /// A failure on `key`, named with the repository URL; `NotFound` stays a
    /// [`RepoError::NotFound`] (an absent object is an answer, not a failure).
    fn error(&self, key: &str, e: object_store::Error) -> RepoError {
        match e {
            object_store::Error::NotFound { .. } => RepoError::NotFound(key.to_string()),
            other => self.failure(key, other),
        }
    }

    /// A failure on `key` whatever its kind (a write answered "not found" means a
    /// missing bucket, not a missing object).
    pub(super) fn failure(&self, key: &str, e: object_store::Error) -> RepoError {
        let msg = format!("{}; {}", scrub(&e.to_string()), hint(&e));
        RepoError::io(&format!("{}/{key}", self.describe()), io::Error::other(msg))
    }

    pub(super) fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// Writes a whole object, replacing any (leases renew this way).
    pub(super) fn put(&self, key: &str, bytes: &[u8]) -> Result<(), RepoError> {
        self.put_payload(key, PutPayload::from(bytes.to_vec()))
    }

    /// [`ObjectStorage::put`] of bytes the caller gives away (no copy).
    pub(super) fn put_payload(&self, key: &str, payload: PutPayload) -> Result<(), RepoError> {
        self.listings.forget();
        self.block_on(self.store.put(&self.path(key), payload))
            .map(drop)
            .map_err(|e| self.failure(key, e))
    }

    /// Forgets this run's listings: the run changed the store.
    pub(super) fn changed(&self) {
        self.listings.forget();
    }

    /// How many listings this storage (and its clones) requested from the store:
    /// what the listing cache saves is measured by it.
    pub fn list_requests(&self) -> u64 {
        self.listings.requests()
    }

    /// The objects under `prefix/` at any depth, with their size and time.
    fn list_all(&self, prefix: &str) -> Result<Vec<object_store::ObjectMeta>, RepoError> {
        Ok(self
            .listings
            .get(prefix, true, || self.request_all(prefix))?
            .objects)
    }

    /// A deep listing from the store (all pages).
    fn request_all(&self, prefix: &str) -> Result<Listed, RepoError> {
        let path = self.path(prefix);
        self.block_on(async {
            let mut objects = Vec::new();
            let mut s = self.store.list(Some(&path));
            while let Some(item) = s.next().await {
                objects.push(item.map_err(|e| self.failure(prefix, e))?);
            }
            Ok(Listed {
                objects,
                dirs: Vec::new(),
            })
        })
    }

    /// A one-level listing from the store.
    fn request_level(&self, prefix: &str) -> Result<Listed, RepoError> {
        let path = self.path(prefix);
        let at = (!path.as_ref().is_empty()).then_some(&path);
        let got = self
            .block_on(self.store.list_with_delimiter(at))
            .map_err(|e| self.failure(prefix, e))?;
        Ok(Listed {
            objects: got.objects,
            dirs: got.common_prefixes,
        })
    }

    fn list_level(&self, prefix: &str) -> Result<Listed, RepoError> {
        self.listings
            .get(prefix, false, || self.request_level(prefix))
    }

    /// The objects directly under `prefix`, listed live: leases of other processes
    /// come and go while this one waits.
    pub(super) fn list_names(&self, prefix: &str) -> Result<Vec<String>, RepoError> {
        Ok(self
            .listings
            .fresh(|| self.request_level(prefix))?
            .objects
            .iter()
            .filter_map(|o| o.location.filename().map(str::to_string))
            .collect())
    }
}

fn visible(name: &str) -> bool {
    !name.starts_with('.')
}

impl Storage for ObjectStorage {
    fn describe(&self) -> String {
        crate::redact::redact_url(&self.url)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            process_locks: false,
            multipart: true,
            directories: false,
        }
    }

    fn put_if_absent(&self, key: &str, bytes: &[u8]) -> Result<bool, RepoError> {
        let opts = PutOptions::from(PutMode::Create);
        let payload = PutPayload::from(bytes.to_vec());
        self.listings.forget();
        match self.block_on(self.store.put_opts(&self.path(key), payload, opts)) {
            Ok(_) => Ok(true),
            Err(object_store::Error::AlreadyExists { .. }) => Ok(false),
            Err(e) => Err(self.failure(key, e)),
        }
    }

    fn read_range(&self, key: &str, range: std::ops::Range<u64>) -> Result<Vec<u8>, RepoError> {
        let size = self
            .size(key)?
            .ok_or_else(|| RepoError::NotFound(key.to_string()))?;
        let range = range.start.min(size)..range.end.min(size);
        if range.is_empty() {
            return Ok(Vec::new());
        }
        self.block_on(self.store.get_range(&self.path(key), range))
            .map(|b| b.to_vec())
            .map_err(|e| self.error(key, e))
    }

    fn create(&self, key: &str) -> Result<Box<dyn StagedFile>, RepoError> {
        Ok(Box::new(ObjectStaged::new(self.clone(), key)))
    }

    fn open(&self, key: &str) -> Result<Box<dyn Read + Send>, RepoError> {
        let got = self
            .block_on(self.store.get(&self.path(key)))
            .map_err(|e| self.error(key, e))?;
        Ok(Box::new(ObjectReader::new(
            self.rt.clone(),
            got.into_stream(),
            key,
        )))
    }

    fn size(&self, key: &str) -> Result<Option<u64>, RepoError> {
        match self.block_on(self.store.head(&self.path(key))) {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.error(key, e)),
        }
    }

    fn modified(&self, key: &str) -> Result<Option<SystemTime>, RepoError> {
        match self.block_on(self.store.head(&self.path(key))) {
            Ok(meta) => return Ok(Some(meta.last_modified.into())),
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(self.error(key, e)),
        }
        // A "directory": the newest object under it, as a local directory's mtime.
        Ok(self
            .list_all(key)?
            .iter()
            .map(|m| m.last_modified)
            .max()
            .map(SystemTime::from))
    }

    fn list_dirs(&self, prefix: &str) -> Result<Vec<String>, RepoError> {
        let mut out: Vec<String> = self
            .list_level(prefix)?
            .dirs
            .iter()
            .filter_map(|p| p.filename().map(str::to_string))
            .filter(|n| visible(n))
            .collect();
        out.sort();
        Ok(out)
    }

    fn list_files(&self, prefix: &str) -> Result<Vec<FileInfo>, RepoError> {
        let mut out: Vec<FileInfo> = self
            .list_level(prefix)?
            .objects
            .iter()
            .filter_map(|o| {
                let name = o.location.filename()?.to_string();
                visible(&name).then_some(FileInfo { name, size: o.size })
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn list_tree(&self, prefix: &str) -> Result<Vec<FileInfo>, RepoError> {
        let base = self.path(prefix);
        let mut out: Vec<FileInfo> = self
            .list_all(prefix)?
            .into_iter()
            .filter_map(|m| {
                let parts: Vec<String> = m
                    .location
                    .prefix_match(&base)?
                    .map(|p| p.as_ref().to_string())
                    .collect();
                parts.iter().all(|p| visible(p)).then(|| FileInfo {
                    name: parts.join("/"),
                    size: m.size,
                })
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn create_dir_exclusive(&self, key: &str) -> Result<bool, RepoError> {
        // Live: another run may have taken the id since this one listed.
        if !self
            .listings
            .fresh(|| self.request_all(key))?
            .objects
            .is_empty()
        {
            return Ok(false);
        }
        self.put_if_absent(&format!("{key}/.reserved"), b"")
    }

    fn delete(&self, key: &str) -> Result<(), RepoError> {
        self.listings.forget();
        match self.block_on(self.store.delete(&self.path(key))) {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.error(key, e)),
        }
    }

    fn delete_prefix(&self, prefix: &str) -> Result<u64, RepoError> {
        let mut freed = 0;
        let objects = self.listings.fresh(|| self.request_all(prefix))?.objects;
        self.listings.forget();
        for meta in objects {
            match self.block_on(self.store.delete(&meta.location)) {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => freed += meta.size,
                Err(e) => return Err(self.error(prefix, e)),
            }
        }
        Ok(freed)
    }

    fn lock(
        &self,
        key: &str,
        holder: &LockHolder,
        mode: LockMode,
        wait: Duration,
    ) -> Result<Box<dyn LockGuard>, RepoError> {
        lease::acquire(self, key, holder, mode, wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_a_bucket_and_a_prefix_and_never_credentials() {
        let st = ObjectStorage::open_with("s3://bucket/fleet/db1/", &[]).unwrap();
        assert_eq!(st.prefix, "fleet/db1");
        assert_eq!(st.path("app/backup").as_ref(), "fleet/db1/app/backup");
        assert_eq!(st.path("").as_ref(), "fleet/db1");
        assert_eq!(st.describe(), "s3://bucket/fleet/db1");
        let root = ObjectStorage::open_with("s3://bucket", &[]).unwrap();
        assert_eq!(root.path("pra.json").as_ref(), "pra.json");
        for bad in ["s3:///x", "s3://key:secret@bucket/x", "ftp://host/x"] {
            let e = ObjectStorage::open(bad).unwrap_err().to_string();
            assert!(!e.contains("secret"), "{e}");
            assert!(matches!(
                ObjectStorage::open(bad),
                Err(RepoError::Location { .. })
            ));
        }
        assert!(
            is_object_url("gs://b")
                && !is_object_url("/var/backups")
                && !is_object_url("file:///x")
        );
    }
}
