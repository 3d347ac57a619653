//! The Debian package of the pra tools: this crate holds no code, only the
//! `[package.metadata.deb]` table that `scripts/package.sh` (cargo-deb) reads.
