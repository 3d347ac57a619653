//! SIGINT/SIGTERM: the handler only records the signal; the streaming loop sees it
//! within a tenth of a second, kills the children and removes the partial backup.
//!
//! The handler is installed by the binary (`run`), not by the library: a program that
//! embeds the library (pra-loadtest) keeps its own signal policy.

use std::sync::atomic::{AtomicI32, Ordering};

static PENDING: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(sig: libc::c_int) {
    // Only an atomic store: async-signal-safe.
    PENDING.store(sig, Ordering::SeqCst);
}

/// Installs the handler for SIGINT and SIGTERM.
pub fn install() {
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: sigaction with a zeroed struct, an empty mask and a handler that only
        // stores into an atomic; SA_RESTART keeps blocking calls of other threads going.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(sig, &action, std::ptr::null_mut());
        }
    }
}

/// The signal received, if any.
pub fn pending() -> Option<i32> {
    match PENDING.load(Ordering::SeqCst) {
        0 => None,
        sig => Some(sig),
    }
}

/// Fails with [`crate::Error::Interrupted`] when a signal arrived.
pub fn check() -> Result<(), crate::Error> {
    match pending() {
        Some(sig) => Err(crate::Error::Interrupted(sig)),
        None => Ok(()),
    }
}
