//! pra-notify: forwards a pra.v1 event stream unchanged and delivers the events that
//! deserve attention to Slack, Telegram, Discord, Microsoft Teams, Mattermost, generic
//! webhooks, e-mail and SMS, then emits one `notify` event per delivery.
//!
//! A failed delivery never stops the pipeline: it is a `notify` event with status
//! `error` and exit 1, after the whole input has been forwarded.

pub mod channels;
mod cli;
mod dispatch;
pub mod email;
mod http;
pub mod message;
pub mod retry;
pub mod select;
pub mod sinks;
pub mod state;

pub use cli::Args;

use pra_core::error_class::ErrorClass;
use pra_core::event::kinds::NotifyFields;
use pra_core::event::{stream, Event, EventWriter, Kind, Status};
use pra_core::exit::{Exit, ExitStatus};
use retry::{Outcome, Policy};
use select::{Alert, Filter};
use sinks::{Payload, Sink};
use state::State;
use std::path::PathBuf;
use std::time::Duration;

/// The tool's name in events and logs.
pub const TOOL: &str = "pra-notify";

/// What can stop pra-notify (a failed delivery does not: it is an event).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A flag or variable is wrong (exit 2).
    #[error("{0}")]
    Usage(String),
    /// Reading stdin or writing stdout failed (exit 3).
    #[error("event stream: {0}")]
    Stream(#[from] std::io::Error),
    /// The `--only-changes` state file cannot be read or written (exit 3).
    #[error("state file {path}: {source}")]
    State {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// SIGINT or SIGTERM arrived: a death by the signal, without waiting for the
    /// deliveries under way.
    #[error("interrupted by {}", pra_core::signals::signal_name(*.0))]
    Interrupted(i32),
}

impl From<pra_core::signals::Interrupted> for Error {
    fn from(pra_core::signals::Interrupted(sig): pra_core::signals::Interrupted) -> Error {
        Error::Interrupted(sig)
    }
}

impl ExitStatus for Error {
    fn class(&self) -> ErrorClass {
        match self {
            Error::Usage(_) => ErrorClass::Usage,
            Error::Stream(_) | Error::State { .. } => ErrorClass::Io,
            Error::Interrupted(_) => ErrorClass::Interrupted,
        }
    }

    fn signal(&self) -> Option<i32> {
        match self {
            Error::Interrupted(sig) => Some(*sig),
            _ => None,
        }
    }
}

/// Runs pra-notify: forward stdin, select alerts, deliver, emit `notify` events.
pub fn run(args: Args) -> Result<Exit, Error> {
    args.output.init_logging(TOOL);
    pra_core::signals::install().map_err(Error::Stream)?;
    let sinks = sinks::from_args(&args)?;
    let policy = Policy {
        timeout: args.timeout,
        max_wait: args.max_wait,
        first_backoff: Duration::from_millis(500),
    };
    let state_path = args.state_file.clone().filter(|_| args.only_changes);
    let (mut state, set_aside) = match &state_path {
        Some(path) => {
            let (state, aside) = State::load_or_set_aside(path).map_err(|source| Error::State {
                path: path.clone(),
                source,
            })?;
            (Some(state), aside.map(|a| state_reset_event(path, a)))
        }
        None => (None, None),
    };

    let mut writer = EventWriter::stdout(args.output.format);
    let seen = stream::forward_stdin(&mut writer, TOOL)?;
    pra_core::signals::check()?;
    if let Some(ev) = &set_aside {
        writer.emit(ev)?;
    }
    if sinks.is_empty() {
        // Reported after forwarding: a misconfigured alerting stage must not also
        // starve the rest of the pipeline of its events.
        return Err(Error::Usage(
            "no sink configured: give --slack-webhook, --webhook, --email-to, \
             --sms-webhook, --telegram-chat-id, --discord-webhook, --teams-webhook or \
             --mattermost-webhook (or their PRA_* variables)"
                .into(),
        ));
    }
    let filter = Filter {
        min_status: args.min_status,
        kinds: args.kinds.clone(),
    };
    let mut alerts = select::select(&seen.events, &filter, state.as_ref());
    // The people the alerts reach are the ones who lost the memory of open problems.
    if let Some(ev) = set_aside {
        alerts.insert(
            0,
            Alert {
                what: select::AlertWhat::Alert,
                event: ev,
                change: None,
            },
        );
    }
    log::info!(
        "{} events read, {} alerts for {} sinks",
        seen.events.len(),
        alerts.len(),
        sinks.len()
    );

    // A signal during the deliveries ends the run at once: the input is forwarded
    // already, and nothing is remembered in the state file, so the next run retries.
    let outcomes = dispatch::deliver_all(&sinks, &alerts, args.digest, policy)?;
    let payloads = dispatch::payloads(&alerts, args.digest);

    let mut own = Vec::new();
    for (i, payload) in payloads.iter().enumerate() {
        let mut all_delivered = true;
        for (sink, outcomes) in sinks.iter().zip(&outcomes) {
            let Some(outcome) = outcomes.get(i) else {
                continue;
            };
            all_delivered &= outcome.error.is_none();
            let ev = match payload {
                Payload::One(alert) => alert_event(sink, alert, outcome),
                Payload::Digest(all) => digest_event(sink, all, outcome),
            };
            writer.emit(&ev)?;
            own.push(ev);
        }
        // A change is remembered only once every sink has it, so that a failed
        // delivery is attempted again on the next run.
        if let (true, Some(state)) = (all_delivered, state.as_mut()) {
            let covered: &[Alert] = match payload {
                Payload::One(alert) => std::slice::from_ref(*alert),
                Payload::Digest(all) => all,
            };
            for change in covered.iter().filter_map(|a| a.change.as_ref()) {
                select::apply(state, change);
            }
        }
    }

    if let (Some(state), Some(path)) = (&state, &state_path) {
        state.save(path).map_err(|source| Error::State {
            path: path.clone(),
            source,
        })?;
    }

    let mut exit = Exit::from_events(&own);
    if args.strict
        && (seen.invalid_lines > 0 || seen.events.iter().any(|e| e.status == Status::Error))
    {
        exit = Exit::Problem;
    }
    Ok(exit)
}

/// The `warn` event of a damaged state file set aside: what the run no longer knows.
fn state_reset_event(path: &std::path::Path, aside: state::SetAside) -> Event {
    let message = format!(
        "--only-changes state file {} is damaged ({}): kept as {}, starting from an \
         empty state; problems open before are alerted again while they last, but \
         their resolution will not be reported",
        path.display(),
        aside.reason,
        aside.kept_as.display()
    );
    Event::new(TOOL, Kind::Notify, Status::Warn, message).with_fields(&NotifyFields {
        what: "state_reset".to_string(),
        target: path.display().to_string(),
        error: Some(aside.reason),
        kept_as: Some(aside.kept_as.display().to_string()),
        ..NotifyFields::default()
    })
}

fn notify_event(
    sink: &Sink,
    outcome: &Outcome,
    about: String,
    fields: NotifyFields,
    stanza: Option<&str>,
) -> Event {
    let (status, message) = match &outcome.error {
        None => (
            Status::Ok,
            format!(
                "delivered {about} to {} ({} attempt{}, {:.2} s)",
                sink.name(),
                outcome.attempts,
                if outcome.attempts == 1 { "" } else { "s" },
                outcome.latency.as_secs_f64()
            ),
        ),
        Some(e) => (
            Status::Error,
            format!("could not deliver {about} to {}: {e}", sink.name()),
        ),
    };
    if let Some(e) = &outcome.error {
        log::error!("{} ({}): {e}", sink.name(), sink.target());
    }
    let ev = Event::new(TOOL, Kind::Notify, status, message)
        .with_error_class(ErrorClass::Delivery)
        .with_fields(&NotifyFields {
            sink: sink.name().to_string(),
            target: sink.target(),
            attempts: outcome.attempts,
            latency_s: (outcome.latency.as_secs_f64() * 1000.0).round() / 1000.0,
            http_status: outcome.http_status,
            error: outcome.error.clone(),
            ..fields
        });
    match stanza {
        Some(s) => ev.with_stanza(s),
        None => ev,
    }
}

fn alert_event(sink: &Sink, alert: &Alert, outcome: &Outcome) -> Event {
    let about = format!(
        "{} about {} {}",
        alert.what.as_str(),
        alert.event.status,
        message::subject_of(&alert.event)
    );
    notify_event(
        sink,
        outcome,
        about,
        NotifyFields {
            what: alert.what.as_str().to_string(),
            event_kind: Some(alert.event.kind.as_str().to_string()),
            event_status: Some(alert.event.status.as_str().to_string()),
            check: alert.event.str_field("name").map(str::to_string),
            events: 1,
            ..NotifyFields::default()
        },
        alert.event.stanza.as_deref(),
    )
}

fn digest_event(sink: &Sink, alerts: &[Alert], outcome: &Outcome) -> Event {
    let worst = alerts.iter().map(|a| a.event.status).max();
    notify_event(
        sink,
        outcome,
        format!("a digest of {} alerts", alerts.len()),
        NotifyFields {
            what: "digest".to_string(),
            event_status: worst.map(|s| s.as_str().to_string()),
            events: alerts.len() as u64,
            ..NotifyFields::default()
        },
        None,
    )
}
