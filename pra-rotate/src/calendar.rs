//! Calendar buckets of the retention policy: which hour, day, ISO week, month and
//! year a backup falls in, in a chosen time zone.
//!
//! Buckets follow natural boundaries (restic's `forget` does the same): an hour is
//! `:00` to `:59`, a day `00:00` to `23:59`, a week Monday to Sunday (ISO 8601, so
//! week 1 of a year may start in December), a month and a year as on a calendar.
//! The zone is UTC by default, so that the result does not depend on where pra-rotate
//! runs; `local` uses the zone of the machine (`TZ`, else `/etc/localtime`), with its
//! daylight-saving changes: on the night clocks go back, the repeated local hour is
//! one hourly bucket and that day has 25 hours; on the night they go forward, the day
//! has 23 hours.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDateTime, Offset, TimeZone, Timelike, Utc};

/// The time zone calendar buckets are computed in.
#[derive(Debug, Clone, Copy)]
pub enum Zone {
    /// Coordinated Universal Time (the default).
    Utc,
    /// The machine's zone (`TZ`, else `/etc/localtime`), daylight saving included.
    Local,
    /// A zone given by its UTC offset at each instant. Used by tests to model a zone
    /// with daylight saving deterministically, whatever the machine's `TZ`.
    Offsets(fn(DateTime<Utc>) -> FixedOffset),
}

impl Zone {
    /// The name shown in events and messages: `utc`, `local` or `custom`.
    pub fn name(&self) -> &'static str {
        match self {
            Zone::Utc => "utc",
            Zone::Local => "local",
            Zone::Offsets(_) => "custom",
        }
    }

    /// The wall-clock time in this zone at instant `t`.
    pub fn wall_clock(&self, t: DateTime<Utc>) -> NaiveDateTime {
        let offset = match self {
            Zone::Utc => return t.naive_utc(),
            Zone::Local => chrono::Local.offset_from_utc_datetime(&t.naive_utc()).fix(),
            Zone::Offsets(f) => f(t),
        };
        t.naive_utc() + chrono::Duration::seconds(i64::from(offset.local_minus_utc()))
    }
}

/// A calendar period kind, one per `--keep-*` calendar option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// `:00` to `:59` of one wall-clock hour.
    Hour,
    /// `00:00` to `23:59` of one wall-clock day.
    Day,
    /// Monday to Sunday of one ISO 8601 week.
    Week,
    /// One calendar month.
    Month,
    /// One calendar year.
    Year,
}

/// The bucket of a wall-clock time for a period, as a sortable number
/// (`YYYYMMDDHH`, `YYYYMMDD`, ISO `YYYYWW`, `YYYYMM`, `YYYY`).
pub fn bucket(period: Period, t: NaiveDateTime) -> i64 {
    let (y, m, d, h) = (
        i64::from(t.year()),
        i64::from(t.month()),
        i64::from(t.day()),
        i64::from(t.hour()),
    );
    match period {
        Period::Hour => ((y * 100 + m) * 100 + d) * 100 + h,
        Period::Day => (y * 100 + m) * 100 + d,
        Period::Week => {
            let w = t.iso_week();
            i64::from(w.year()) * 100 + i64::from(w.week())
        }
        Period::Month => y * 100 + m,
        Period::Year => y,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        pra_core::time::parse_ts(s).unwrap()
    }

    #[test]
    fn buckets_use_natural_boundaries() {
        let t = at("2026-11-25T23:59:59Z").naive_utc();
        assert_eq!(bucket(Period::Hour, t), 2026112523);
        assert_eq!(bucket(Period::Day, t), 20261125);
        assert_eq!(bucket(Period::Week, t), 202648);
        assert_eq!(bucket(Period::Month, t), 202611);
        assert_eq!(bucket(Period::Year, t), 2026);
        // ISO week 1 of 2026 starts on Monday 2025-12-29; 2021-01-03 is in 2020-W53.
        assert_eq!(
            bucket(Period::Week, at("2025-12-29T00:00:00Z").naive_utc()),
            202601
        );
        assert_eq!(
            bucket(Period::Week, at("2025-12-28T23:59:59Z").naive_utc()),
            202552
        );
        assert_eq!(
            bucket(Period::Week, at("2021-01-03T12:00:00Z").naive_utc()),
            202053
        );
    }

    #[test]
    fn utc_zone_is_the_instant_itself() {
        let t = at("2026-03-29T01:30:00Z");
        assert_eq!(Zone::Utc.wall_clock(t), t.naive_utc());
        fn plus_two(_: DateTime<Utc>) -> FixedOffset {
            FixedOffset::east_opt(7200).unwrap()
        }
        assert_eq!(
            Zone::Offsets(plus_two).wall_clock(t),
            at("2026-03-29T03:30:00Z").naive_utc()
        );
    }
}
