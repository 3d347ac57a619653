//! pra's framed zstd format written by hand, for what pra-backup never writes: a frame
//! without its content checksum (which readers must then prove another way).

/// `pieces` in pra's framed zstd format (`pra_core::codec::frames`), each piece one
/// zstd frame at level 3, with its content checksum (`true`) or without.
pub fn framed_zstd(pieces: &[(&[u8], bool)]) -> Vec<u8> {
    let mut stored = Vec::new();
    for &(piece, checksum) in pieces {
        let mut c = zstd::bulk::Compressor::new(3).unwrap();
        c.include_checksum(checksum).unwrap();
        let frame = c.compress(piece).unwrap();
        let size = u32::try_from(frame.len()).unwrap();
        stored.extend_from_slice(&pra_core::codec::frames::frame_header(size));
        stored.extend_from_slice(&frame);
    }
    stored
}
