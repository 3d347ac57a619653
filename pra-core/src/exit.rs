//! Exit codes (DESIGN.md) and the one path every tool's `main` takes: [`main`] parses
//! the flags, runs, and turns the outcome into a process exit code, reporting every
//! failure both on stderr and as an `error` event on stdout (DESIGN.md: a pipeline's
//! last stage must hear about it).
//!
//! | code | meaning |
//! |---|---|
//! | 0 | the tool did its work and found nothing wrong |
//! | 1 | the tool did its work and found a problem |
//! | 2 | usage or configuration error |
//! | 3 | runtime failure (database unreachable, storage error, I/O, lock held) |
//! | 200 | pra-wal fetch outside standby mode: a failure PostgreSQL must not take for "not archived" ([`Exit::Fatal`]) |
//! | 130, 143 | interrupted by SIGINT, SIGTERM: after cleanup the process re-raises the signal, so a shell sees a signal death (`$?` 130, 143) |
//!
//! An error's code comes from its [`ErrorClass`] (one mapping, documented with the
//! classes in docs/PROTOCOL.md). pra-status speaks the monitoring-plugin convention
//! instead (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN): [`Codes::MonitoringPlugin`].

use crate::error_class::ErrorClass;
use crate::event::{Event, EventWriter, Kind, OutputFormat, Status};
use std::fmt::Display;
use std::io::IsTerminal;
use std::process::ExitCode;

/// The outcome of a tool run, as an exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    /// 0: the work was done and nothing is wrong.
    Ok,
    /// 1: the work was done and found a problem (a verification or delivery failed).
    Problem,
    /// 2: bad flag, bad configuration.
    Usage,
    /// 3: runtime failure: database unreachable, storage error, I/O, lock held.
    Runtime,
    /// 200: a failure the calling program must not read as an answer. PostgreSQL
    /// takes any restore_command exit from 1 to 125 for "not available" and ends
    /// archive recovery early; above 125 it stops recovery with a FATAL line instead.
    /// 126 and 127 mean "not executable" and "not found" to a shell (and in its log),
    /// 128 + N a death by signal N (143 a shutdown): 200 is none of those.
    Fatal,
    /// 128 + signal number: interrupted (130 for SIGINT, 143 for SIGTERM).
    Signal(i32),
}

impl Exit {
    /// The numeric code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Problem => 1,
            Exit::Usage => 2,
            Exit::Runtime => 3,
            Exit::Fatal => 200,
            Exit::Signal(sig) => u8::try_from(128 + sig).unwrap_or(255),
        }
    }

    /// The exit for a set of events this tool emitted: 1 if any is `error`, else 0.
    ///
    /// Upstream events are not counted (pass only the tool's own), unless the tool's
    /// `--strict` asks for it.
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> Exit {
        if crate::event::worst_status(events) == Status::Error {
            Exit::Problem
        } else {
            Exit::Ok
        }
    }
}

/// An error that knows its class, hence its exit code. Every crate's error enum implements it.
pub trait ExitStatus {
    /// What kind of failure this is: the `error_class` of its event.
    fn class(&self) -> ErrorClass;

    /// The signal that stopped the run, for class `interrupted`.
    fn signal(&self) -> Option<i32> {
        None
    }

    /// True when the run already emitted this failure's `error` event (with the
    /// fields of its kind): [`finish`] then prints it but emits no second event.
    fn reported(&self) -> bool {
        false
    }

    /// The exit code, from the class: the one mapping.
    fn exit(&self) -> Exit {
        self.class().exit(self.signal())
    }
}

/// What a finished run returns: the exit code its work deserves.
pub trait Outcome {
    /// The process exit code.
    fn exit_code(&self) -> u8;

    /// The signal to die by once the run has cleaned up, if any.
    fn signal(&self) -> Option<i32> {
        None
    }
}

impl Outcome for Exit {
    fn exit_code(&self) -> u8 {
        self.code()
    }

    fn signal(&self) -> Option<i32> {
        match self {
            Exit::Signal(sig) => Some(*sig),
            _ => None,
        }
    }
}

/// Which exit codes a tool speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codes {
    /// DESIGN.md's: 1 problem, 2 usage or configuration, 3 runtime, 128 + signal.
    Pra,
    /// The monitoring-plugin convention (pra-status): every failure, a bad flag
    /// included, is 3 UNKNOWN, since 2 means CRITICAL to Nagios.
    MonitoringPlugin,
}

/// The monitoring-plugin UNKNOWN code.
const UNKNOWN: u8 = 3;

impl Codes {
    fn failure(self, exit: Exit) -> u8 {
        match self {
            Codes::Pra => exit.code(),
            Codes::MonitoringPlugin => UNKNOWN,
        }
    }
}

/// The running tool: its name (stderr prefix, events' `tool`), the kind of its
/// events (a failure is reported as an `error` event of that kind) and its codes.
#[derive(Debug, Clone)]
pub struct Tool {
    /// `pra-backup`, …
    pub name: &'static str,
    /// `backup`, …
    pub kind: Kind,
    /// Its exit-code convention.
    pub codes: Codes,
}

impl Tool {
    /// A tool speaking DESIGN.md's exit codes.
    pub fn new(name: &'static str, kind: Kind) -> Tool {
        Tool {
            name,
            kind,
            codes: Codes::Pra,
        }
    }

    /// The same tool, speaking the monitoring-plugin convention.
    pub fn monitoring_plugin(self) -> Tool {
        Tool {
            codes: Codes::MonitoringPlugin,
            ..self
        }
    }
}

/// The one `main` of every tool: parse the flags, run, report, exit.
///
/// `--help` and `--version` print on stdout and exit 0. A bad flag is one line on
/// stderr prefixed with the tool's name, a `usage` error event on stdout, exit 2.
/// `format` says how the parsed flags want events written; `run` does the work.
pub fn main<A, T, E>(
    tool: &Tool,
    format: impl FnOnce(&A) -> OutputFormat,
    run: impl FnOnce(A) -> Result<T, E>,
) -> ExitCode
where
    A: clap::Parser,
    T: Outcome,
    E: Display + ExitStatus,
{
    text_format_only_on_a_terminal(tool.name, std::io::stdout().is_terminal());
    let args = match A::try_parse() {
        Ok(args) => args,
        Err(e) => return bad_flags(tool, &e),
    };
    let format = format(&args);
    finish(tool, format, run(args))
}

/// `PRA_FORMAT=text` from an environment file must not break a pipeline: text is for
/// terminals and explicit flags (`--format text`), never a pipe's input. When stdout
/// is not a terminal the variable is dropped, with a warning, before the flags are
/// parsed, so every tool writes JSON lines to the next one.
fn text_format_only_on_a_terminal(tool: &str, stdout_is_terminal: bool) {
    let text = std::env::var("PRA_FORMAT").is_ok_and(|v| v.trim().eq_ignore_ascii_case("text"));
    if text && !stdout_is_terminal {
        eprintln!(
            "{tool}: warning: PRA_FORMAT=text ignored: stdout is not a terminal, so events \
             go out as JSON lines for the next tool (pass --format text to insist)"
        );
        // Single-threaded still: nothing else reads the environment concurrently.
        std::env::remove_var("PRA_FORMAT");
    }
}

/// Turns a run's result into the process exit code. A failure is printed on stderr
/// as one line prefixed with the tool's name and, unless the run already did,
/// emitted as an `error` event of the tool's kind. After an interruption the process
/// dies by the signal itself, so that a shell sees a signal death.
pub fn finish<T, E>(tool: &Tool, format: OutputFormat, result: Result<T, E>) -> ExitCode
where
    T: Outcome,
    E: Display + ExitStatus,
{
    let (code, signal) = match result {
        Ok(outcome) => (outcome.exit_code(), outcome.signal()),
        Err(e) => {
            let (class, message, exit) = as_stopped(&e);
            eprintln!("{}: error: {message}", tool.name);
            if !e.reported() {
                emit_failure(tool, format, class, message);
            }
            (tool.codes.failure(exit), Outcome::signal(&exit))
        }
    };
    if let Some(sig) = signal {
        crate::signals::reraise(sig);
    }
    ExitCode::from(code)
}

/// The class, message and exit of a failure, told by what stopped the run: an error
/// that followed a signal or a stall (a child killed, a connection shut down) is
/// that signal's or that stall's, whatever layer saw it first.
fn as_stopped<E: Display + ExitStatus>(e: &E) -> (ErrorClass, String, Exit) {
    if e.signal().is_none() {
        if let Some(sig) = crate::signals::pending() {
            let class = ErrorClass::Interrupted;
            let message = if e.class() == class {
                e.to_string()
            } else {
                format!("interrupted by {}: {e}", crate::signals::signal_name(sig))
            };
            return (class, message, class.exit(Some(sig)));
        }
        if let Some(stall) = crate::stall::stalled() {
            let class = ErrorClass::Timeout;
            let message = if e.class() == class {
                e.to_string()
            } else {
                format!("{stall}: {e}")
            };
            return (class, message, class.exit(None));
        }
    }
    (e.class(), e.to_string(), e.exit())
}

fn bad_flags(tool: &Tool, e: &clap::Error) -> ExitCode {
    if !e.use_stderr() {
        // --help, --version: on stdout, exit 0.
        let _ = e.print();
        return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(0));
    }
    let line = clap_line(e);
    // One line (cron mails stay short); clap's own starts with "error: ".
    eprintln!("{}: {line}", tool.name);
    let message = line.strip_prefix("error: ").unwrap_or(&line).to_string();
    emit_failure(tool, OutputFormat::Json, ErrorClass::Usage, message);
    ExitCode::from(tool.codes.failure(Exit::Usage))
}

/// The first line of a clap error, with the argument names when clap puts them on
/// the next line ("the following required arguments were not provided:").
fn clap_line(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let mut line = lines.next().unwrap_or("bad arguments").to_string();
    if line.ends_with(':') {
        line = format!("{line} {}", lines.next().unwrap_or(""));
    }
    line
}

fn emit_failure(tool: &Tool, format: OutputFormat, class: ErrorClass, message: String) {
    let event = Event::error(tool.name, tool.kind.clone(), class, message);
    if let Err(e) = EventWriter::stdout(format).emit(&event) {
        eprintln!("{}: error: cannot write the error event: {e}", tool.name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Kind;

    #[test]
    fn codes_match_the_design() {
        assert_eq!(Exit::Ok.code(), 0);
        assert_eq!(Exit::Problem.code(), 1);
        assert_eq!(Exit::Usage.code(), 2);
        assert_eq!(Exit::Runtime.code(), 3);
        assert_eq!(Exit::Fatal.code(), 200);
        assert_eq!(Exit::Signal(libc::SIGINT).code(), 130);
        assert_eq!(Exit::Signal(libc::SIGTERM).code(), 143);
    }

    #[derive(Debug, thiserror::Error)]
    #[error("boom")]
    struct Boom(ErrorClass, Option<i32>);

    impl ExitStatus for Boom {
        fn class(&self) -> ErrorClass {
            self.0
        }
        fn signal(&self) -> Option<i32> {
            self.1
        }
    }

    #[test]
    fn an_error_exits_by_its_class_or_unknown_for_a_plugin() {
        assert_eq!(Boom(ErrorClass::Config, None).exit(), Exit::Usage);
        assert_eq!(Boom(ErrorClass::Repository, None).exit(), Exit::Runtime);
        let interrupted = Boom(ErrorClass::Interrupted, Some(libc::SIGINT));
        assert_eq!(interrupted.exit(), Exit::Signal(libc::SIGINT));
        assert_eq!(Codes::Pra.failure(Exit::Usage), 2);
        assert_eq!(Codes::MonitoringPlugin.failure(Exit::Usage), 3);
        assert_eq!(Codes::MonitoringPlugin.failure(Exit::Runtime), 3);
    }

    #[test]
    fn a_clap_error_is_one_line_naming_the_arguments() {
        #[derive(clap::Parser, Debug)]
        struct A {
            #[arg(long)]
            needed: String,
        }
        let e = <A as clap::Parser>::try_parse_from(["t"]).unwrap_err();
        let line = clap_line(&e);
        assert!(line.starts_with("error: "), "{line}");
        assert!(line.contains("--needed"), "{line}");
        assert!(!line.contains('\n'), "{line}");
        let e = <A as clap::Parser>::try_parse_from(["t", "--nope"]).unwrap_err();
        assert!(clap_line(&e).contains("--nope"));
        let help = <A as clap::Parser>::try_parse_from(["t", "--help"]).unwrap_err();
        assert!(!help.use_stderr() && help.exit_code() == 0);
    }

    #[test]
    fn exit_from_own_events() {
        let ok = Event::new("t", Kind::Verify, Status::Ok, "");
        let warn = Event::new("t", Kind::Verify, Status::Warn, "");
        let err = Event::new("t", Kind::Verify, Status::Error, "");
        assert_eq!(Exit::from_events([&ok, &warn]), Exit::Ok);
        assert_eq!(Exit::from_events([&ok, &err]), Exit::Problem);
    }
}
