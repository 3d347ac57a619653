//! `disk`: the free space of the file system holding a path (statvfs), as the
//! ratio available to unprivileged users, against `--disk-warn`/`--disk-crit`.

use crate::check::{CheckResult, Thresholds};
use pra_core::error_class::ErrorClass;
use pra_core::time::format_bytes;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Free space of a file system.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FreeSpace {
    /// Bytes available to unprivileged users.
    pub available_bytes: u64,
    /// Size of the file system.
    pub total_bytes: u64,
}

impl FreeSpace {
    /// Available / total (0 when the size is unknown).
    pub fn ratio(&self) -> f64 {
        if self.total_bytes == 0 {
            0.0
        } else {
            self.available_bytes as f64 / self.total_bytes as f64
        }
    }
}

/// statvfs(3) of a path.
pub fn free_space(path: &Path) -> io::Result<FreeSpace> {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))?;
    // SAFETY: an all-zero statvfs is a valid value of this plain C struct.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: c is a valid NUL-terminated path and st a valid out-pointer.
    let rc = unsafe { libc::statvfs(c.as_ptr(), &mut st) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    let frsize = st.f_frsize as u64;
    Ok(FreeSpace {
        available_bytes: (st.f_bavail as u64).saturating_mul(frsize),
        total_bytes: (st.f_blocks as u64).saturating_mul(frsize),
    })
}

/// The nearest existing ancestor of a path (a repository not created yet lives on
/// the file system of its parent).
pub fn existing_ancestor(path: &Path) -> Option<PathBuf> {
    let mut p = Some(path);
    while let Some(cur) = p {
        if cur.exists() {
            return Some(cur.to_path_buf());
        }
        p = cur.parent().filter(|q| !q.as_os_str().is_empty());
    }
    None
}

/// The thresholds as free ratios.
pub fn thresholds(warn: f64, crit: f64) -> Thresholds {
    Thresholds {
        warn,
        crit,
        higher_is_worse: false,
        unit: "ratio",
    }
}

/// Checks one path.
pub fn check_path(path: &Path, limits: &Thresholds) -> CheckResult {
    let started = Instant::now();
    let shown = path.display().to_string();
    let mut r = match free_space(path) {
        Ok(fs) => {
            let ratio = fs.ratio();
            let status = limits.evaluate(ratio);
            CheckResult::new(
                "disk",
                status,
                format!(
                    "{shown}: {:.1} % free ({} of {})",
                    ratio * 100.0,
                    format_bytes(fs.available_bytes),
                    format_bytes(fs.total_bytes)
                ),
            )
            .value(ratio, "ratio")
            .thresholds(limits)
            .detail("available_bytes", fs.available_bytes)
            .detail("total_bytes", fs.total_bytes)
        }
        Err(e) => CheckResult::error("disk", format!("{shown}: cannot read free space: {e}"))
            .because(ErrorClass::Io),
    }
    .target(shown);
    r.fields.duration_s = started.elapsed().as_secs_f64();
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use pra_core::event::Status;

    #[test]
    fn measures_a_real_file_system() {
        let fs = free_space(Path::new("/")).unwrap();
        assert!(fs.total_bytes > 0 && fs.available_bytes <= fs.total_bytes);
        let r = check_path(Path::new("/"), &thresholds(0.0, 0.0));
        assert_eq!(r.status, Status::Ok, "{r:?}");
        let r = check_path(Path::new("/"), &thresholds(1.01, 1.01));
        assert_eq!(r.status, Status::Error);
        let r = check_path(Path::new("/nonexistent/x"), &thresholds(0.2, 0.1));
        assert_eq!(r.status, Status::Error);
        assert_eq!(
            existing_ancestor(Path::new("/nonexistent/x/y")),
            Some(PathBuf::from("/"))
        );
    }
}
