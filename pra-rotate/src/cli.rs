//! The flags of pra-rotate (clap derive). The help text is the man page.

use crate::calendar::Zone;
use crate::policy::{parse_count, Count, RetentionPolicy};
use chrono::{DateTime, Utc};
use pra_core::cli::{OutputArgs, RepoArgs};
use std::time::Duration;

/// The time zone of the calendar buckets, as a flag value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TimezoneArg {
    /// Coordinated Universal Time: the same result on every machine.
    Utc,
    /// The zone of the machine running pra-rotate (TZ, else /etc/localtime).
    Local,
}

/// Apply a retention policy to a backup repository.
#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "pra-rotate",
    version,
    about = "Apply a grandfather-father-son retention policy to a pra repository",
    long_about = "Apply a grandfather-father-son retention policy to a pra repository, \
deleting the backups it no longer keeps, never the one you need.\n\n\
The policy (as restic's `forget`): complete backups are walked newest first.\n  \
--keep-last N     keeps the N newest backups;\n  \
--keep-hourly N   keeps the newest backup of each of the last N hours that have a backup \
(an hour without one does not count);\n  \
--keep-daily N, --keep-weekly N, --keep-monthly N, --keep-yearly N  likewise for days, \
ISO weeks (Monday to Sunday), months and years;\n  \
--keep-within D   keeps every backup started less than D before the newest backup \
(measured from the newest backup, not from now: a stanza whose backups stopped \
does not empty itself).\n\
Options combine by OR: a backup is kept when any rule keeps it, and the `rotate` event \
lists every reason it was kept. A count may be `unlimited`. Calendar buckets use natural \
boundaries in UTC by default, so the result is the same on every machine; \
`--timezone local` uses the zone of the machine running pra-rotate (TZ, else \
/etc/localtime), daylight saving included (the repeated hour when clocks go back is \
one hourly bucket).\n\n\
Safety rules no policy overrides:\n  \
- the newest complete backup and the newest verified backup (a passing checksum or \
restore verdict in verify.json that no failure stands against; kept[].verified_level \
says which) of each stanza are always kept;\n  \
- a run with no keep option is refused (exit 2): it would delete everything;\n  \
- a backup locked by a running tool (pra-verify, pra-restore hold a shared lock) is \
never touched: it is reported as kept, `locked by …`;\n  \
- backups started after --now are kept and take no part in the rules.\n\n\
Incomplete backups (no manifest) are deleted when their directory is older than \
--prune-incomplete-after, or when they started before the newest complete backup (a \
crashed backup, or what an interrupted delete leaves: backups of a stanza run one at a \
time, so such a directory cannot be in progress); younger ones are left alone.\n\n\
Deleting takes the stanza lock (waiting up to --lock-wait), then for each backup an \
exclusive backup lock; the manifest goes first, then the data, so an interrupted delete \
never leaves something that looks complete, and the next run finishes the job.\n\n\
Which stanzas: those named by `backup` and `verify` events on stdin (so \
`pra-backup | pra-rotate …` rotates the stanza just backed up), else --stanza, else \
--all-stanzas. stdin events are forwarded unchanged first. One `rotate` event per \
stanza and repository: kept ids with reasons, deleted ids, bytes freed, dry_run.",
    after_help = "Examples:\n  \
# after each nightly backup: a week of dailies, a month of weeklies, a year of monthlies\n  \
pra-backup -d app | pra-rotate --keep-daily 7 --keep-weekly 4 --keep-monthly 12\n\n  \
# hourly backups, typical GFS: 48 hourly, 14 daily, 8 weekly, 12 monthly, 5 yearly\n  \
pra-rotate --all-stanzas --keep-hourly 48 --keep-daily 14 --keep-weekly 8 \\\n      \
--keep-monthly 12 --keep-yearly 5\n\n  \
# what would next week's run delete (nothing is deleted)?\n  \
pra-rotate --stanza app --keep-within 30d --dry-run --now 2026-12-02T03:00:00Z --format text\n\n  \
# restic's example on daily backups: 7 dailies plus 4 more weeklies (the 7 dailies hold one)\n  \
pra-rotate --stanza app --keep-daily 7 --keep-weekly 5\n\n\
Exit codes: 0 policy applied, 1 a delete failed (what was deleted is still reported), \
2 usage error (including no keep option), 3 repository unreadable or stanza lock held, \
130/143 interrupted.",
    mut_arg("stanza", |a| a.help(
        "Stanza to rotate when stdin names none (no default: without it, give \
         --all-stanzas or pipe events that name stanzas)."))
)]
pub struct Args {
    /// Repository and stanza.
    #[command(flatten)]
    pub repo: RepoArgs,

    /// Rotate every stanza in the repository (overrides --stanza / PRA_STANZA).
    /// Ignored when stdin carries events naming stanzas.
    #[arg(long, env = "PRA_ROTATE_ALL_STANZAS")]
    pub all_stanzas: bool,

    /// The retention policy.
    #[command(flatten)]
    pub keep: PolicyArgs,

    /// Plan and report, delete nothing (no lock is taken, nothing is written).
    #[arg(long)]
    pub dry_run: bool,

    /// Plan as of this time (RFC 3339) instead of now: backups started later are kept,
    /// incomplete backups are aged from it. With --dry-run: "what will next week's run delete?".
    #[arg(long, value_name = "TIME", value_parser = pra_core::time::parse_ts)]
    pub now: Option<DateTime<Utc>>,

    /// Delete incomplete backups (no manifest) whose directory is older than this.
    #[arg(long, env = "PRA_PRUNE_INCOMPLETE_AFTER", value_name = "DURATION",
          default_value = "24h", value_parser = parse_retention_duration)]
    pub prune_incomplete_after: Duration,

    /// How long to wait for the stanza lock held by another writer (a backup).
    #[arg(long, env = "PRA_ROTATE_LOCK_WAIT", value_name = "DURATION",
          default_value = "60s", value_parser = pra_core::time::parse_duration)]
    pub lock_wait: Duration,

    /// Output and logging.
    #[command(flatten)]
    pub out: OutputArgs,
}

/// The `--keep-*` flags and the calendar's zone: the retention policy, shared with
/// pra-info (which says whether the policy would keep each backup).
#[derive(Debug, Clone, clap::Args)]
pub struct PolicyArgs {
    /// Keep the N newest backups.
    #[arg(long, env = "PRA_KEEP_LAST", value_name = "N", value_parser = parse_count)]
    pub keep_last: Option<Count>,

    /// Keep the newest backup of each of the last N hours that have one.
    #[arg(long, env = "PRA_KEEP_HOURLY", value_name = "N", value_parser = parse_count)]
    pub keep_hourly: Option<Count>,

    /// Keep the newest backup of each of the last N days that have one.
    #[arg(long, env = "PRA_KEEP_DAILY", value_name = "N", value_parser = parse_count)]
    pub keep_daily: Option<Count>,

    /// Keep the newest backup of each of the last N ISO weeks (Monday to Sunday) that have one.
    #[arg(long, env = "PRA_KEEP_WEEKLY", value_name = "N", value_parser = parse_count)]
    pub keep_weekly: Option<Count>,

    /// Keep the newest backup of each of the last N months that have one.
    #[arg(long, env = "PRA_KEEP_MONTHLY", value_name = "N", value_parser = parse_count)]
    pub keep_monthly: Option<Count>,

    /// Keep the newest backup of each of the last N years that have one.
    #[arg(long, env = "PRA_KEEP_YEARLY", value_name = "N", value_parser = parse_count)]
    pub keep_yearly: Option<Count>,

    /// Keep every backup started less than this before the newest backup
    /// (e.g. 36h, 30d, 6months, 1y; a day is 24 h). A bare `m` is refused as ambiguous
    /// (restic reads it as months): write `min` or `months`.
    #[arg(long, env = "PRA_KEEP_WITHIN", value_name = "DURATION", value_parser = parse_retention_duration)]
    pub keep_within: Option<Duration>,

    /// Time zone of the calendar buckets: utc (the same everywhere) or local
    /// (the machine's zone: TZ, else /etc/localtime).
    #[arg(long, env = "PRA_ROTATE_TIMEZONE", value_enum, default_value_t = TimezoneArg::Utc)]
    pub timezone: TimezoneArg,
}

/// Parses `--keep-within` and `--prune-incomplete-after`: a duration as everywhere in pra (`36h`, `30d`), refusing
/// a bare `m`, which restic users write for months and which would mean minutes here:
/// a window 40 000 times too short would delete nearly everything.
pub fn parse_retention_duration(s: &str) -> Result<Duration, String> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_alphabetic() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                i += 1;
            }
            if &s[start..i] == "m" {
                return Err(format!(
                    "ambiguous unit \"m\" in {s:?}: write \"min\" for minutes or \"months\" for months"
                ));
            }
        } else {
            i += 1;
        }
    }
    pra_core::time::parse_duration(s)
}

impl Args {
    /// The retention policy these flags describe.
    pub fn policy(&self) -> RetentionPolicy {
        self.keep.policy()
    }
}

impl PolicyArgs {
    /// The retention policy these flags describe.
    pub fn policy(&self) -> RetentionPolicy {
        let or_off = |c: Option<Count>| c.unwrap_or(Count::N(0));
        RetentionPolicy {
            last: or_off(self.keep_last),
            hourly: or_off(self.keep_hourly),
            daily: or_off(self.keep_daily),
            weekly: or_off(self.keep_weekly),
            monthly: or_off(self.keep_monthly),
            yearly: or_off(self.keep_yearly),
            within: self.keep_within,
            zone: match self.timezone {
                TimezoneArg::Utc => Zone::Utc,
                TimezoneArg::Local => Zone::Local,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    #[test]
    fn flags_parse_into_a_policy() {
        let a = Args::try_parse_from([
            "pra-rotate",
            "--repo",
            "/r",
            "--keep-daily",
            "7",
            "--keep-weekly",
            "unlimited",
            "--keep-within",
            "30d",
            "--now",
            "2026-11-25T11:00:00Z",
        ])
        .unwrap();
        let p = a.policy();
        assert_eq!(p.daily, Count::N(7));
        assert_eq!(p.weekly, Count::Unlimited);
        assert_eq!(p.last, Count::N(0));
        assert_eq!(p.within, Some(Duration::from_secs(30 * 86400)));
        assert!(!p.is_empty());
        assert_eq!(a.prune_incomplete_after, Duration::from_secs(86400));
        assert!(Args::try_parse_from(["pra-rotate", "--repo", "/r", "--keep-daily", "x"]).is_err());
        let empty =
            Args::try_parse_from(["pra-rotate", "--repo", "/r", "--keep-last", "0"]).unwrap();
        assert!(empty.policy().is_empty());
    }

    #[test]
    fn keep_within_refuses_a_bare_m() {
        assert_eq!(
            parse_retention_duration("30d"),
            Ok(Duration::from_secs(30 * 86400))
        );
        assert_eq!(
            parse_retention_duration("90min"),
            Ok(Duration::from_secs(90 * 60))
        );
        assert!(parse_retention_duration("6months").unwrap() > Duration::from_secs(180 * 86400));
        assert!(parse_retention_duration("1y 6m")
            .unwrap_err()
            .contains("ambiguous"));
        assert!(parse_retention_duration("6m")
            .unwrap_err()
            .contains("months"));
        assert!(parse_retention_duration("soon").is_err());
    }

    #[test]
    fn help_documents_semantics_and_zone() {
        Args::command().debug_assert();
        let help = Args::command().render_long_help().to_string();
        for needle in [
            "restic",
            "UTC",
            "--timezone",
            "newest",
            "locked by",
            "Examples",
            "Exit codes",
            "Stanza to rotate when stdin names none",
        ] {
            assert!(help.contains(needle), "--help lacks {needle:?}");
        }
        assert!(!help.contains("the database name") && !help.contains("write to each"));
    }
}
