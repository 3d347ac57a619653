//! Which events become alerts: `--min-status`, `--kinds`, and with `--only-changes`
//! the transitions (problem, resolved) against the state of the last run.

use crate::state::{key_of, Problem, State};
use pra_core::event::{Event, Status};

/// Why a message is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertWhat {
    /// An event at or above `--min-status` (without `--only-changes`).
    Alert,
    /// Something went wrong, or changed severity, since the last run.
    Problem,
    /// Something that was wrong is fine again.
    Resolved,
}

impl AlertWhat {
    /// The name used in `notify` events.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertWhat::Alert => "alert",
            AlertWhat::Problem => "problem",
            AlertWhat::Resolved => "resolved",
        }
    }
}

/// One message to deliver about one event.
#[derive(Debug, Clone)]
pub struct Alert {
    /// Why.
    pub what: AlertWhat,
    /// The event it is about.
    pub event: Event,
    /// The `--only-changes` key and the state to record once delivered.
    pub change: Option<(String, Option<Problem>)>,
}

/// The filters from the command line.
#[derive(Debug, Clone)]
pub struct Filter {
    /// Alert on events at least this severe.
    pub min_status: Status,
    /// Alert only on these kinds (empty: all).
    pub kinds: Vec<String>,
}

impl Filter {
    fn wants_kind(&self, event: &Event) -> bool {
        self.kinds.is_empty() || self.kinds.iter().any(|k| k == event.kind.as_str())
    }
}

/// The alerts for these events: every event at or above the minimum status, or with a
/// state, only the changes. The state is not modified: each alert carries the change
/// to record once it has been delivered, so that a failed delivery is tried again next run.
pub fn select(events: &[Event], filter: &Filter, state: Option<&State>) -> Vec<Alert> {
    let Some(state) = state else {
        return events
            .iter()
            .filter(|e| filter.wants_kind(e) && e.status >= filter.min_status)
            .map(|e| Alert {
                what: AlertWhat::Alert,
                event: e.clone(),
                change: None,
            })
            .collect();
    };
    // Events of one run are applied in order to a working copy, so that
    // error -> ok within one input gives a problem and then a resolution.
    let mut current = state.problems.clone();
    let mut alerts = Vec::new();
    for event in events.iter().filter(|e| filter.wants_kind(e)) {
        let key = key_of(event);
        let bad = event.status >= filter.min_status;
        match (current.get(&key), bad) {
            (None, true) => {}
            (Some(p), true) if p.status != event.status => {}
            (Some(_), false) => {
                current.remove(&key);
                alerts.push(Alert {
                    what: AlertWhat::Resolved,
                    event: event.clone(),
                    change: Some((key, None)),
                });
                continue;
            }
            _ => continue,
        }
        let since = current
            .get(&key)
            .map(|p| p.since.clone())
            .unwrap_or_else(|| pra_core::time::format_ts(&event.ts));
        let problem = Problem {
            status: event.status,
            since,
            message: event.message.clone(),
        };
        current.insert(key.clone(), problem.clone());
        alerts.push(Alert {
            what: AlertWhat::Problem,
            event: event.clone(),
            change: Some((key, Some(problem))),
        });
    }
    alerts
}

/// Records a delivered change in the state.
pub fn apply(state: &mut State, change: &(String, Option<Problem>)) {
    match &change.1 {
        Some(p) => {
            state.problems.insert(change.0.clone(), p.clone());
        }
        None => {
            state.problems.remove(&change.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pra_core::event::Kind;

    fn check(status: Status) -> Event {
        Event::new("pra-status", Kind::Check, status, "disk")
            .with_stanza("app")
            .with_field("name", "disk")
    }

    fn filter() -> Filter {
        Filter {
            min_status: Status::Warn,
            kinds: vec![],
        }
    }

    #[test]
    fn without_state_every_event_at_min_status() {
        let evs = [
            check(Status::Ok),
            check(Status::Warn),
            Event::new("pra-backup", Kind::Backup, Status::Error, "x"),
        ];
        assert_eq!(select(&evs, &filter(), None).len(), 2);
        let only_checks = Filter {
            kinds: vec!["check".into()],
            ..filter()
        };
        assert_eq!(select(&evs, &only_checks, None).len(), 1);
    }

    #[test]
    fn only_changes_alert_once_and_resolve_once() {
        let mut state = State::default();
        let mut whats = Vec::new();
        for status in [
            Status::Ok,
            Status::Error,
            Status::Error,
            Status::Warn,
            Status::Ok,
            Status::Ok,
        ] {
            for a in select(&[check(status)], &filter(), Some(&state)) {
                whats.push(a.what);
                apply(&mut state, a.change.as_ref().unwrap());
            }
        }
        use AlertWhat::*;
        assert_eq!(
            whats,
            [Problem, Problem, Resolved],
            "warn after error is a change"
        );
        assert!(state.problems.is_empty());
    }

    #[test]
    fn undelivered_change_is_retried_next_run() {
        let state = State::default();
        let a = select(&[check(Status::Error)], &filter(), Some(&state));
        assert_eq!(a.len(), 1);
        // Not applied (delivery failed): the next run alerts again.
        let b = select(&[check(Status::Error)], &filter(), Some(&state));
        assert_eq!(b.len(), 1);
    }
}
