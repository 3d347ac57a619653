//! Times pra-core's codec on a file (docs/PERFORMANCE.md, "Verify"): encode with the
//! single-stream or the framed zstd encoder, or decode sequentially or in parallel.
//!
//! ```text
//! [FRAME_MIB=n (raw cap of a frame)] cargo run --release -p pra-core --example codec_bench -- encode IN OUT THREADS [LEVEL]
//! cargo run --release -p pra-core --example codec_bench -- decode IN (seq|par)
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use pra_core::codec::{Codec, Decoder, EncodeOptions, Encoder};
use std::io::{self, BufWriter, Read};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: codec_bench encode IN OUT THREADS [LEVEL] | decode IN (seq|par)";
    let t0 = Instant::now();
    match args.get(1).map(String::as_str) {
        Some("encode") if args.len() >= 5 => {
            let mut input = std::fs::File::open(&args[2]).unwrap();
            let out = BufWriter::with_capacity(1 << 20, std::fs::File::create(&args[3]).unwrap());
            let opts = EncodeOptions {
                codec: Codec::Zstd,
                level: args.get(5).map(|l| l.parse().unwrap()),
                threads: args[4].parse().unwrap(),
            };
            let frame = std::env::var("FRAME_MIB")
                .map_or(pra_core::codec::frames::MAX_FRAME, |m| {
                    m.parse::<usize>().unwrap() << 20
                });
            let mut enc = Encoder::with_frame_size(out, opts, frame).unwrap();
            let chunk = enc.preferred_chunk();
            let mut buf = Vec::with_capacity(chunk);
            loop {
                buf.clear();
                let n = (&mut input)
                    .take(chunk as u64)
                    .read_to_end(&mut buf)
                    .unwrap();
                if n == 0 {
                    break;
                }
                buf = enc.write_vec(buf).unwrap();
            }
            let (_, d) = enc.finish().unwrap();
            let s = t0.elapsed().as_secs_f64();
            println!(
                "encode threads={} frame={}MiB raw={} stored={} ratio={:.4} {:.2}s {:.0} MB/s",
                opts.threads,
                frame >> 20,
                d.raw.bytes,
                d.stored.bytes,
                d.stored.bytes as f64 / d.raw.bytes as f64,
                s,
                d.raw.bytes as f64 / 1e6 / s
            );
        }
        Some("encode-mt") if args.len() >= 5 => {
            // The encoder before frames: one zstd stream, libzstd's own workers, 4 MiB jobs.
            let mut input = std::fs::File::open(&args[2]).unwrap();
            let out = BufWriter::with_capacity(1 << 20, std::fs::File::create(&args[3]).unwrap());
            let mut e = zstd::stream::write::Encoder::new(out, 3).unwrap();
            e.multithread(args[4].parse().unwrap()).unwrap();
            e.set_parameter(zstd::stream::raw::CParameter::JobSize(4 << 20))
                .unwrap();
            e.include_checksum(true).unwrap();
            let mut hashed = pra_core::codec::HashWriter::new(e);
            let raw = io::copy(&mut input, &mut hashed).unwrap();
            let (e, _) = hashed.finish();
            e.finish().unwrap();
            let stored = std::fs::metadata(&args[3]).unwrap().len();
            let s = t0.elapsed().as_secs_f64();
            println!(
                "encode-mt raw={raw} stored={stored} ratio={:.4} {:.2}s {:.0} MB/s",
                stored as f64 / raw as f64,
                s,
                raw as f64 / 1e6 / s
            );
        }
        Some("decode") if args.len() >= 4 => {
            let input = std::fs::File::open(&args[2]).unwrap();
            let mut dec = if args[3] == "par" {
                Decoder::new_parallel(input, Codec::Zstd).unwrap()
            } else {
                Decoder::new(input, Codec::Zstd).unwrap()
            };
            dec.copy_to(&mut io::sink()).unwrap();
            let d = dec.finish().unwrap();
            let s = t0.elapsed().as_secs_f64();
            println!(
                "decode {} raw={} stored={} {:.2}s {:.0} MB/s",
                args[3],
                d.raw.bytes,
                d.stored.bytes,
                s,
                d.raw.bytes as f64 / 1e6 / s
            );
        }
        _ => eprintln!("{usage}"),
    }
}
