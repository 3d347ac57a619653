//! Policy tests across ISO-week year boundaries and daylight-saving changes, in a
//! fixed rule zone so that they never depend on the machine's TZ.

use super::*;
use chrono::{Datelike, FixedOffset, TimeZone};

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
