//! Policy tests on 400 days of hourly backups with gaps, and a typical hourly GFS policy.

use super::*;

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
