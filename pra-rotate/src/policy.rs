//! The retention policy, as a pure function: which complete backups to keep and
//! why, which to delete. No I/O here, so that every rule is unit-tested on
//! synthetic timelines (see `policy/tests.rs`).
//!
//! The semantics are those of restic's `forget`:
//!
//! - Backups are walked newest first.
//! - `--keep-last N` keeps the N newest backups.
//! - `--keep-hourly N` (daily, weekly, monthly, yearly likewise) keeps the newest
//!   backup of each of the last N hours that have a backup: an hour without a
//!   backup does not count. Buckets follow calendar boundaries in the policy's
//!   [`Zone`] (see [`crate::calendar`]).
//! - `--keep-within D` keeps every backup started less than D before the newest
//!   backup (not before "now": a repository whose backups stopped does not empty itself).
//! - The options combine by OR: a backup is kept when any rule keeps it, and it
//!   lists every rule that did.
//!
//! Safety rules that no policy overrides, applied here too:
//!
//! - the newest backup is always kept (`newest`),
//! - the newest verified backup (a passing checksum or restore verdict, `pra_core::select`)
//!   is always kept (`newest-verified`),
//! - a backup started after the plan's `now` is kept and not counted by any rule
//!   (`after-now`): with `--now` in the past it did not exist yet, and a clock in
//!   the future must not push real backups out of their buckets.

use crate::calendar::{bucket, Period, Zone};
use chrono::{DateTime, Utc};
use std::cmp::Ordering;
use std::fmt;
use std::time::Duration;

/// How many periods a `--keep-*` count option keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    /// The last N (0 = the option is off).
    N(u32),
    /// Every one (`unlimited`).
    Unlimited,
}

impl Count {
    fn is_on(self) -> bool {
        self != Count::N(0)
    }
}

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Count::N(n) => write!(f, "{n}"),
            Count::Unlimited => f.write_str("all"),
        }
    }
}

/// Parses a count for clap: a number, or `unlimited` (also `all`).
pub fn parse_count(s: &str) -> Result<Count, String> {
    match s.trim() {
        "unlimited" | "all" => Ok(Count::Unlimited),
        n => n
            .parse::<u32>()
            .map(Count::N)
            .map_err(|_| format!("invalid count {s:?} (a number, or \"unlimited\")")),
    }
}

/// A retention policy (the `--keep-*` options and the calendar's zone).
#[derive(Debug, Clone, Copy)]
pub struct RetentionPolicy {
    /// `--keep-last`.
    pub last: Count,
    /// `--keep-hourly`.
    pub hourly: Count,
    /// `--keep-daily`.
    pub daily: Count,
    /// `--keep-weekly` (ISO weeks, Monday to Sunday).
    pub weekly: Count,
    /// `--keep-monthly`.
    pub monthly: Count,
    /// `--keep-yearly`.
    pub yearly: Count,
    /// `--keep-within`, measured back from the newest backup.
    pub within: Option<Duration>,
    /// The zone of the calendar buckets.
    pub zone: Zone,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        RetentionPolicy {
            last: Count::N(0),
            hourly: Count::N(0),
            daily: Count::N(0),
            weekly: Count::N(0),
            monthly: Count::N(0),
            yearly: Count::N(0),
            within: None,
            zone: Zone::Utc,
        }
    }
}

impl RetentionPolicy {
    /// True when no keep option is set: such a policy would delete everything and
    /// is refused.
    pub fn is_empty(&self) -> bool {
        self.counts().iter().all(|(_, c)| !c.is_on()) && self.within.is_none_or(|d| d.is_zero())
    }

    fn counts(&self) -> [(Reason, Count); 6] {
        [
            (Reason::Last, self.last),
            (Reason::Hourly, self.hourly),
            (Reason::Daily, self.daily),
            (Reason::Weekly, self.weekly),
            (Reason::Monthly, self.monthly),
            (Reason::Yearly, self.yearly),
        ]
    }

    /// The policy in words: `keep 7 daily, 4 weekly, all within 30d of the newest (buckets in utc)`.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self
            .counts()
            .iter()
            .filter(|(_, c)| c.is_on())
            .map(|(r, c)| format!("{c} {r}"))
            .collect();
        if let Some(d) = self.within.filter(|d| !d.is_zero()) {
            parts.push(format!(
                "all within {} of the newest",
                pra_core::time::format_duration(d)
            ));
        }
        format!(
            "keep {} (buckets in {})",
            parts.join(", "),
            self.zone.name()
        )
    }
}

/// Why a backup is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    /// Within `--keep-within` of the newest backup.
    Within,
    /// One of the `--keep-last` newest.
    Last,
    /// The newest of one of the last `--keep-hourly` hours with a backup.
    Hourly,
    /// The newest of one of the last `--keep-daily` days with a backup.
    Daily,
    /// The newest of one of the last `--keep-weekly` ISO weeks with a backup.
    Weekly,
    /// The newest of one of the last `--keep-monthly` months with a backup.
    Monthly,
    /// The newest of one of the last `--keep-yearly` years with a backup.
    Yearly,
    /// Safety: the newest backup.
    Newest,
    /// Safety: the newest verified backup (`pra_core::select::is_verified`).
    NewestVerified,
    /// Safety: started after the time the plan is made for.
    AfterNow,
}

impl Reason {
    fn period(self) -> Option<Period> {
        match self {
            Reason::Hourly => Some(Period::Hour),
            Reason::Daily => Some(Period::Day),
            Reason::Weekly => Some(Period::Week),
            Reason::Monthly => Some(Period::Month),
            Reason::Yearly => Some(Period::Year),
            _ => None,
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Reason::Within => "within",
            Reason::Last => "last",
            Reason::Hourly => "hourly",
            Reason::Daily => "daily",
            Reason::Weekly => "weekly",
            Reason::Monthly => "monthly",
            Reason::Yearly => "yearly",
            Reason::Newest => "newest",
            Reason::NewestVerified => "newest-verified",
            Reason::AfterNow => "after-now",
        })
    }
}

/// A complete backup as the policy sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupInfo {
    /// The backup id (`20261125T110000Z`, `-N` suffix when the second was taken).
    pub id: String,
    /// When it started (the manifest's `started_at`).
    pub started_at: DateTime<Utc>,
    /// True when it is verified (`pra_core::select::is_verified`).
    pub verified: bool,
}

/// A kept backup and every reason it was kept, in [`Reason`] order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    /// The backup id.
    pub id: String,
    /// The reasons (never empty).
    pub reasons: Vec<Reason>,
}

/// What to keep and what to delete, both newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Backups kept, with their reasons.
    pub keep: Vec<Kept>,
    /// Ids of backups to delete.
    pub delete: Vec<String>,
}

impl Plan {
    /// The reasons a backup is kept, `None` when it is to be deleted or unknown.
    pub fn reasons(&self, id: &str) -> Option<&[Reason]> {
        self.keep
            .iter()
            .find(|k| k.id == id)
            .map(|k| k.reasons.as_slice())
    }
}

/// The sort key of a backup id: its time part, then its numeric suffix (`-2` -> 2,
/// none -> 0), so that `…Z-10` sorts after `…Z-9` and ids sort by start time.
pub fn id_order(id: &str) -> (&str, u64) {
    match id.split_once('-') {
        Some((base, suffix)) => (base, suffix.parse().unwrap_or(0)),
        None => (id, 0),
    }
}

/// Newest first: by start time, then by id (same second: the higher suffix is newer).
fn newest_first(a: &BackupInfo, b: &BackupInfo) -> Ordering {
    b.started_at
        .cmp(&a.started_at)
        .then_with(|| id_order(&b.id).cmp(&id_order(&a.id)))
}

/// Decides which backups `policy` keeps as of `now`, and why.
///
/// An empty policy ([`RetentionPolicy::is_empty`]) is the caller's to refuse; given
/// one, this keeps only what the safety rules keep.
pub fn plan_retention(
    backups: &[BackupInfo],
    policy: &RetentionPolicy,
    now: DateTime<Utc>,
) -> Plan {
    let mut sorted: Vec<&BackupInfo> = backups.iter().collect();
    sorted.sort_by(|a, b| newest_first(a, b));
    let mut reasons: Vec<Vec<Reason>> = vec![Vec::new(); sorted.len()];

    // Backups after `now` are kept and take no part in the rules below.
    let first_past = sorted
        .iter()
        .position(|b| b.started_at <= now)
        .unwrap_or(sorted.len());
    for r in reasons.iter_mut().take(first_past) {
        r.push(Reason::AfterNow);
    }
    let walk = &sorted[first_past..];

    if let Some(newest) = walk.first() {
        if let Some(d) = policy.within.filter(|d| !d.is_zero()) {
            let cutoff = chrono::Duration::from_std(d)
                .ok()
                .and_then(|d| newest.started_at.checked_sub_signed(d));
            for (i, b) in walk.iter().enumerate() {
                // Strictly newer than the cutoff, as restic does; no cutoff (a duration
                // beyond the calendar) keeps everything.
                if cutoff.is_none_or(|c| b.started_at > c) {
                    reasons[first_past + i].push(Reason::Within);
                }
            }
        }
        for (reason, count) in policy.counts() {
            if !count.is_on() {
                continue;
            }
            let mut left = count;
            let mut last_bucket: Option<i64> = None;
            for (i, b) in walk.iter().enumerate() {
                if left == Count::N(0) {
                    break;
                }
                // `last` gives each backup its own bucket.
                let key = match reason.period() {
                    Some(p) => bucket(p, policy.zone.wall_clock(b.started_at)),
                    None => i as i64,
                };
                if last_bucket != Some(key) {
                    last_bucket = Some(key);
                    reasons[first_past + i].push(reason);
                    if let Count::N(n) = left {
                        left = Count::N(n - 1);
                    }
                }
            }
        }
        reasons[first_past].push(Reason::Newest);
        if let Some(i) = walk.iter().position(|b| b.verified) {
            reasons[first_past + i].push(Reason::NewestVerified);
        }
    }

    let mut plan = Plan::default();
    for (b, mut r) in sorted.into_iter().zip(reasons) {
        if r.is_empty() {
            plan.delete.push(b.id.clone());
        } else {
            r.sort();
            plan.keep.push(Kept {
                id: b.id.clone(),
                reasons: r,
            });
        }
    }
    plan
}

#[cfg(test)]
mod tests;
