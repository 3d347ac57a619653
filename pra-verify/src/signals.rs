//! SIGINT/SIGTERM during a verification: a dedicated thread waits for them
//! (`sigwait`, so no async-signal-safety limits apply), records the signal, and drops
//! the scratch database in use at once, which also ends the test restore loading
//! into it. The main flow sees the signal between steps, cleans up what is left
//! and exits 130/143.
//!
//! Installed by `run` before any other thread exists, so every thread inherits the
//! blocked mask; child processes get a clean mask from `std::process`.

use crate::scratch;
use pra_core::conn::ConnSettings;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Mutex;

static PENDING: AtomicI32 = AtomicI32::new(0);

/// The scratch database to drop when a signal arrives: the server and its name.
static SCRATCH: Mutex<Option<(ConnSettings, String)>> = Mutex::new(None);

/// Blocks SIGINT and SIGTERM in this (the main) thread and starts the waiting thread.
pub fn install() -> std::io::Result<()> {
    // SAFETY: plain libc calls on a local, initialized sigset_t.
    let set = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        let rc = libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        if rc != 0 {
            return Err(std::io::Error::from_raw_os_error(rc));
        }
        set
    };
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || loop {
            let mut sig: libc::c_int = 0;
            // SAFETY: `set` is a valid sigset_t owned by this closure.
            let rc = unsafe { libc::sigwait(&set, &mut sig) };
            if rc != 0 {
                continue;
            }
            PENDING.store(sig, Ordering::SeqCst);
            log::warn!("signal {sig} received: cleaning up");
            let target = SCRATCH.lock().map(|g| g.clone()).unwrap_or(None);
            if let Some((server, name)) = target {
                match scratch::drop_database(&server, &name) {
                    Ok(()) => log::warn!("dropped scratch database {name}"),
                    Err(e) => log::error!("could not drop scratch database {name}: {e}"),
                }
            }
        })?;
    Ok(())
}

/// The signal received, if any.
pub fn pending() -> Option<i32> {
    match PENDING.load(Ordering::SeqCst) {
        0 => None,
        sig => Some(sig),
    }
}

/// Records (or with `None` forgets) the scratch database a signal must drop.
pub fn set_scratch(target: Option<(ConnSettings, String)>) {
    if let Ok(mut g) = SCRATCH.lock() {
        *g = target;
    }
}
