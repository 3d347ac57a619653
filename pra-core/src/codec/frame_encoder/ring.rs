//! One zstd frame compressed as a stream from a ring buffer of our own (libzstd's
//! buffer-less API), so that the window is contiguous memory most of the time.
//!
//! Why not `ZSTD_compressStream2`: it copies its input into a buffer of the window's
//! size plus one block, which wraps every window, so that the history is split in two
//! ("extDict") nearly all the time; libzstd's matchers are about 1.6 times slower
//! there (docs/PERFORMANCE.md, "Backup": 57 % of the encoder's profile). Here the
//! ring holds two windows: the history is split only during the first window after
//! each wrap. The stored bytes are an ordinary zstd frame (checksum, no content
//! size), as the streaming API writes.

use std::io;
use std::ptr::NonNull;
use zstd::zstd_safe::zstd_sys;

/// The ring holds this many windows (at least [`MIN_RING`], at most [`MAX_RING`]):
/// the history is split during one window in `RING_WINDOWS`. Larger rings were
/// measured faster still (8 MiB at level 3: 12 % of the profile split, against 57 %
/// with the streaming API) but made the size on highly compressible data erratic
/// (+3.4 % against one stream on `tests_overhead`'s generator at 8 MiB, +3.0 % at
/// 5 MiB, -0.3 % at 4 MiB): libzstd's matcher finds fewer long repeats on a long
/// unsplit history there. Two windows (4 MiB at level 3) keep both tests under 1 %.
const RING_WINDOWS: usize = 2;
const MIN_RING: usize = 4 << 20;
/// Levels 17–19 have 8 MiB windows: memory wins over the last few percent of speed.
const MAX_RING: usize = 16 << 20;

fn check(code: usize) -> io::Result<usize> {
    // SAFETY: ZSTD_isError and ZSTD_getErrorName take any value; the name is a
    // static C string.
    unsafe {
        if zstd_sys::ZSTD_isError(code) == 0 {
            return Ok(code);
        }
        let name = std::ffi::CStr::from_ptr(zstd_sys::ZSTD_getErrorName(code));
        Err(io::Error::other(format!(
            "zstd: {}",
            name.to_string_lossy()
        )))
    }
}

/// A compression context and its ring; one frame at a time.
pub(super) struct RingCompressor {
    cctx: NonNull<zstd_sys::ZSTD_CCtx>,
    params: zstd_sys::ZSTD_parameters,
    ring: Vec<u8>,
    /// Where the next input goes in the ring (its length grows up to its capacity,
    /// reserved once).
    at: usize,
}

// SAFETY: the context is owned by this value alone (no shared state in libzstd).
unsafe impl Send for RingCompressor {}

impl Drop for RingCompressor {
    fn drop(&mut self) {
        // SAFETY: created by ZSTD_createCCtx, freed once.
        unsafe {
            zstd_sys::ZSTD_freeCCtx(self.cctx.as_ptr());
        }
    }
}

impl RingCompressor {
    /// A compressor at `level` (checked by the caller) for inputs of at most
    /// `max_input` bytes a call.
    pub(super) fn new(level: i32, max_input: usize) -> io::Result<Self> {
        // SAFETY: plain constructors; a null context is an allocation failure.
        let (cctx, mut params) = unsafe {
            (
                zstd_sys::ZSTD_createCCtx(),
                zstd_sys::ZSTD_getParams(level, zstd_sys::ZSTD_CONTENTSIZE_UNKNOWN as u64, 0),
            )
        };
        let cctx = NonNull::new(cctx).ok_or_else(|| io::Error::other("zstd: out of memory"))?;
        params.fParams.checksumFlag = 1;
        params.fParams.contentSizeFlag = 0;
        let window = 1usize << params.cParams.windowLog;
        let size = (RING_WINDOWS * window)
            .clamp(MIN_RING, MAX_RING)
            .max(max_input);
        let mut ring = Vec::new();
        ring.try_reserve_exact(size)
            .map_err(|_| io::Error::other("zstd: out of memory"))?;
        let mut c = RingCompressor {
            cctx,
            params,
            ring,
            at: 0,
        };
        c.begin()?;
        Ok(c)
    }

    /// Starts a new frame (no history).
    pub(super) fn begin(&mut self) -> io::Result<()> {
        self.at = 0;
        // SAFETY: a valid context, no dictionary.
        check(unsafe {
            zstd_sys::ZSTD_compressBegin_advanced(
                self.cctx.as_ptr(),
                std::ptr::null(),
                0,
                self.params,
                zstd_sys::ZSTD_CONTENTSIZE_UNKNOWN as u64,
            )
        })?;
        Ok(())
    }

    /// Compresses `raw` (at most the ring's size) into the frame, appending to `out`.
    pub(super) fn compress(&mut self, raw: &[u8], out: &mut Vec<u8>) -> io::Result<()> {
        if raw.is_empty() {
            return Ok(());
        }
        if self.at + raw.len() > self.ring.len() {
            if self.at + raw.len() > self.ring.capacity() {
                // libzstd drops from its history what the new input overwrites.
                self.at = 0;
            }
            // Within the capacity reserved at once, the ring never moves (libzstd
            // refers to it), and a small file touches only what it uses.
            let len = self.ring.len().max(self.at + raw.len());
            if len > self.ring.capacity() {
                return Err(io::Error::other("zstd: input larger than the ring"));
            }
            self.ring.resize(len, 0);
        }
        let slot = self
            .ring
            .get_mut(self.at..self.at + raw.len())
            .ok_or_else(|| io::Error::other("zstd: input larger than the ring"))?;
        slot.copy_from_slice(raw);
        let src = slot.as_ptr();
        self.at += raw.len();
        self.call(out, src, raw.len(), false)
    }

    /// Ends the frame (last block, checksum) into `out`.
    pub(super) fn end(&mut self, out: &mut Vec<u8>) -> io::Result<()> {
        self.call(out, self.ring.as_ptr(), 0, true)
    }

    fn call(
        &mut self,
        out: &mut Vec<u8>,
        src: *const u8,
        len: usize,
        last: bool,
    ) -> io::Result<()> {
        // The frame header (at most 18 bytes), blocks and checksum fit in this.
        let room = zstd::zstd_safe::compress_bound(len) + 32;
        out.reserve(room);
        let spare = out.spare_capacity_mut();
        let (dst, cap) = (spare.as_mut_ptr().cast::<std::ffi::c_void>(), spare.len());
        // SAFETY: `src..src+len` is in the ring, which stays untouched until the next
        // call (libzstd refers to it as history); `dst` has `cap` writable bytes.
        let written = check(unsafe {
            let (ctx, src) = (self.cctx.as_ptr(), src.cast::<std::ffi::c_void>());
            if last {
                zstd_sys::ZSTD_compressEnd(ctx, dst, cap, src, len)
            } else {
                zstd_sys::ZSTD_compressContinue(ctx, dst, cap, src, len)
            }
        })?;
        // SAFETY: libzstd initialised `written` (<= cap) bytes of the spare capacity.
        unsafe { out.set_len(out.len() + written) };
        Ok(())
    }
}
