//! Unit tests of the policy on synthetic timelines. Every expected kept set is
//! written out by hand from the calendar, never computed by a second implementation.

use super::*;
use chrono::{Datelike, FixedOffset, NaiveDateTime, TimeZone};

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

// ------------------------------------------------ 400 days of hourly backups, with gaps

/// Hourly at :17 from 2025-10-21 00:17 to 2026-11-25 09:17, except: all of February
/// 2026, ISO week 33 of 2026 (Mon 2026-08-10 to Sun 08-16), Sunday 2026-11-22, the
/// hours 12:00-23:59 of 2026-11-24 and the hour 03 of 2026-11-25.
fn four_hundred_days() -> Vec<BackupInfo> {
    series("2025-10-21 00:17", "2026-11-25 09:17", hour(), |t| {
        let s = t.format("%Y-%m-%d %H").to_string();
        (t >= at("2026-02-01 00:00") && t < at("2026-03-01 00:00"))
            || (t >= at("2026-08-10 00:00") && t < at("2026-08-17 00:00"))
            || s.starts_with("2026-11-22")
            || (s.starts_with("2026-11-24") && s[11..].parse::<u32>().unwrap() >= 12)
            || s == "2026-11-25 03"
    })
}

const END: &str = "2026-11-25 10:00";

#[test]
fn gaps_hourly_counts_only_hours_with_a_backup() {
    let p = RetentionPolicy {
        hourly: Count::N(10),
        ..policy()
    };
    let plan = plan_retention(&four_hundred_days(), &p, at(END));
    assert_eq!(
        kept(&plan),
        ids(&[
            "2026-11-25 09:17",
            "2026-11-25 08:17",
            "2026-11-25 07:17",
            "2026-11-25 06:17",
            "2026-11-25 05:17",
            "2026-11-25 04:17",
            "2026-11-25 02:17",
            "2026-11-25 01:17",
            "2026-11-25 00:17",
            "2026-11-24 11:17",
        ])
    );
}

#[test]
fn gaps_daily_weekly_monthly_yearly() {
    let backups = four_hundred_days();
    let only = |p: RetentionPolicy| kept(&plan_retention(&backups, &p, at(END)));
    assert_eq!(
        only(RetentionPolicy {
            daily: Count::N(7),
            ..policy()
        }),
        ids(&[
            "2026-11-25 09:17",
            "2026-11-24 11:17",
            "2026-11-23 23:17",
            "2026-11-21 23:17",
            "2026-11-20 23:17",
            "2026-11-19 23:17",
            "2026-11-18 23:17",
        ])
    );
    assert_eq!(
        only(RetentionPolicy {
            weekly: Count::N(5),
            ..policy()
        }),
        ids(&[
            "2026-11-25 09:17",
            "2026-11-21 23:17",
            "2026-11-15 23:17",
            "2026-11-08 23:17",
            "2026-11-01 23:17",
        ])
    );
    let months = [
        "2026-11-25 09:17",
        "2026-10-31 23:17",
        "2026-09-30 23:17",
        "2026-08-31 23:17",
        "2026-07-31 23:17",
        "2026-06-30 23:17",
        "2026-05-31 23:17",
        "2026-04-30 23:17",
        "2026-03-31 23:17",
        // February 2026 has no backup and does not count.
        "2026-01-31 23:17",
        "2025-12-31 23:17",
        "2025-11-30 23:17",
    ];
    assert_eq!(
        only(RetentionPolicy {
            monthly: Count::N(12),
            ..policy()
        }),
        ids(&months)
    );
    let mut all_months = ids(&months);
    all_months.push(id("2025-10-31 23:17"));
    assert_eq!(
        only(RetentionPolicy {
            monthly: Count::Unlimited,
            ..policy()
        }),
        all_months
    );
    // Only two years have backups: a count of 3 keeps both.
    assert_eq!(
        only(RetentionPolicy {
            yearly: Count::N(3),
            ..policy()
        }),
        ids(&["2026-11-25 09:17", "2025-12-31 23:17"])
    );
    assert_eq!(
        only(RetentionPolicy {
            last: Count::N(3),
            ..policy()
        }),
        ids(&["2026-11-25 09:17", "2026-11-25 08:17", "2026-11-25 07:17"])
    );
}

#[test]
fn gaps_gfs_policy_combines_by_or_with_every_reason() {
    let backups = four_hundred_days();
    let p = RetentionPolicy {
        hourly: Count::N(10),
        daily: Count::N(7),
        weekly: Count::N(5),
        monthly: Count::N(12),
        yearly: Count::N(3),
        ..policy()
    };
    let plan = plan_retention(&backups, &p, at(END));
    let expected = ids(&[
        // hourly (the newest is also daily, weekly, monthly, yearly and newest)
        "2026-11-25 09:17",
        "2026-11-25 08:17",
        "2026-11-25 07:17",
        "2026-11-25 06:17",
        "2026-11-25 05:17",
        "2026-11-25 04:17",
        "2026-11-25 02:17",
        "2026-11-25 01:17",
        "2026-11-25 00:17",
        "2026-11-24 11:17",
        // daily
        "2026-11-23 23:17",
        "2026-11-21 23:17",
        "2026-11-20 23:17",
        "2026-11-19 23:17",
        "2026-11-18 23:17",
        // weekly
        "2026-11-15 23:17",
        "2026-11-08 23:17",
        "2026-11-01 23:17",
        // monthly (2025-12-31 is also the yearly of 2025)
        "2026-10-31 23:17",
        "2026-09-30 23:17",
        "2026-08-31 23:17",
        "2026-07-31 23:17",
        "2026-06-30 23:17",
        "2026-05-31 23:17",
        "2026-04-30 23:17",
        "2026-03-31 23:17",
        "2026-01-31 23:17",
        "2025-12-31 23:17",
        "2025-11-30 23:17",
    ]);
    assert_eq!(kept(&plan), expected);
    assert_eq!(plan.delete.len(), backups.len() - expected.len());
    assert_eq!(
        plan.reasons(&id("2026-11-25 09:17")).unwrap(),
        [
            Reason::Hourly,
            Reason::Daily,
            Reason::Weekly,
            Reason::Monthly,
            Reason::Yearly,
            Reason::Newest
        ]
    );
    assert_eq!(
        plan.reasons(&id("2026-11-24 11:17")).unwrap(),
        [Reason::Hourly, Reason::Daily]
    );
    assert_eq!(
        plan.reasons(&id("2026-11-21 23:17")).unwrap(),
        [Reason::Daily, Reason::Weekly]
    );
    assert_eq!(
        plan.reasons(&id("2025-12-31 23:17")).unwrap(),
        [Reason::Monthly, Reason::Yearly]
    );
    // Kept and deleted partition the input.
    assert!(plan.delete.iter().all(|d| plan.reasons(d).is_none()));
}

#[test]
fn gaps_keep_within_is_measured_from_the_newest_backup() {
    let backups = four_hundred_days();
    let p = RetentionPolicy {
        within: Some(Duration::from_secs(36 * 3600)),
        ..policy()
    };
    // Run a month later: the window still ends at the newest backup (11-25 09:17),
    // so it starts at 11-23 21:17, excluded.
    let plan = plan_retention(&backups, &p, at("2026-12-25 00:00"));
    let mut expected = ids(&[
        "2026-11-25 09:17",
        "2026-11-25 08:17",
        "2026-11-25 07:17",
        "2026-11-25 06:17",
        "2026-11-25 05:17",
        "2026-11-25 04:17",
        "2026-11-25 02:17",
        "2026-11-25 01:17",
        "2026-11-25 00:17",
    ]);
    for h in (0..=11).rev() {
        expected.push(id(&format!("2026-11-24 {h:02}:17")));
    }
    expected.extend(ids(&["2026-11-23 23:17", "2026-11-23 22:17"]));
    assert_eq!(kept(&plan), expected);
    assert_eq!(
        plan.reasons(&id("2026-11-23 22:17")).unwrap(),
        [Reason::Within]
    );
}

#[test]
fn newest_verified_is_kept_whatever_the_policy() {
    let mut backups = four_hundred_days();
    for b in backups.iter_mut() {
        if b.id == id("2026-06-15 12:17") || b.id == id("2025-11-05 00:17") {
            b.verified = true;
        }
    }
    let p = RetentionPolicy {
        last: Count::N(1),
        ..policy()
    };
    let plan = plan_retention(&backups, &p, at(END));
    assert_eq!(kept(&plan), ids(&["2026-11-25 09:17", "2026-06-15 12:17"]));
    assert_eq!(
        plan.reasons(&id("2026-06-15 12:17")).unwrap(),
        [Reason::NewestVerified]
    );
    assert_eq!(
        plan.reasons(&id("2026-11-25 09:17")).unwrap(),
        [Reason::Last, Reason::Newest]
    );
    // Without any verification, no backup is kept for it.
    let plain = plan_retention(&four_hundred_days(), &p, at(END));
    assert!(kept_for(&plain, Reason::NewestVerified).is_empty());
}

#[test]
fn now_in_the_past_keeps_later_backups_out_of_the_count() {
    let p = RetentionPolicy {
        daily: Count::N(2),
        ..policy()
    };
    let plan = plan_retention(&four_hundred_days(), &p, at("2026-11-24 00:00"));
    let after = kept_for(&plan, Reason::AfterNow);
    // 11-24 00:17..11:17 and 11-25 00:17..09:17 without 03:17.
    assert_eq!(after.len(), 12 + 9);
    assert_eq!(
        kept_for(&plan, Reason::Daily),
        ids(&["2026-11-23 23:17", "2026-11-21 23:17"])
    );
    assert_eq!(kept_for(&plan, Reason::Newest), ids(&["2026-11-23 23:17"]));
    assert_eq!(plan.keep.len(), 21 + 2);
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

// ------------------------------------------------------------ ISO weeks, time zones

#[test]
fn iso_weeks_cross_the_new_year() {
    let backups = series("2025-12-20 06:00", "2026-01-06 06:00", day(), |_| false);
    let p = RetentionPolicy {
        weekly: Count::N(3),
        ..policy()
    };
    let plan = plan_retention(&backups, &p, at("2026-01-07 00:00"));
    // 2026-W02 (Mon 01-05), 2026-W01 (Mon 2025-12-29 to Sun 2026-01-04), 2025-W52.
    assert_eq!(
        kept(&plan),
        ids(&["2026-01-06 06:00", "2026-01-04 06:00", "2025-12-28 06:00"])
    );
}

/// Central European time, as a fixed rule so the test never depends on the machine:
/// UTC+2 from the last Sunday of March 01:00 UTC to the last Sunday of October
/// 01:00 UTC, UTC+1 otherwise.
fn paris(t: DateTime<Utc>) -> FixedOffset {
    fn last_sunday_1am(year: i32, month: u32) -> DateTime<Utc> {
        let mut d = Utc.with_ymd_and_hms(year, month, 31, 1, 0, 0).unwrap();
        while d.weekday() != chrono::Weekday::Sun {
            d -= chrono::Duration::days(1);
        }
        d
    }
    let y = t.year();
    let summer = t >= last_sunday_1am(y, 3) && t < last_sunday_1am(y, 10);
    FixedOffset::east_opt(if summer { 7200 } else { 3600 }).unwrap()
}

#[test]
fn the_test_zone_changes_on_the_right_nights() {
    assert_eq!(paris(at("2026-03-29 00:59")).local_minus_utc(), 3600);
    assert_eq!(paris(at("2026-03-29 01:00")).local_minus_utc(), 7200);
    assert_eq!(paris(at("2026-10-25 00:59")).local_minus_utc(), 7200);
    assert_eq!(paris(at("2026-10-25 01:00")).local_minus_utc(), 3600);
}

#[test]
fn clocks_going_back_repeat_one_local_hour() {
    // 00:30Z is 02:30 CEST and 01:30Z is 02:30 CET on 2026-10-25.
    let backups = series("2026-10-24 20:30", "2026-10-25 04:30", hour(), |_| false);
    let local = RetentionPolicy {
        hourly: Count::N(6),
        zone: Zone::Offsets(paris),
        ..policy()
    };
    let plan = plan_retention(&backups, &local, at("2026-10-26 00:00"));
    assert_eq!(
        kept(&plan),
        ids(&[
            "2026-10-25 04:30", // 05:30 CET
            "2026-10-25 03:30", // 04:30
            "2026-10-25 02:30", // 03:30
            "2026-10-25 01:30", // 02:30 CET, the newer of the repeated hour
            "2026-10-24 23:30", // 01:30 CEST
            "2026-10-24 22:30", // 00:30 CEST
        ])
    );
    assert_eq!(
        plan.delete,
        ids(&["2026-10-25 00:30", "2026-10-24 21:30", "2026-10-24 20:30"])
    );
    // In UTC every hour is distinct: the six newest.
    let utc = RetentionPolicy {
        zone: Zone::Utc,
        ..local
    };
    let plan = plan_retention(&backups, &utc, at("2026-10-26 00:00"));
    assert_eq!(
        plan.delete,
        ids(&["2026-10-24 22:30", "2026-10-24 21:30", "2026-10-24 20:30"])
    );
    // Days: local 2026-10-25 starts at 2026-10-24 22:00Z.
    let daily = |zone| RetentionPolicy {
        daily: Count::N(2),
        zone,
        ..policy()
    };
    assert_eq!(
        kept(&plan_retention(
            &backups,
            &daily(Zone::Offsets(paris)),
            at("2026-10-26 00:00")
        )),
        ids(&["2026-10-25 04:30", "2026-10-24 21:30"])
    );
    assert_eq!(
        kept(&plan_retention(
            &backups,
            &daily(Zone::Utc),
            at("2026-10-26 00:00")
        )),
        ids(&["2026-10-25 04:30", "2026-10-24 23:30"])
    );
}

#[test]
fn the_day_clocks_go_back_has_25_hours() {
    // Local 2026-10-25 runs from 2026-10-24 22:00Z to 2026-10-25 23:00Z; the last
    // backup (23:00Z) is local midnight of 10-26.
    let backups = series("2026-10-24 22:00", "2026-10-25 23:00", hour(), |_| false);
    assert_eq!(backups.len(), 26);
    let p = RetentionPolicy {
        hourly: Count::Unlimited,
        zone: Zone::Offsets(paris),
        ..policy()
    };
    let plan = plan_retention(&backups, &p, at("2026-10-27 00:00"));
    // 25 hours of the day make 24 local hourly buckets: only 00:00Z (02:00 CEST)
    // shares its bucket with the newer 01:00Z (02:00 CET).
    assert_eq!(plan.delete, ids(&["2026-10-25 00:00"]));
    let days = RetentionPolicy {
        hourly: Count::N(0),
        daily: Count::Unlimited,
        ..p
    };
    assert_eq!(
        kept(&plan_retention(&backups, &days, at("2026-10-27 00:00"))),
        ids(&["2026-10-25 23:00", "2026-10-25 22:00"])
    );
}

#[test]
fn clocks_going_forward_make_a_23_hour_day() {
    // Local 2026-03-29 runs from 2026-03-28 23:00Z to 2026-03-29 22:00Z.
    let backups = series("2026-03-28 22:00", "2026-03-29 23:00", hour(), |_| false);
    assert_eq!(backups.len(), 26);
    let daily = |zone| RetentionPolicy {
        daily: Count::Unlimited,
        zone,
        ..policy()
    };
    let now = at("2026-03-30 12:00");
    assert_eq!(
        kept(&plan_retention(&backups, &daily(Zone::Offsets(paris)), now)),
        ids(&["2026-03-29 23:00", "2026-03-29 21:00", "2026-03-28 22:00"])
    );
    assert_eq!(
        kept(&plan_retention(&backups, &daily(Zone::Utc), now)),
        ids(&["2026-03-29 23:00", "2026-03-28 23:00"])
    );
    // No local hour repeats that night: every backup is its own hourly bucket.
    let hourly = RetentionPolicy {
        hourly: Count::Unlimited,
        zone: Zone::Offsets(paris),
        ..policy()
    };
    assert!(plan_retention(&backups, &hourly, now).delete.is_empty());
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

/// The hourly GFS policy of docs/RETENTION.md on six years of hourly backups:
/// 48 hourly, then 11 more dailies (11-22 back to 11-12), 5 more weeklies
/// (11-08 back to 10-11), 11 more monthlies (10-31 back to 2025-12-31) and
/// 3 more yearlies (2024, 2023, 2022): 78 backups.
#[test]
fn typical_hourly_gfs_keeps_78_backups() {
    let backups = series("2020-01-01 00:00", "2026-11-25 09:00", hour(), |_| false);
    let p = RetentionPolicy {
        hourly: Count::N(48),
        daily: Count::N(14),
        weekly: Count::N(8),
        monthly: Count::N(12),
        yearly: Count::N(5),
        ..policy()
    };
    let plan = plan_retention(&backups, &p, at("2026-11-25 10:00"));
    let hourly = kept_for(&plan, Reason::Hourly);
    assert_eq!(hourly.len(), 48);
    assert_eq!(hourly[47], id("2026-11-23 10:00"));
    assert_eq!(
        kept_for(&plan, Reason::Daily).last(),
        Some(&id("2026-11-12 23:00"))
    );
    assert_eq!(
        kept_for(&plan, Reason::Weekly).last(),
        Some(&id("2026-10-11 23:00"))
    );
    assert_eq!(
        kept_for(&plan, Reason::Monthly).last(),
        Some(&id("2025-12-31 23:00"))
    );
    assert_eq!(
        kept_for(&plan, Reason::Yearly),
        ids(&[
            "2026-11-25 09:00",
            "2025-12-31 23:00",
            "2024-12-31 23:00",
            "2023-12-31 23:00",
            "2022-12-31 23:00"
        ])
    );
    assert_eq!(plan.keep.len(), 48 + 11 + 5 + 11 + 3);
}
