//! Incidents: every `error` event of the period, grouped by stanza and
//! `error_class`, with first and last seen, count, kinds and the last message.

use crate::period::format_ms;
use pra_core::event::kinds::IncidentGroup;
use pra_core::event::Event;
use std::collections::{BTreeMap, BTreeSet};

/// The class of events from before `error_class` existed.
pub const UNCLASSIFIED: &str = "unclassified";

#[derive(Debug)]
struct Group {
    count: u64,
    first: i64,
    last: i64,
    kinds: BTreeSet<String>,
    last_message: String,
}

/// The incidents being collected; memory grows with the number of distinct
/// (stanza, class) pairs, not of events.
#[derive(Debug, Default)]
pub struct Incidents {
    groups: BTreeMap<(Option<String>, String), Group>,
}

impl Incidents {
    /// Adds an `error` event.
    pub fn add(&mut self, ev: &Event) {
        let at = ev.ts.timestamp_millis();
        let class = ev
            .error_class
            .clone()
            .unwrap_or_else(|| UNCLASSIFIED.to_string());
        let g = self
            .groups
            .entry((ev.stanza.clone(), class))
            .or_insert_with(|| Group {
                count: 0,
                first: at,
                last: at,
                kinds: BTreeSet::new(),
                last_message: String::new(),
            });
        g.count += 1;
        g.first = g.first.min(at);
        if at >= g.last {
            g.last = at;
            g.last_message.clone_from(&ev.message);
        }
        if !g.kinds.contains(ev.kind.as_str()) {
            g.kinds.insert(ev.kind.as_str().to_string());
        }
    }

    /// The groups, most frequent first, then by stanza and class.
    pub fn finish(self) -> Vec<IncidentGroup> {
        let mut out: Vec<IncidentGroup> = self
            .groups
            .into_iter()
            .map(|((stanza, error_class), g)| IncidentGroup {
                stanza,
                error_class,
                count: g.count,
                first_at: format_ms(g.first),
                last_at: format_ms(g.last),
                kinds: g.kinds.into_iter().collect(),
                last_message: g.last_message,
            })
            .collect();
        out.sort_by_key(|g| std::cmp::Reverse(g.count));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pra_core::error_class::ErrorClass;
    use pra_core::event::{Kind, Status};

    #[test]
    fn grouped_by_stanza_and_class() {
        let at = |s: &str, mut e: Event| {
            e.ts = pra_core::time::parse_ts(s).unwrap();
            e
        };
        let mut inc = Incidents::default();
        let conn = |m: &str| {
            Event::error("pra-backup", Kind::Backup, ErrorClass::Connection, m).with_stanza("app")
        };
        inc.add(&at("2026-11-03T00:00:00Z", conn("third")));
        inc.add(&at("2026-11-01T00:00:00Z", conn("first")));
        inc.add(&at(
            "2026-11-02T00:00:00Z",
            Event::error("pra-verify", Kind::Verify, ErrorClass::Connection, "v")
                .with_stanza("app"),
        ));
        inc.add(&at(
            "2026-11-02T00:00:00Z",
            Event::new("pra-status", Kind::Check, Status::Error, "old"),
        ));
        let g = inc.finish();
        assert_eq!(g.len(), 2);
        assert_eq!(
            (
                g[0].stanza.as_deref(),
                g[0].error_class.as_str(),
                g[0].count
            ),
            (Some("app"), "connection", 3)
        );
        assert_eq!(
            (g[0].first_at.as_str(), g[0].last_at.as_str()),
            ("2026-11-01T00:00:00.000Z", "2026-11-03T00:00:00.000Z")
        );
        assert_eq!(g[0].kinds, ["backup", "verify"]);
        assert_eq!(g[0].last_message, "third");
        assert_eq!(
            (g[1].stanza.as_deref(), g[1].error_class.as_str()),
            (None, UNCLASSIFIED)
        );
    }
}
