//! Runs a tool binary the way a user or a pipeline does: arguments, environment,
//! bytes on stdin; collects the exit code, stdout decoded into `pra.v1` events,
//! and stderr. Every assertion helper prints the command, stdin, stdout and
//! stderr when it fails, so a red test explains itself.
//!
//! Every run checks one rule of the protocol on its way: each `error` event the
//! tool emits carries an `error_class` from the documented table (DESIGN.md), so
//! every failure test of every tool checks it without saying so.

use pra_core::error_class::ErrorClass;
use pra_core::event::{Event, Kind, Status};
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A tool invocation being prepared.
pub struct Tool {
    cmd: Command,
    name: String,
    shown: String,
    stdin: Vec<u8>,
    /// Keep stdin open after feeding it, until the tool exits (a silent upstream).
    hold_stdin: bool,
    timeout: Duration,
}

/// Prepares a run of the binary at `path` (e.g. `env!("CARGO_BIN_EXE_pra-backup")`).
///
/// The run starts with `RUST_LOG` and the `PRA_*` variables of the test process removed,
/// so that a developer's environment cannot change a test's outcome.
pub fn tool(path: &str) -> Tool {
    let mut cmd = Command::new(path);
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        if k.starts_with("PRA_") || k.starts_with("PG") || k == "RUST_LOG" {
            cmd.env_remove(&k);
        }
    }
    let name = std::path::Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Tool {
        cmd,
        shown: name.clone(),
        name,
        stdin: Vec::new(),
        hold_stdin: false,
        timeout: Duration::from_secs(300),
    }
}

/// Prepares a run of `program` as OS user `user` (and its group, no other groups),
/// through `setpriv`, as cron's user column or systemd's `User=` would run it: the
/// tests run as root, the jobs must not.
pub fn tool_as(user: &str, program: &str) -> Tool {
    tool("/usr/bin/setpriv")
        .args(["--reuid", user, "--regid", user, "--clear-groups", "--"])
        .arg(program)
}

impl Tool {
    /// Adds an argument.
    pub fn arg(mut self, a: impl AsRef<std::ffi::OsStr>) -> Self {
        self.shown.push(' ');
        self.shown.push_str(&a.as_ref().to_string_lossy());
        self.cmd.arg(a);
        self
    }

    /// Adds arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        for a in args {
            self = self.arg(a);
        }
        self
    }

    /// Sets an environment variable.
    pub fn env(mut self, k: &str, v: impl AsRef<std::ffi::OsStr>) -> Self {
        self.cmd.env(k, v);
        self
    }

    /// Sets several environment variables (e.g. `cluster.env()`).
    pub fn envs(mut self, vars: Vec<(String, String)>) -> Self {
        self.cmd.envs(vars);
        self
    }

    /// Runs the tool in `dir` (a tool that reads its working directory, as pra-wal
    /// fetch looks for standby.signal in the data directory PostgreSQL runs it in).
    pub fn current_dir(mut self, dir: impl AsRef<std::path::Path>) -> Self {
        self.cmd.current_dir(dir);
        self
    }

    /// Bytes for stdin (stdin is a pipe even when empty, never the terminal).
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = bytes.into();
        self
    }

    /// Events for stdin, one JSON line each.
    pub fn stdin_events(self, events: &[Event]) -> Self {
        let mut bytes = Vec::new();
        for e in events {
            bytes.extend_from_slice(e.to_json_line().as_bytes());
            bytes.push(b'\n');
        }
        self.stdin(bytes)
    }

    /// Keeps stdin open once fed, until the tool exits: an upstream stage that is
    /// still running and says nothing (a long backup).
    pub fn silent_upstream(mut self) -> Self {
        self.hold_stdin = true;
        self
    }

    /// Kills the run and fails the test after this long (default 300 s).
    pub fn timeout(mut self, t: Duration) -> Self {
        self.timeout = t;
        self
    }

    /// The underlying command, for tests that need to spawn and signal it themselves.
    pub fn command(self) -> Command {
        self.cmd
    }

    /// Runs the tool to completion.
    pub fn run(self) -> ToolRun {
        self.spawn().wait()
    }

    /// Starts the tool, for tests that signal it or act while it runs; [`Running::wait`]
    /// collects the outcome.
    pub fn spawn(mut self) -> Running {
        let started = Instant::now();
        let mut child = self
            .cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.shown));
        let mut stdin = child.stdin.take().unwrap();
        let input = self.stdin.clone();
        let hold = self.hold_stdin;
        let feeder = std::thread::spawn(move || {
            // The tool may exit without reading all of stdin; that is its business.
            let _ = stdin.write_all(&input);
            // Handed back to be closed once the tool has exited.
            hold.then_some(stdin)
        });
        let mut stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let out_reader = std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = std::io::Read::read_to_end(&mut stdout, &mut v);
            v
        });
        let err_reader = std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = std::io::Read::read_to_end(&mut stderr, &mut v);
            v
        });
        Running {
            tool: self,
            child,
            started,
            readers: (feeder, out_reader, err_reader),
        }
    }
}

/// Writes stdin; hands back the pipe when the upstream is to stay silent but open.
type Feeder = std::thread::JoinHandle<Option<std::process::ChildStdin>>;
/// Collects stdout or stderr.
type Collector = std::thread::JoinHandle<Vec<u8>>;

/// A tool started by [`Tool::spawn`].
pub struct Running {
    tool: Tool,
    child: std::process::Child,
    started: Instant,
    readers: (Feeder, Collector, Collector),
}

impl Running {
    /// Sends `sig` (e.g. `libc::SIGTERM`) to the tool.
    pub fn signal(&self, sig: i32) {
        let pid = i32::try_from(self.child.id()).unwrap();
        // SAFETY: kill(2) on our own child, not yet reaped.
        unsafe { libc::kill(pid, sig) };
    }

    /// Sends `sig` and waits for the tool, asserting what issue 26 promises: it ends
    /// within `within` by a death by that signal, with one `error` event of `kind`
    /// whose class is `interrupted`. Returns the run for the tool's own checks.
    pub fn interrupt(self, sig: i32, kind: Kind, within: Duration) -> ToolRun {
        let sent = Instant::now();
        self.signal(sig);
        let run = self.wait();
        run.check(
            sent.elapsed() < within,
            &format!("ended within {within:?} of signal {sig}"),
        );
        assert_eq!(
            run.signal,
            Some(sig),
            "a death by the signal\n{}",
            run.dump()
        );
        let ev = run.one(kind);
        assert_eq!(ev.status, Status::Error, "{}", run.dump());
        assert_eq!(ev.class(), Some(ErrorClass::Interrupted), "{}", run.dump());
        run
    }

    /// True while the tool has not exited.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// How long it has been running.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Waits for the tool to finish (at most the run's timeout) and collects its outcome.
    pub fn wait(self) -> ToolRun {
        let Running {
            tool,
            mut child,
            started,
            readers: (feeder, out_reader, err_reader),
        } = self;
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if started.elapsed() > tool.timeout {
                let _ = child.kill();
                let _ = child.wait();
                let stdout = out_reader.join().unwrap();
                let stderr = err_reader.join().unwrap();
                panic!(
                    "{} did not finish within {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
                    tool.shown,
                    tool.timeout,
                    String::from_utf8_lossy(&stdout),
                    String::from_utf8_lossy(&stderr)
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let elapsed = started.elapsed();
        let _ = feeder.join();
        let stdout = out_reader.join().unwrap();
        let stderr = String::from_utf8_lossy(&err_reader.join().unwrap()).into_owned();
        let mut events = Vec::new();
        let mut other_lines = Vec::new();
        for line in stdout.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            match Event::parse_line(line) {
                Ok(e) => events.push(e),
                Err(_) => other_lines.push(String::from_utf8_lossy(line).into_owned()),
            }
        }
        use std::os::unix::process::ExitStatusExt;
        let run = ToolRun {
            command: tool.shown,
            stdin: tool.stdin,
            code: status.code(),
            signal: status.signal(),
            stdout,
            stderr,
            events,
            other_lines,
            elapsed,
        };
        run.check_error_classes(&tool.name);
        run
    }
}

/// The outcome of a tool run.
#[derive(Debug, Clone)]
pub struct ToolRun {
    /// The command line, for messages.
    pub command: String,
    /// What was fed on stdin.
    pub stdin: Vec<u8>,
    /// Exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    /// The signal that killed it, if any.
    pub signal: Option<i32>,
    /// Raw stdout.
    pub stdout: Vec<u8>,
    /// stderr as text.
    pub stderr: String,
    /// stdout lines that are `pra.v1` events, in order.
    pub events: Vec<Event>,
    /// stdout lines that are not events.
    pub other_lines: Vec<String>,
    /// Wall time.
    pub elapsed: Duration,
}

impl ToolRun {
    /// Fails unless every `error` event emitted by `tool` (not forwarded from
    /// upstream) has a documented `error_class`; `internal` means one was forgotten.
    fn check_error_classes(&self, tool: &str) {
        for e in &self.events {
            if e.tool != tool || e.status != Status::Error {
                continue;
            }
            let class = e.class();
            self.check(
                class.is_some() && class != Some(ErrorClass::Internal),
                &format!(
                    "{tool} emitted an error event without a documented error_class ({:?}): {}",
                    e.error_class,
                    e.to_json_line()
                ),
            );
        }
    }

    /// Everything about the run, for failure messages.
    pub fn dump(&self) -> String {
        let stdin = String::from_utf8_lossy(&self.stdin);
        let stdin = if stdin.len() > 4000 {
            format!("{}… ({} bytes)", &stdin[..4000], stdin.len())
        } else {
            stdin.into_owned()
        };
        format!(
            "command: {}\nexit: {:?} signal: {:?} after {:?}\n--- stdin ---\n{}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.command,
            self.code,
            self.signal,
            self.elapsed,
            stdin,
            String::from_utf8_lossy(&self.stdout),
            self.stderr
        )
    }

    /// Asserts the exit code.
    pub fn code_is(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "unexpected exit code\n{}",
            self.dump()
        );
        self
    }

    /// Asserts exit code 0.
    pub fn success(&self) -> &Self {
        self.code_is(0)
    }

    /// Asserts something about the run, printing everything when it does not hold.
    pub fn check(&self, ok: bool, what: &str) -> &Self {
        assert!(ok, "{what}\n{}", self.dump());
        self
    }

    /// Asserts stderr contains a text.
    pub fn stderr_contains(&self, text: &str) -> &Self {
        self.check(
            self.stderr.contains(text),
            &format!("stderr should contain {text:?}"),
        )
    }

    /// Asserts a bad flag as every tool reports one: exit 2, no panic, one line on
    /// stderr containing `text`, and one `usage` error event on stdout.
    pub fn usage_error(&self, text: &str) -> &Self {
        self.code_is(2).bad_flag(text)
    }

    /// [`ToolRun::usage_error`] but the exit code, which a tool speaking the
    /// monitoring-plugin convention (pra-status) maps to UNKNOWN, 3.
    pub fn bad_flag(&self, text: &str) -> &Self {
        self.check(!self.stderr.contains("panicked"), "no panic")
            .check(
                self.stderr.trim_end().lines().count() == 1,
                "one line on stderr",
            )
            .stderr_contains(text)
            .check(
                self.events
                    .iter()
                    .any(|e| e.status == Status::Error && e.class() == Some(ErrorClass::Usage)),
                "a `usage` error event",
            )
    }

    /// The events of one kind.
    pub fn events_of(&self, kind: Kind) -> Vec<&Event> {
        self.events.iter().filter(|e| e.kind == kind).collect()
    }

    /// The only event of a kind (fails when there is not exactly one).
    pub fn one(&self, kind: Kind) -> &Event {
        let found = self.events_of(kind.clone());
        assert_eq!(
            found.len(),
            1,
            "expected exactly one {kind} event\n{}",
            self.dump()
        );
        found[0]
    }
}
