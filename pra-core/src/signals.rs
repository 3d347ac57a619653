//! SIGINT/SIGTERM for every tool: the handler only hands the signal to a dedicated
//! thread (one byte on a pipe), which records it and runs the registered cleanup
//! hooks ("drop this scratch database", "stop this child"), so that a main thread
//! blocked in a long call (waiting for `pg_restore`, a query) is never the only one
//! able to notice. The main flow sees the signal through [`pending`]/[`check`]
//! between steps, removes what it made, reports it, and [`crate::exit::finish`]
//! then re-raises the signal with its default action ([`reraise`]): a shell sees a
//! real signal death (`$?` = 130 for SIGINT, 143 for SIGTERM), as sharkdp/fd does.
//!
//! Why a handler and not `sigwait` with the signals blocked in every thread: a
//! blocked mask is inherited by child processes (`std::process` does not reset it),
//! so `pg_dump` and `pg_restore` would ignore the SIGTERM meant to stop them. A
//! handler is reset to the default action by `exec`.
//!
//! A library embedded in another program never installs it: the program keeps its
//! own signal policy, and [`pending`] stays `None`.

use std::io;
use std::process::{Child, ExitStatus};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The signal received, 0 for none.
static PENDING: AtomicI32 = AtomicI32::new(0);
static INSTALLED: AtomicBool = AtomicBool::new(false);
/// The run is stopping (a signal or [`abort`]): the hooks ran or are running.
static STOPPING: AtomicBool = AtomicBool::new(false);
/// Set once [`stop`] ran every hook: the cleanup of a stopping run is done.
static CLEANED_UP: AtomicBool = AtomicBool::new(false);
static NEXT_HOOK: AtomicU64 = AtomicU64::new(1);

type HookFn = Box<dyn Fn() + Send>;

/// The cleanup hooks, in registration order. Hooks run with this lock held, so that
/// unregistering one (dropping its [`Hook`]) and [`reraise`] wait for a running cleanup.
static HOOKS: Mutex<Vec<(u64, String, HookFn)>> = Mutex::new(Vec::new());

/// A signal arrived: the run stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("interrupted by {}", signal_name(*.0))]
pub struct Interrupted(pub i32);

fn hooks() -> MutexGuard<'static, Vec<(u64, String, HookFn)>> {
    // A hook that panicked must not disable the others.
    HOOKS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The write end of the pipe from the signal handler to the waiting thread.
static PIPE: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_signal_handler(sig: libc::c_int) {
    // Only a write(2) of one byte on a non-blocking pipe: async-signal-safe, and it
    // leaves errno alone unless it fails (a full pipe: signals are already queued).
    let fd = PIPE.load(Ordering::SeqCst);
    if fd >= 0 {
        let byte = u8::try_from(sig).unwrap_or(u8::MAX);
        // SAFETY: writing one byte from a live local to our own pipe.
        unsafe { libc::write(fd, std::ptr::addr_of!(byte).cast(), 1) };
    }
}

/// Installs the SIGINT and SIGTERM handler and starts the thread that waits for
/// them. Call it first thing in `run`; a second call does nothing.
pub fn install() -> io::Result<()> {
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return Ok(());
    }
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: pipe2 fills the two-element array it is given.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) } != 0 {
        INSTALLED.store(false, Ordering::SeqCst);
        return Err(io::Error::last_os_error());
    }
    let [read_end, write_end] = fds;
    // The waiting thread blocks on its end; only the handler's end stays non-blocking.
    // SAFETY: fcntl on a descriptor we just created.
    unsafe { libc::fcntl(read_end, libc::F_SETFL, 0) };
    PIPE.store(write_end, Ordering::SeqCst);
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || loop {
            let mut byte = 0u8;
            // SAFETY: reading one byte into a live local from our own pipe.
            let n = unsafe { libc::read(read_end, std::ptr::addr_of_mut!(byte).cast(), 1) };
            match n {
                1 => deliver(i32::from(byte)),
                _ if io::Error::last_os_error().kind() == io::ErrorKind::Interrupted => {}
                _ => break,
            }
        })?;
    for sig in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: sigaction with a zeroed struct, an empty mask and a handler that only
        // writes to a pipe; SA_RESTART keeps the other threads' blocking calls going.
        let rc = unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction =
                on_signal_handler as extern "C" fn(libc::c_int) as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(sig, &action, std::ptr::null_mut())
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// What the waiting thread does with a signal: the first one is recorded and runs
/// the hooks, newest first (a child is stopped before its database is dropped).
fn deliver(sig: i32) {
    if PENDING
        .compare_exchange(0, sig, Ordering::SeqCst, Ordering::SeqCst)
        .is_err()
    {
        log::warn!("{} received again: cleanup is under way", signal_name(sig));
        return;
    }
    log::warn!("{} received: cleaning up", signal_name(sig));
    stop(&signal_name(sig));
}

/// Stops the run for another reason than a signal (a stall, [`crate::stall`]): the
/// same cleanup as a signal, on the calling thread. The main flow notices through
/// its own check ([`crate::stall::check`]); [`pending`] stays `None`.
pub fn abort(why: &str) {
    log::warn!("{why}: cleaning up");
    stop(why);
}

/// The one cleanup path of a stopping run, taken once: the sockets to PostgreSQL
/// servers are shut down first, so that a main thread blocked on a frozen server
/// fails at once and reports, then the hooks run, newest first.
fn stop(why: &str) {
    if STOPPING.swap(true, Ordering::SeqCst) {
        return;
    }
    #[cfg(feature = "db")]
    let severed = crate::conn::sever_all();
    #[cfg(not(feature = "db"))]
    let severed = 0;
    if severed > 0 {
        log::info!("on {why}: shut down {severed} connection(s) to PostgreSQL");
    }
    for (_, what, hook) in hooks().iter().rev() {
        log::info!("on {why}: {what}");
        hook();
    }
    CLEANED_UP.store(true, Ordering::SeqCst);
}

/// Whether the cleanup hooks of a stopping run have all run. A loop that gives up on
/// a signal waits for this: giving up earlier would unwind the main flow, whose
/// dropped [`Hook`]s would then never run (a scratch database left behind).
pub fn cleaned_up() -> bool {
    CLEANED_UP.load(Ordering::SeqCst)
}

/// Whether the run is stopping (a signal arrived or [`abort`] was called): a
/// blocking wait gives up rather than let the main flow wait for it.
pub fn stopping() -> bool {
    STOPPING.load(Ordering::SeqCst)
}

/// The signal received, if any.
pub fn pending() -> Option<i32> {
    match PENDING.load(Ordering::SeqCst) {
        0 => None,
        sig => Some(sig),
    }
}

/// Fails with [`Interrupted`] once a signal arrived.
pub fn check() -> Result<(), Interrupted> {
    match pending() {
        Some(sig) => Err(Interrupted(sig)),
        None => Ok(()),
    }
}

/// A registered cleanup hook; dropping it unregisters the hook (waiting for it to
/// finish if a signal is running it right now).
#[must_use = "the hook is unregistered when this is dropped"]
pub struct Hook(u64);

impl Drop for Hook {
    fn drop(&mut self) {
        hooks().retain(|(id, _, _)| *id != self.0);
    }
}

/// Registers `hook` to run on the signal thread when SIGINT or SIGTERM arrives,
/// until the returned [`Hook`] is dropped. `what` names it in the log. A hook must
/// not register or drop hooks itself. When a signal already arrived it runs at once.
pub fn on_signal(what: impl Into<String>, hook: impl Fn() + Send + 'static) -> Hook {
    let id = NEXT_HOOK.fetch_add(1, Ordering::SeqCst);
    let mut list = hooks();
    // Registered after the hooks ran: what it guards would be left behind otherwise.
    if stopping() {
        hook();
    }
    list.push((id, what.into(), Box::new(hook)));
    Hook(id)
}

/// Waits for `child` to exit, stopping it with SIGTERM if a signal arrives meanwhile.
///
/// The child is waited for without being reaped first, so that its pid cannot be
/// reused by another process while the hook may still send it a signal.
pub fn wait_child(child: &mut Child, what: &str) -> io::Result<ExitStatus> {
    let pid = child.id();
    let hook = stop_child(child, what);
    loop {
        // SAFETY: waitid with a zeroed siginfo_t it fills; WNOWAIT leaves the child waitable.
        let rc = unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            libc::waitid(libc::P_PID, pid, &mut info, libc::WEXITED | libc::WNOWAIT)
        };
        if rc == 0 || io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            break;
        }
    }
    drop(hook);
    child.wait()
}

/// How long a child stopped with SIGTERM gets before SIGKILL: `pg_dump` and
/// `pg_restore` answer SIGTERM by sending a cancel request to the server, which
/// never returns when the server is frozen.
const CHILD_GRACE: Duration = Duration::from_secs(2);

/// Stops `child` when the run stops (a signal, a stall), until the guard is
/// dropped: SIGTERM, then SIGKILL after [`CHILD_GRACE`]. A main thread blocked
/// writing to the child's stdin is then released by the broken pipe. Drop the
/// guard before reaping the child, so that no signal can reach a process that
/// reused its pid.
pub fn stop_child(child: &Child, what: &str) -> ChildStop {
    let pid = child.id();
    let alive = Arc::new(Mutex::new(true));
    let still = alive.clone();
    let hook = on_signal(format!("stopping {what} (pid {pid})"), move || {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return;
        };
        // SAFETY: kill on the pid of our own child, not yet reaped (see above).
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let still = still.clone();
        let escalate = move || {
            std::thread::sleep(CHILD_GRACE);
            // Held while killing: the guard's drop, and so the reaping, waits for it.
            if *still.lock().unwrap_or_else(|p| p.into_inner()) {
                log::warn!("pid {pid} ignored SIGTERM for {CHILD_GRACE:?}: SIGKILL");
                // SAFETY: as above; `still` says it is not reaped yet.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        };
        if let Err(e) = std::thread::Builder::new().spawn(escalate) {
            log::warn!("cannot watch pid {pid} after SIGTERM: {e}");
        }
    });
    ChildStop { _hook: hook, alive }
}

/// What [`stop_child`] returns: dropping it ends the watch over the child.
#[must_use = "the child is no longer stopped on a signal when this is dropped"]
pub struct ChildStop {
    _hook: Hook,
    alive: Arc<Mutex<bool>>,
}

impl Drop for ChildStop {
    fn drop(&mut self) {
        *self.alive.lock().unwrap_or_else(|p| p.into_inner()) = false;
    }
}

/// How long a read of stdin waits before looking for a signal again.
const STDIN_POLL_MS: libc::c_int = 200;

/// Stdin as a tool's input stream, read straight from descriptor 0 (no hidden
/// buffer that `poll` could not see). A read waiting for an upstream tool that is
/// silent (a long backup, a stalled producer) fails with [`Interrupted`] once a
/// signal arrived, instead of holding the run until the upstream ends.
pub struct Stdin(());

/// The process's stdin as a [`Stdin`]; nothing else in the process may read it.
pub fn stdin() -> Stdin {
    Stdin(())
}

impl io::Read for Stdin {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            check().map_err(io::Error::other)?;
            let mut ready = libc::pollfd {
                fd: libc::STDIN_FILENO,
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: poll on one live pollfd, for at most STDIN_POLL_MS.
            let rc = unsafe { libc::poll(&mut ready, 1, STDIN_POLL_MS) };
            if rc > 0 {
                // Readable, at its end, or in error: read(2) says which.
                // SAFETY: reading at most buf.len() bytes into buf.
                let n =
                    unsafe { libc::read(libc::STDIN_FILENO, buf.as_mut_ptr().cast(), buf.len()) };
                if let Ok(n) = usize::try_from(n) {
                    return Ok(n);
                }
            }
            if rc != 0 {
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
        }
    }
}

/// The signal's name for messages: `SIGINT`, `SIGTERM`, else `signal N`.
pub fn signal_name(sig: i32) -> String {
    match sig {
        libc::SIGINT => "SIGINT".into(),
        libc::SIGTERM => "SIGTERM".into(),
        libc::SIGHUP => "SIGHUP".into(),
        libc::SIGQUIT => "SIGQUIT".into(),
        other => format!("signal {other}"),
    }
}

/// Ends the process by `sig` with its default action, once the cleanup hooks that
/// may be running are done: the parent sees a signal death, not an exit code.
/// Returns only if the signal did not end the process (the caller then exits 128 + sig).
pub fn reraise(sig: i32) {
    drop(hooks());
    // SAFETY: plain libc calls: the default action for a catchable signal, then
    // raise(), which directs it at this thread.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}

#[cfg(test)]
#[path = "signals/tests.rs"]
mod tests;
