//! Which backups a tool works on: the `--backup` selector (`latest`, `latest-verified`,
//! `all` or an id) and the `--since` window, parsed and applied in one place so that
//! pra-verify and pra-restore accept the same words and mean the same by them.

use crate::manifest::VerifyLevel;
use crate::repo::{is_valid_backup_id, RepoError, Repository};
use crate::verdicts::Verdicts;
use chrono::{DateTime, Utc};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The forms `--backup` accepts, for help texts and error messages.
pub const SELECTOR_FORMS: &str = "ID|latest|latest-verified|all";

/// What `--backup` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackupSelector {
    /// The newest complete backup.
    Latest,
    /// The newest complete backup whose verification passed ([`is_verified`]).
    LatestVerified,
    /// Every complete backup.
    All,
    /// One backup by id (`20261125T110000Z`, `20261125T110000Z-1`).
    Id(String),
}

impl FromStr for BackupSelector {
    type Err = String;

    /// A clap `value_parser`: a bad value is a usage error naming the flag and the forms.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "latest" => Ok(BackupSelector::Latest),
            "latest-verified" => Ok(BackupSelector::LatestVerified),
            "all" => Ok(BackupSelector::All),
            id if is_valid_backup_id(id) => Ok(BackupSelector::Id(id.to_string())),
            _ => Err(format!(
                "invalid backup {s:?}: expected `latest`, `latest-verified`, `all` or a backup \
                 id such as 20261125T110000Z"
            )),
        }
    }
}

impl fmt::Display for BackupSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BackupSelector::Latest => f.write_str("latest"),
            BackupSelector::LatestVerified => f.write_str("latest-verified"),
            BackupSelector::All => f.write_str("all"),
            BackupSelector::Id(id) => f.write_str(id),
        }
    }
}

/// "Verified" as DESIGN.md defines it: a passing checksum or restore verdict that no
/// failure stands against ([`Verdicts::standing`]). A manifest-level pass only says
/// the files are there. The level that makes it verified, if it is.
pub fn verified_level(verdicts: &Verdicts) -> Option<VerifyLevel> {
    verdicts.verified().map(|v| v.level)
}

/// True when the verdicts make the backup verified ([`verified_level`]).
pub fn is_verified(verdicts: &Verdicts) -> bool {
    verified_level(verdicts).is_some()
}

/// True when backup `id` of `stanza` is verified ([`is_verified`]).
pub fn backup_is_verified(repo: &Repository, stanza: &str, id: &str) -> Result<bool, RepoError> {
    Ok(repo
        .read_verify(stanza, id)?
        .as_ref()
        .is_some_and(is_verified))
}

/// A selector with its window: what `--backup` and `--since` ask for together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// Which backups.
    pub backup: BackupSelector,
    /// Only backups started less than this before now are candidates.
    pub since: Option<Duration>,
}

impl Selection {
    /// Picks from `ids`, the complete backups of one stanza oldest first, those the
    /// selection names (oldest first; none when nothing matches). `verified` tells
    /// whether a backup is verified; it is asked newest first, only as far as needed.
    pub fn pick<'a, E>(
        &self,
        ids: &'a [String],
        now: DateTime<Utc>,
        mut verified: impl FnMut(&str) -> Result<bool, E>,
    ) -> Result<Vec<&'a String>, E> {
        let in_window = |id: &&String| match self.since {
            None => true,
            Some(window) => crate::repo::id::backup_id_time(id).is_some_and(|t| {
                chrono::Duration::from_std(window).is_ok_and(|w| now.signed_duration_since(t) < w)
            }),
        };
        let mut candidates = ids.iter().filter(in_window);
        Ok(match &self.backup {
            BackupSelector::Latest => candidates.next_back().into_iter().collect(),
            BackupSelector::All => candidates.collect(),
            BackupSelector::Id(id) => candidates.find(|c| *c == id).into_iter().collect(),
            BackupSelector::LatestVerified => {
                for id in candidates.rev() {
                    if verified(id)? {
                        return Ok(vec![id]);
                    }
                }
                Vec::new()
            }
        })
    }

    /// Says, for an error message, that nothing matched ("no complete backup …").
    pub fn nothing_found(&self) -> String {
        let window = self
            .since
            .map(|w| {
                format!(
                    " started in the last {} (--since)",
                    humantime::format_duration(w)
                )
            })
            .unwrap_or_default();
        match &self.backup {
            BackupSelector::Latest | BackupSelector::All => format!("no complete backup{window}"),
            BackupSelector::LatestVerified => format!(
                "no complete backup{window} with a passing checksum or restore verdict that no \
                 failure stands against (run pra-verify, or use --backup latest)"
            ),
            BackupSelector::Id(id) if window.is_empty() => {
                format!("backup {id}: no manifest (no such backup, or an incomplete one)")
            }
            BackupSelector::Id(id) => format!("backup {id}: no complete backup{window}"),
        }
    }

    /// A usage error for a tool that works on one backup at a time when `all` was asked.
    pub fn require_one(&self, tool: &str) -> Result<(), String> {
        match self.backup {
            BackupSelector::All => Err(format!(
                "--backup all: {tool} works on one backup at a time; give an id, `latest` or \
                 `latest-verified`"
            )),
            _ => Ok(()),
        }
    }
}

/// How many backup ids an error lists ("its newest backups: …").
const KNOWN_SHOWN: usize = 5;

/// The newest few of `ids` (oldest first), newest first: `a, b, c (newest 5 of 40)`.
pub fn newest_few(ids: &[String]) -> String {
    let shown: Vec<&str> = ids
        .iter()
        .rev()
        .take(KNOWN_SHOWN)
        .map(String::as_str)
        .collect();
    if ids.len() > shown.len() {
        format!(
            "{} (newest {} of {})",
            shown.join(", "),
            shown.len(),
            ids.len()
        )
    } else {
        shown.join(", ")
    }
}

/// What exists, for an error when a selection found nothing in `stanza` (whose complete
/// backups are `ids`, oldest first): its newest backups, or, when it has none, the
/// stanzas the repository does hold, so that a typo is seen at once.
pub fn what_exists(repo: &Repository, stanza: &str, ids: &[String]) -> String {
    if !ids.is_empty() {
        return format!("its newest backups: {}", newest_few(ids));
    }
    match repo.stanzas() {
        Ok(all) if all.iter().any(|s| s == stanza) => {
            format!("stanza {stanza} has no complete backup")
        }
        Ok(all) if all.is_empty() => format!("repository {} holds no stanza", repo.location()),
        Ok(all) => format!(
            "repository {} has no stanza {stanza:?}; its stanzas: {}",
            repo.location(),
            all.join(", ")
        ),
        Err(e) => format!("the stanzas cannot be listed: {e}"),
    }
}

/// The repository's only stanza; when it has none or several, a usage message that
/// says to `give` (e.g. "--stanza NAME or --all-stanzas").
pub fn only_stanza(location: &str, stanzas: &[String], give: &str) -> Result<String, String> {
    match stanzas {
        [only] => Ok(only.clone()),
        [] => Err(format!("repository {location} holds no stanza")),
        many => Err(format!(
            "repository {location} holds several stanzas ({}); give {give}",
            many.join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Status;
    use std::convert::Infallible;

    fn sel(s: &str, since: Option<&str>) -> Selection {
        Selection {
            backup: s.parse().unwrap(),
            since: since.map(|d| crate::time::parse_duration(d).unwrap()),
        }
    }

    #[test]
    fn newest_few_lists_the_newest_first_and_says_how_many_exist() {
        let ids: Vec<String> = (0..7).map(|i| format!("2026112{i}T030000Z")).collect();
        assert_eq!(
            newest_few(&ids),
            "20261126T030000Z, 20261125T030000Z, 20261124T030000Z, 20261123T030000Z, \
             20261122T030000Z (newest 5 of 7)"
        );
        assert_eq!(newest_few(&ids[..2]), "20261121T030000Z, 20261120T030000Z");
        let tmp = tempfile::tempdir().unwrap();
        let repo = Repository::create(tmp.path().to_str().unwrap()).unwrap();
        repo.new_backup("app", crate::time::now()).unwrap();
        let typo = what_exists(&repo, "ap", &[]);
        assert!(
            typo.contains("no stanza \"ap\"; its stanzas: app"),
            "{typo}"
        );
        assert!(what_exists(&repo, "app", &[]).contains("no complete backup"));
    }

    fn ids() -> Vec<String> {
        [
            "20261120T110000Z",
            "20261123T110000Z",
            "20261124T110000Z",
            "20261125T110000Z-1",
        ]
        .map(String::from)
        .to_vec()
    }

    fn now() -> DateTime<Utc> {
        crate::time::parse_ts("2026-11-25T12:00:00Z").unwrap()
    }

    /// Picks with verdicts: `verified` lists the verified ids.
    fn pick(s: &Selection, verified: &[&str]) -> Vec<String> {
        let ids = ids();
        s.pick(&ids, now(), |id| {
            Ok::<_, Infallible>(verified.contains(&id))
        })
        .unwrap()
        .into_iter()
        .cloned()
        .collect()
    }

    #[test]
    fn parses_every_form_and_refuses_the_rest() {
        assert_eq!("latest".parse(), Ok(BackupSelector::Latest));
        assert_eq!(
            "latest-verified".parse(),
            Ok(BackupSelector::LatestVerified)
        );
        assert_eq!("all".parse(), Ok(BackupSelector::All));
        assert_eq!(
            "20261125T110000Z-1".parse(),
            Ok(BackupSelector::Id("20261125T110000Z-1".into()))
        );
        for bad in ["lastest", "", "2026-11-25", "../x", "ALL"] {
            let err = bad.parse::<BackupSelector>().unwrap_err();
            assert!(
                err.contains("latest-verified") && err.contains("20261125T110000Z"),
                "{err}"
            );
        }
        for s in ["latest", "latest-verified", "all", "20261125T110000Z"] {
            assert_eq!(s.parse::<BackupSelector>().unwrap().to_string(), s);
        }
    }

    #[test]
    fn picks_over_backups_with_verdicts() {
        let verified = ["20261120T110000Z", "20261123T110000Z"];
        assert_eq!(
            pick(&sel("latest", None), &verified),
            ["20261125T110000Z-1"]
        );
        assert_eq!(pick(&sel("all", None), &verified), ids());
        assert_eq!(
            pick(&sel("latest-verified", None), &verified),
            ["20261123T110000Z"]
        );
        assert!(pick(&sel("latest-verified", None), &[]).is_empty());
        assert_eq!(
            pick(&sel("20261124T110000Z", None), &[]),
            ["20261124T110000Z"]
        );
        assert!(pick(&sel("20261121T110000Z", None), &[]).is_empty());
        let none: Vec<String> = Vec::new();
        assert!(sel("latest", None)
            .pick(&none, now(), |_| Ok::<_, Infallible>(true))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn since_limits_the_candidates() {
        let verified = ["20261120T110000Z", "20261123T110000Z"];
        assert_eq!(
            pick(&sel("all", Some("2d")), &verified),
            ["20261124T110000Z", "20261125T110000Z-1"]
        );
        assert_eq!(
            pick(&sel("latest-verified", Some("3d")), &verified),
            ["20261123T110000Z"]
        );
        assert!(pick(&sel("latest-verified", Some("2d")), &verified).is_empty());
        assert!(pick(&sel("20261120T110000Z", Some("1d")), &verified).is_empty());
        assert!(pick(&sel("latest", Some("30min")), &verified).is_empty());
        assert!(sel("latest", Some("7d"))
            .nothing_found()
            .contains("--since"));
        assert!(sel("20261120T110000Z", None)
            .nothing_found()
            .contains("no manifest"));
        assert!(sel("latest-verified", None)
            .nothing_found()
            .contains("pra-verify"));
    }

    #[test]
    fn verified_asks_newest_first_only_as_far_as_needed() {
        let ids = ids();
        let mut asked = Vec::new();
        let got = sel("latest-verified", None)
            .pick(&ids, now(), |id| {
                asked.push(id.to_string());
                Ok::<_, &str>(id == "20261124T110000Z")
            })
            .unwrap();
        assert_eq!(got, [&ids[2]]);
        assert_eq!(asked, ["20261125T110000Z-1", "20261124T110000Z"]);
        let failed = sel("latest-verified", None).pick(&ids, now(), |_| Err("unreadable"));
        assert_eq!(failed, Err("unreadable"));
    }

    #[test]
    fn verified_means_checksum_or_restore_passed_and_no_failure_stands() {
        let verdicts = |steps: &[(VerifyLevel, Status)]| {
            let mut v = Verdicts::new("20261125T110000Z");
            for (i, &(level, status)) in steps.iter().enumerate() {
                v.merge(&crate::manifest::VerifyRecord {
                    format: crate::manifest::VERIFY_FORMAT,
                    backup_id: "20261125T110000Z".into(),
                    level,
                    status,
                    verified_at: now() + chrono::Duration::seconds(i as i64),
                    duration_s: 1.0,
                    problems: vec![],
                    tool_version: crate::VERSION.into(),
                    extra: Default::default(),
                });
            }
            v
        };
        use VerifyLevel::*;
        assert_eq!(
            verified_level(&verdicts(&[(Checksum, Status::Ok)])),
            Some(Checksum)
        );
        assert_eq!(
            verified_level(&verdicts(&[(Checksum, Status::Ok), (Restore, Status::Ok)])),
            Some(Restore)
        );
        assert!(!is_verified(&verdicts(&[(Manifest, Status::Ok)])));
        assert!(!is_verified(&verdicts(&[(Restore, Status::Error)])));
        assert!(!is_verified(&verdicts(&[
            (Checksum, Status::Error),
            (Manifest, Status::Ok)
        ])));
    }

    #[test]
    fn only_one_cannot_be_all_and_stanza_defaults_to_the_only_one() {
        let err = sel("all", None).require_one("pra-restore").unwrap_err();
        assert!(
            err.contains("--backup") && err.contains("pra-restore"),
            "{err}"
        );
        assert!(sel("latest-verified", None)
            .require_one("pra-restore")
            .is_ok());
        assert_eq!(
            only_stanza("/r", &["app".into()], "--stanza"),
            Ok("app".into())
        );
        assert!(only_stanza("/r", &[], "--stanza")
            .unwrap_err()
            .contains("no stanza"));
        let many = only_stanza("/r", &["a".into(), "b".into()], "--stanza NAME").unwrap_err();
        assert!(
            many.contains("a, b") && many.contains("--stanza NAME"),
            "{many}"
        );
    }
}
