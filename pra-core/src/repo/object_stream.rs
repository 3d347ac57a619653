//! The byte streams of the object-storage driver: an upload staged as a multipart
//! upload (visible only once complete, aborted when dropped) and a download read in
//! the chunks the server sends. Memory stays bounded: one part filling, two in flight.

use super::object::ObjectStorage;
use super::object_errors::scrub;
use super::storage::StagedFile;
use super::RepoError;
use futures::StreamExt;
use object_store::{ObjectStoreExt, WriteMultipart};
use std::io::{self, Read, Write};
use std::sync::Arc;

/// Parts of a multipart upload: 16 MiB × S3's 10 000 parts = 160 GiB per file.
const PART: usize = 16 << 20;
/// Parts uploading at once while the next one fills.
const IN_FLIGHT: usize = 2;

/// A file being uploaded: buffered until one part is full, then a multipart upload.
/// Dropped without a commit, the upload is aborted and nothing appears.
pub(super) struct ObjectStaged {
    storage: ObjectStorage,
    key: String,
    buf: Vec<u8>,
    upload: Option<WriteMultipart>,
}

impl ObjectStaged {
    pub(super) fn new(storage: ObjectStorage, key: &str) -> ObjectStaged {
        ObjectStaged {
            storage,
            key: key.to_string(),
            buf: Vec::new(),
            upload: None,
        }
    }

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
        self.storage.changed();
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
pub(super) struct ObjectReader {
    rt: Arc<tokio::runtime::Runtime>,
    stream: futures::stream::BoxStream<'static, object_store::Result<bytes::Bytes>>,
    chunk: bytes::Bytes,
    key: String,
}

impl ObjectReader {
    pub(super) fn new(
        rt: Arc<tokio::runtime::Runtime>,
        stream: futures::stream::BoxStream<'static, object_store::Result<bytes::Bytes>>,
        key: &str,
    ) -> ObjectReader {
        ObjectReader {
            rt,
            stream,
            chunk: bytes::Bytes::new(),
            key: key.to_string(),
        }
    }
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
