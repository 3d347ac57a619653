//! The object-storage driver: `s3://bucket/prefix`, `gs://bucket/prefix` and
//! `az://container/prefix` through the `object_store` crate.
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
use super::storage::{
    Capabilities, FileInfo, LockGuard, LockHolder, LockMode, StagedFile, Storage,
};
use super::RepoError;
use futures::StreamExt;
use object_store::path::Path as ObjPath;
use object_store::{
    BackoffConfig, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, RetryConfig,
    WriteMultipart,
};
use std::io::{self, Read, Write};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Parts of a multipart upload: 16 MiB × S3's 10 000 parts = 160 GiB per file.
const PART: usize = 16 << 20;
/// Parts uploading at once while the next one fills.
const IN_FLIGHT: usize = 2;

/// A repository in a bucket (or container) under a prefix.
#[derive(Clone)]
pub struct ObjectStorage {
    store: Arc<dyn ObjectStore>,
    rt: Arc<tokio::runtime::Runtime>,
    /// The key prefix inside the bucket, without slashes at either end ("" = root).
    prefix: String,
    /// The URL as given, for people (it holds no secret: credentials never go in it).
    url: String,
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

/// The environment variables whose values are secrets, for scrubbing messages.
const SECRET_VARS: &[&str] = &[
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ACCESS_KEY_ID",
    "GOOGLE_SERVICE_ACCOUNT_KEY",
    "GOOGLE_BEARER_TOKEN",
    "AZURE_STORAGE_ACCOUNT_KEY",
    "AZURE_STORAGE_ACCESS_KEY",
    "AZURE_STORAGE_SAS_KEY",
    "AZURE_STORAGE_TOKEN",
    "AZURE_CLIENT_SECRET",
];

/// A message from the object store with every credential of the environment masked.
fn scrub(text: &str) -> String {
    let secrets: Vec<(String, String)> = SECRET_VARS
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .filter(|v| v.len() >= 4)
        .map(|v| (v, crate::redact::MASK.to_string()))
        .collect();
    let pairs: Vec<(&str, String)> = secrets
        .iter()
        .map(|(s, r)| (s.as_str(), r.clone()))
        .collect();
    crate::redact::scrub(text, &pairs)
}

/// What to check, by kind of failure, for the one-line error an operator reads.
fn hint(e: &object_store::Error) -> &'static str {
    match e {
        object_store::Error::Unauthenticated { .. } | object_store::Error::PermissionDenied { .. } => {
            "check the credentials in the environment (docs/STORAGE.md)"
        }
        object_store::Error::NotFound { .. } => "does the bucket (or container) exist?",
        _ => "check the endpoint, the bucket and the credentials in the environment, and the clock (docs/STORAGE.md)",
    }
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
        let built: Result<Arc<dyn ObjectStore>, object_store::Error> = match scheme {
            "s3" => setting("AWS_")
                .into_iter()
                .fold(
                    object_store::aws::AmazonS3Builder::from_env(),
                    |b, (k, v)| match k.parse() {
                        Ok(key) => b.with_config(key, v),
                        Err(_) => b,
                    },
                )
                .with_bucket_name(bucket)
                .with_retry(retry_config())
                .build()
                .map(|s| Arc::new(s) as Arc<dyn ObjectStore>),
            "gs" => setting("GOOGLE_")
                .into_iter()
                .fold(
                    object_store::gcp::GoogleCloudStorageBuilder::from_env(),
                    |b, (k, v)| match k.parse() {
                        Ok(key) => b.with_config(key, v),
                        Err(_) => b,
                    },
                )
                .with_bucket_name(bucket)
                .with_retry(retry_config())
                .build()
                .map(|s| Arc::new(s) as Arc<dyn ObjectStore>),
            "az" => setting("AZURE_")
                .into_iter()
                .fold(
                    object_store::azure::MicrosoftAzureBuilder::from_env(),
                    |b, (k, v)| match k.parse() {
                        Ok(key) => b.with_config(key, v),
                        Err(_) => b,
                    },
                )
                .with_container_name(bucket)
                .with_retry(retry_config())
                .build()
                .map(|s| Arc::new(s) as Arc<dyn ObjectStore>),
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
        })
    }

    fn path(&self, key: &str) -> ObjPath {
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
    fn failure(&self, key: &str, e: object_store::Error) -> RepoError {
        let msg = format!("{}; {}", scrub(&e.to_string()), hint(&e));
        RepoError::io(&format!("{}/{key}", self.describe()), io::Error::other(msg))
    }

    fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// Writes a whole object, replacing any (leases renew this way).
    pub(super) fn put(&self, key: &str, bytes: &[u8]) -> Result<(), RepoError> {
        let payload = PutPayload::from(bytes.to_vec());
        self.block_on(self.store.put(&self.path(key), payload))
            .map(drop)
            .map_err(|e| self.failure(key, e))
    }

    /// The objects under `prefix/` at any depth, with their size and time.
    fn list_all(&self, prefix: &str) -> Result<Vec<object_store::ObjectMeta>, RepoError> {
        let path = self.path(prefix);
        self.block_on(async {
            let mut out = Vec::new();
            let mut s = self.store.list(Some(&path));
            while let Some(item) = s.next().await {
                out.push(item.map_err(|e| self.failure(prefix, e))?);
            }
            Ok(out)
        })
    }

    fn list_level(&self, prefix: &str) -> Result<object_store::ListResult, RepoError> {
        let path = self.path(prefix);
        let at = (!path.as_ref().is_empty()).then_some(&path);
        self.block_on(self.store.list_with_delimiter(at))
            .map_err(|e| self.failure(prefix, e))
    }

    /// The objects directly under `prefix` whose names start with `start` (leases).
    pub(super) fn list_names(&self, prefix: &str) -> Result<Vec<String>, RepoError> {
        Ok(self
            .list_level(prefix)?
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
        Ok(Box::new(ObjectStaged {
            storage: self.clone(),
            key: key.to_string(),
            buf: Vec::new(),
            upload: None,
        }))
    }

    fn open(&self, key: &str) -> Result<Box<dyn Read + Send>, RepoError> {
        let got = self
            .block_on(self.store.get(&self.path(key)))
            .map_err(|e| self.error(key, e))?;
        Ok(Box::new(ObjectReader {
            rt: self.rt.clone(),
            stream: got.into_stream(),
            chunk: bytes::Bytes::new(),
            key: key.to_string(),
        }))
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
            .common_prefixes
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

    fn create_dir_exclusive(&self, key: &str) -> Result<bool, RepoError> {
        if !self.list_all(key)?.is_empty() {
            return Ok(false);
        }
        self.put_if_absent(&format!("{key}/.reserved"), b"")
    }

    fn delete(&self, key: &str) -> Result<(), RepoError> {
        match self.block_on(self.store.delete(&self.path(key))) {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.error(key, e)),
        }
    }

    fn delete_prefix(&self, prefix: &str) -> Result<u64, RepoError> {
        let mut freed = 0;
        for meta in self.list_all(prefix)? {
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

/// A file being uploaded: buffered until one part is full, then a multipart upload.
/// Dropped without a commit, the upload is aborted and nothing appears.
struct ObjectStaged {
    storage: ObjectStorage,
    key: String,
    buf: Vec<u8>,
    upload: Option<WriteMultipart>,
}

impl ObjectStaged {
    fn io_error(&self, e: object_store::Error) -> io::Error {
        io::Error::other(format!("{}: {}", self.key, scrub(&e.to_string())))
    }
}

impl Write for ObjectStaged {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.upload.is_none() {
            self.buf.extend_from_slice(data);
            if self.buf.len() < PART {
                return Ok(data.len());
            }
            let path = self.storage.path(&self.key);
            let mp = self
                .storage
                .block_on(self.storage.store.put_multipart(&path))
                .map_err(|e| self.io_error(e))?;
            let mut upload = WriteMultipart::new_with_chunk_size(mp, PART);
            let _rt = self.storage.rt.enter();
            upload.write(&std::mem::take(&mut self.buf));
            self.upload = Some(upload);
            return Ok(data.len());
        }
        let rt = self.storage.rt.clone();
        if let Some(upload) = self.upload.as_mut() {
            let ready = rt.block_on(upload.wait_for_capacity(IN_FLIGHT));
            if let Err(e) = ready {
                return Err(self.io_error(e));
            }
            let _rt = rt.enter();
            upload.write(data);
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl StagedFile for ObjectStaged {
    fn commit(mut self: Box<Self>) -> Result<u64, RepoError> {
        let key = self.key.clone();
        match self.upload.take() {
            Some(upload) => {
                let path = self.storage.path(&key);
                self.storage
                    .block_on(upload.finish())
                    .map_err(|e| self.storage.failure(&key, e))?;
                let meta = self
                    .storage
                    .block_on(self.storage.store.head(&path))
                    .map_err(|e| self.storage.failure(&key, e))?;
                Ok(meta.size)
            }
            None => {
                let bytes = std::mem::take(&mut self.buf);
                let size = bytes.len() as u64;
                self.storage.put(&key, &bytes)?;
                Ok(size)
            }
        }
    }
}

impl Drop for ObjectStaged {
    fn drop(&mut self) {
        if let Some(upload) = self.upload.take() {
            if let Err(e) = self.storage.block_on(upload.abort()) {
                log::warn!(
                    "could not abort the upload of {}: {}",
                    self.key,
                    scrub(&e.to_string())
                );
            }
        }
    }
}

/// A download read in the chunks the server sends (bounded memory).
struct ObjectReader {
    rt: Arc<tokio::runtime::Runtime>,
    stream: futures::stream::BoxStream<'static, object_store::Result<bytes::Bytes>>,
    chunk: bytes::Bytes,
    key: String,
}

impl Read for ObjectReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.chunk.is_empty() {
            match self.rt.block_on(self.stream.next()) {
                None => return Ok(0),
                Some(Ok(b)) => self.chunk = b,
                Some(Err(e)) => {
                    return Err(io::Error::other(format!(
                        "{}: {}",
                        self.key,
                        scrub(&e.to_string())
                    )))
                }
            }
        }
        let n = out.len().min(self.chunk.len());
        out[..n].copy_from_slice(&self.chunk[..n]);
        let _ = self.chunk.split_to(n);
        Ok(n)
    }
}
