//! The byte streams of the object-storage driver: an upload staged as a multipart
//! upload (visible only once complete, aborted when dropped) and a download read in
//! the chunks the server sends. Memory stays bounded: one part filling, two in flight.

use super::object::ObjectStorage;
use super::object_errors::scrub;
use super::storage::StagedFile;
use super::RepoError;
use bytes::Bytes;
use futures::StreamExt;
use object_store::{MultipartUpload, ObjectStoreExt, PutPayload};
use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

/// Parts of a multipart upload: 8 MiB × S3's 10 000 parts = 80 GiB per file. With
/// one filling and two in flight, 24 MiB on top of the encoder's memory: 16 MiB
/// parts put pra-backup's peak RSS at the 128 MiB budget (docs/PERFORMANCE.md).
const PART: usize = 8 << 20;
/// Parts uploading at once while the next one fills.
const IN_FLIGHT: usize = 2;

/// The part buffers of a storage, each given back when the last reference to its
/// part is dropped (the upload and its retries are over): a file is uploaded
/// through the same few buffers, each copied into once and then handed to the HTTP
/// client without a copy, rather than a fresh allocation per part, whose
/// pages fault in one by one and whose freed blocks grow the allocator's heap.
#[derive(Clone, Default)]
pub(super) struct PartPool(Arc<Mutex<Vec<Vec<u8>>>>);

impl PartPool {
    fn take(&self) -> PooledPart {
        let spare = self.0.lock().ok().and_then(|mut spare| spare.pop());
        PooledPart {
            buf: spare.unwrap_or_else(|| Vec::with_capacity(PART)),
            pool: self.clone(),
        }
    }
}

/// A part buffer that goes back to its pool when dropped.
struct PooledPart {
    buf: Vec<u8>,
    pool: PartPool,
}

impl AsRef<[u8]> for PooledPart {
    fn as_ref(&self) -> &[u8] {
        &self.buf
    }
}

impl Drop for PooledPart {
    fn drop(&mut self) {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        if let Ok(mut spare) = self.pool.0.lock() {
            // One filling and the ones in flight; more would only hold memory.
            if spare.len() <= IN_FLIGHT {
                spare.push(buf);
            }
        }
    }
}

/// A multipart upload and its parts in flight, each a task on the driver's runtime.
struct Upload {
    upload: Box<dyn MultipartUpload>,
    in_flight: JoinSet<object_store::Result<()>>,
}

impl Upload {
    /// Starts uploading `part` (a task of the runtime entered by the caller).
    fn send(&mut self, part: PooledPart) {
        let sent = self
            .upload
            .put_part(PutPayload::from(Bytes::from_owner(part)));
        self.in_flight.spawn(sent);
    }

    /// Waits until fewer than `most` parts are in flight; the first failure ends it.
    async fn wait_below(&mut self, most: usize) -> object_store::Result<()> {
        while self.in_flight.len() >= most.max(1) {
            match self.in_flight.join_next().await {
                Some(Ok(sent)) => sent?,
                Some(Err(e)) => {
                    return Err(object_store::Error::Generic {
                        store: "upload",
                        source: Box::new(e),
                    })
                }
                None => break,
            }
        }
        Ok(())
    }
}

/// A file being uploaded: buffered until one part is full, then a multipart upload.
/// Dropped without a commit, the upload is aborted and nothing appears.
pub(super) struct ObjectStaged {
    storage: ObjectStorage,
    key: String,
    part: PooledPart,
    upload: Option<Upload>,
    /// Time the producer spent waiting for a part in flight to finish: when it grows
    /// with the file, the server (not the encoder) sets the pace.
    waited: Duration,
    bytes: u64,
}

impl ObjectStaged {
    pub(super) fn new(storage: ObjectStorage, key: &str) -> ObjectStaged {
        ObjectStaged {
            part: storage.parts.take(),
            storage,
            key: key.to_string(),
            upload: None,
            waited: Duration::ZERO,
            bytes: 0,
        }
    }

    fn io_error(&self, e: object_store::Error) -> io::Error {
        io::Error::other(format!("{}: {}", self.key, scrub(&e.to_string())))
    }

    /// Starts uploading the full part (the multipart upload begins with the first)
    /// once fewer than [`IN_FLIGHT`] are uploading, and takes the next buffer.
    fn send_part(&mut self) -> io::Result<()> {
        let rt = self.storage.rt.clone();
        let upload = match self.upload.as_mut() {
            Some(upload) => upload,
            None => {
                let path = self.storage.path(&self.key);
                let upload = rt
                    .block_on(self.storage.store.put_multipart(&path))
                    .map_err(|e| self.io_error(e))?;
                self.upload.insert(Upload {
                    upload,
                    in_flight: JoinSet::new(),
                })
            }
        };
        let started = Instant::now();
        let room = rt.block_on(upload.wait_below(IN_FLIGHT));
        self.waited += started.elapsed();
        if let Err(e) = room {
            return Err(self.io_error(e));
        }
        let full = std::mem::replace(&mut self.part, self.storage.parts.take());
        let _rt = rt.enter();
        upload.send(full);
        Ok(())
    }

    /// Sends the last part, waits for all of them and completes the upload.
    async fn finish(
        &mut self,
        upload: &mut Upload,
    ) -> Result<(Duration, Duration), object_store::Error> {
        let started = Instant::now();
        if !self.part.buf.is_empty() {
            upload.send(std::mem::replace(&mut self.part, self.storage.parts.take()));
        }
        upload.wait_below(1).await?;
        let sent = started.elapsed();
        upload.upload.complete().await?;
        Ok((sent, started.elapsed() - sent))
    }
}

impl Write for ObjectStaged {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let mut rest = data;
        while !rest.is_empty() {
            let take = (PART - self.part.buf.len()).min(rest.len());
            self.part.buf.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.part.buf.len() == PART {
                self.send_part()?;
            }
        }
        self.bytes += data.len() as u64;
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
        let Some(mut upload) = self.upload.take() else {
            let whole = std::mem::replace(&mut self.part, self.storage.parts.take());
            let size = whole.buf.len() as u64;
            let payload = PutPayload::from(Bytes::from_owner(whole));
            self.storage.put_payload(&key, payload)?;
            return Ok(size);
        };
        let rt = self.storage.rt.clone();
        match rt.block_on(self.finish(&mut upload)) {
            Ok((sent, completed)) => log::debug!(
                "{key}: {} bytes in {} parts; {:.2} s waiting for one of the {IN_FLIGHT} in flight, {:.2} s for the last ones, {:.2} s to complete",
                self.bytes,
                self.bytes.div_ceil(PART as u64),
                self.waited.as_secs_f64(),
                sent.as_secs_f64(),
                completed.as_secs_f64()
            ),
            Err(e) => {
                // Dropped, the upload is aborted.
                self.upload = Some(upload);
                return Err(self.storage.failure(&key, e));
            }
        }
        let meta = rt
            .block_on(self.storage.store.head(&self.storage.path(&key)))
            .map_err(|e| self.storage.failure(&key, e))?;
        Ok(meta.size)
    }
}

impl Drop for ObjectStaged {
    fn drop(&mut self) {
        if let Some(mut upload) = self.upload.take() {
            let aborted = self.storage.block_on(async {
                upload.in_flight.shutdown().await;
                upload.upload.abort().await
            });
            if let Err(e) = aborted {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_part_buffer_comes_back_once_every_reference_to_its_part_is_dropped() {
        let pool = PartPool::default();
        let mut part = pool.take();
        part.buf.extend_from_slice(b"part one");
        let at = part.buf.as_ptr();
        let sent = Bytes::from_owner(part);
        let retry = sent.clone();
        assert_eq!(&sent[..], b"part one");
        drop(sent);
        assert!(pool.0.lock().unwrap().is_empty(), "a retry still holds it");
        drop(retry);
        let again = pool.take();
        assert_eq!(again.buf.as_ptr(), at, "the same buffer, not a new one");
        assert!(again.buf.is_empty() && again.buf.capacity() >= PART);
        // Spares beyond the ones a file can use at once are freed.
        let parts: Vec<PooledPart> = (0..IN_FLIGHT + 3).map(|_| pool.take()).collect();
        drop(parts);
        assert_eq!(pool.0.lock().unwrap().len(), IN_FLIGHT + 1);
    }
}
