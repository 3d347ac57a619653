//! Unit tests of the policy on synthetic timelines. Every expected kept set is
//! written out by hand from the calendar, never computed by a second implementation.

use super::*;
use chrono::NaiveDateTime;

mod gaps;
mod zones;

/// A time just after the last backup of the 400-day timeline (`gaps`).
const END: &str = "2026-11-25 10:00";

/// `"2026-11-25 09:17"` (UTC) as a time.
fn at(s: &str) -> DateTime<Utc> {
    let fmt = if s.len() > 16 {
        "%Y-%m-%d %H:%M:%S"
    } else {
        "%Y-%m-%d %H:%M"
    };
    NaiveDateTime::parse_from_str(s, fmt).unwrap().and_utc()
}

/// The id of a backup started at `s`.
fn id(s: &str) -> String {
    pra_core::repo::backup_id_for(at(s))
}

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| id(s)).collect()
}

fn backup(t: DateTime<Utc>) -> BackupInfo {
    BackupInfo {
        id: pra_core::repo::backup_id_for(t),
        started_at: t,
        verified: false,
    }
}

/// One backup every `step` from `from` to `to` inclusive, except where `skip` says.
fn series(
    from: &str,
    to: &str,
    step: chrono::Duration,
    skip: impl Fn(DateTime<Utc>) -> bool,
) -> Vec<BackupInfo> {
    let (mut t, end) = (at(from), at(to));
    let mut out = Vec::new();
    while t <= end {
        if !skip(t) {
            out.push(backup(t));
        }
        t += step;
    }
    out
}

fn kept(plan: &Plan) -> Vec<String> {
    plan.keep.iter().map(|k| k.id.clone()).collect()
}

/// The ids a rule kept (newest first).
fn kept_for(plan: &Plan, reason: Reason) -> Vec<String> {
    plan.keep
        .iter()
        .filter(|k| k.reasons.contains(&reason))
        .map(|k| k.id.clone())
        .collect()
}

fn policy() -> RetentionPolicy {
    RetentionPolicy::default()
}

fn day() -> chrono::Duration {
    chrono::Duration::days(1)
}

fn hour() -> chrono::Duration {
    chrono::Duration::hours(1)
}

// ---------------------------------------------------------------- restic's examples

/// restic's documentation: one backup every Sunday for 12 weeks; `--keep-daily 4`
/// keeps the last four Sundays and removes the other eight.
#[test]
fn restic_sundays_keep_daily_4() {
    let backups = series("2019-09-01 11:00", "2019-11-17 11:00", day() * 7, |_| false);
    assert_eq!(backups.len(), 12);
    let p = RetentionPolicy {
        daily: Count::N(4),
        ..policy()
    };
    let plan = plan_retention(&backups, &p, at("2019-11-18 00:00"));
    assert_eq!(
        kept(&plan),
        ids(&[
            "2019-11-17 11:00",
            "2019-11-10 11:00",
            "2019-11-03 11:00",
            "2019-10-27 11:00"
        ])
    );
    assert_eq!(
        plan.delete,
        ids(&[
            "2019-10-20 11:00",
            "2019-10-13 11:00",
            "2019-10-06 11:00",
            "2019-09-29 11:00",
            "2019-09-22 11:00",
            "2019-09-15 11:00",
            "2019-09-08 11:00",
            "2019-09-01 11:00",
        ])
    );
    assert_eq!(
        plan.reasons(&id("2019-11-17 11:00")).unwrap(),
        [Reason::Daily, Reason::Newest]
    );
    assert_eq!(
        plan.reasons(&id("2019-10-27 11:00")).unwrap(),
        [Reason::Daily]
    );
}

/// The reading of restic's example: `--keep-daily 7 --keep-weekly 5` on daily
/// backups keeps 7 dailies plus 4 more weeklies (the dailies already hold one weekly).
#[test]
fn restic_daily_7_weekly_5_keeps_7_dailies_and_4_more_weeklies() {
    // Daily at 11:00; 2019-11-17 is a Sunday (the end of ISO week 46).
    let backups = series("2019-06-01 11:00", "2019-11-17 11:00", day(), |_| false);
    let p = RetentionPolicy {
        daily: Count::N(7),
        weekly: Count::N(5),
        ..policy()
    };
    let plan = plan_retention(&backups, &p, at("2019-11-17 12:00"));
    let dailies = ids(&[
        "2019-11-17 11:00",
        "2019-11-16 11:00",
        "2019-11-15 11:00",
        "2019-11-14 11:00",
        "2019-11-13 11:00",
        "2019-11-12 11:00",
        "2019-11-11 11:00",
    ]);
    assert_eq!(kept_for(&plan, Reason::Daily), dailies);
    assert_eq!(
        kept_for(&plan, Reason::Weekly),
        ids(&[
            "2019-11-17 11:00",
            "2019-11-10 11:00",
            "2019-11-03 11:00",
            "2019-10-27 11:00",
            "2019-10-20 11:00",
        ])
    );
    let mut expected = dailies;
    expected.extend(ids(&[
        "2019-11-10 11:00",
        "2019-11-03 11:00",
        "2019-10-27 11:00",
        "2019-10-20 11:00",
    ]));
    assert_eq!(kept(&plan), expected);
    assert_eq!(plan.keep.len(), 11);
    assert_eq!(plan.delete.len(), backups.len() - 11);
}

/// restic's documentation: a backup every day for 100 years, `--keep-daily 7
/// --keep-weekly 5 --keep-monthly 12 --keep-yearly 75` keeps 7 dailies, 4 more
/// weeklies, 12 or 11 monthlies and 75 or 74 yearlies (minus those already kept).
#[test]
fn restic_hundred_years_of_dailies() {
    let backups = series("1919-11-18 11:00", "2019-11-17 11:00", day(), |_| false);
    assert_eq!(backups.len(), 36525);
    let p = RetentionPolicy {
        daily: Count::N(7),
        weekly: Count::N(5),
        monthly: Count::N(12),
        yearly: Count::N(75),
        ..policy()
    };
    let plan = plan_retention(&backups, &p, at("2019-11-17 12:00"));
    assert_eq!(kept_for(&plan, Reason::Daily).len(), 7);
    assert_eq!(kept_for(&plan, Reason::Weekly).len(), 5);
    assert_eq!(
        kept_for(&plan, Reason::Monthly),
        ids(&[
            "2019-11-17 11:00",
            "2019-10-31 11:00",
            "2019-09-30 11:00",
            "2019-08-31 11:00",
            "2019-07-31 11:00",
            "2019-06-30 11:00",
            "2019-05-31 11:00",
            "2019-04-30 11:00",
            "2019-03-31 11:00",
            "2019-02-28 11:00",
            "2019-01-31 11:00",
            "2018-12-31 11:00",
        ])
    );
    let yearly = kept_for(&plan, Reason::Yearly);
    assert_eq!(yearly.len(), 75);
    assert_eq!(yearly[0], id("2019-11-17 11:00"));
    assert_eq!(yearly[1], id("2018-12-31 11:00"));
    assert_eq!(yearly[74], id("1945-12-31 11:00"));
    // 7 dailies + 4 weeklies + 11 monthlies (November is a daily) + 73 yearlies
    // (2019 is a daily, 2018-12-31 a monthly).
    assert_eq!(plan.keep.len(), 7 + 4 + 11 + 73);
    assert_eq!(
        plan.reasons(&id("2018-12-31 11:00")).unwrap(),
        [Reason::Monthly, Reason::Yearly]
    );
    assert_eq!(
        plan.reasons(&id("2019-11-17 11:00")).unwrap(),
        [
            Reason::Daily,
            Reason::Weekly,
            Reason::Monthly,
            Reason::Yearly,
            Reason::Newest
        ]
    );
}

// ------------------------------------------------------------ same minute, same second

#[test]
fn backups_in_the_same_minute_and_second() {
    let t = at("2026-11-25 11:00:00");
    let same = |suffix: &str| BackupInfo {
        id: format!("20261125T110000Z{suffix}"),
        started_at: t,
        verified: false,
    };
    let backups = vec![
        same(""),
        same("-1"),
        same("-2"),
        same("-10"),
        backup(at("2026-11-25 11:00:30")),
        backup(at("2026-11-25 10:59:59")),
    ];
    let now = at("2026-11-25 12:00");
    let last2 = plan_retention(
        &backups,
        &RetentionPolicy {
            last: Count::N(2),
            ..policy()
        },
        now,
    );
    assert_eq!(kept(&last2), ["20261125T110030Z", "20261125T110000Z-10"]);
    assert_eq!(
        last2.delete,
        [
            "20261125T110000Z-2",
            "20261125T110000Z-1",
            "20261125T110000Z",
            "20261125T105959Z"
        ]
    );
    let hourly = plan_retention(
        &backups,
        &RetentionPolicy {
            hourly: Count::N(2),
            ..policy()
        },
        now,
    );
    assert_eq!(kept(&hourly), ["20261125T110030Z", "20261125T105959Z"]);
    let within = plan_retention(
        &backups,
        &RetentionPolicy {
            within: Some(Duration::from_secs(30)),
            ..policy()
        },
        now,
    );
    // Strictly newer than 11:00:00: the four backups of 11:00:00 are out.
    assert_eq!(kept(&within), ["20261125T110030Z"]);
}

// ------------------------------------------------------------ edges

#[test]
fn empty_policy_and_descriptions() {
    assert!(policy().is_empty());
    assert!(RetentionPolicy {
        last: Count::N(0),
        within: Some(Duration::ZERO),
        ..policy()
    }
    .is_empty());
    let p = RetentionPolicy {
        daily: Count::N(7),
        weekly: Count::Unlimited,
        within: Some(Duration::from_secs(86400)),
        ..policy()
    };
    assert!(!p.is_empty());
    assert_eq!(
        p.describe(),
        "keep 7 daily, all weekly, all within 24 h 00 min of the newest (buckets in utc)"
    );
    assert_eq!(parse_count("unlimited"), Ok(Count::Unlimited));
    assert_eq!(parse_count(" 12 "), Ok(Count::N(12)));
    assert!(parse_count("-1").is_err());
}

#[test]
fn no_backups_and_huge_windows() {
    let p = RetentionPolicy {
        within: Some(Duration::MAX),
        ..policy()
    };
    assert_eq!(plan_retention(&[], &p, at(END)), Plan::default());
    let backups = series("2026-01-01 00:00", "2026-01-10 00:00", day(), |_| false);
    assert!(plan_retention(&backups, &p, at(END)).delete.is_empty());
    // A policy that keeps nothing by itself still keeps the newest backup.
    let nothing = RetentionPolicy {
        daily: Count::N(0),
        last: Count::N(0),
        ..policy()
    };
    let plan = plan_retention(&backups, &nothing, at(END));
    assert_eq!(kept(&plan), ids(&["2026-01-10 00:00"]));
    assert_eq!(plan.delete.len(), 9);
}

#[test]
fn ids_order_by_time_then_numeric_suffix() {
    assert!(id_order("20261125T110000Z-10") > id_order("20261125T110000Z-9"));
    assert!(id_order("20261125T110000Z-1") > id_order("20261125T110000Z"));
    assert!(id_order("20261125T110001Z") > id_order("20261125T110000Z-10"));
}
