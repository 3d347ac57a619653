//! What pra-info lists (issue 18, item 5), and the errors that say what exists (item 9).

use crate::common::*;
use chrono::Duration as Span;
use pra_core::error_class::ErrorClass;
use pra_core::event::kinds::{InfoFields, InfoItem};
use pra_core::event::{Kind, Status};
use pra_core::manifest::VerifyLevel;

fn fields(run: &pra_testkit::ToolRun) -> Vec<(Status, InfoFields, Option<String>)> {
    run.events_of(Kind::Info)
        .into_iter()
        .map(|e| {
            (
                e.status,
                e.fields_as::<InfoFields>().unwrap(),
                e.stanza.clone(),
            )
        })
        .collect()
}

#[test]
fn json_lists_stanzas_backups_verdicts_retention_and_leftovers() {
    let r = Repo::new();
    let t0 = at("2026-11-20T03:00:00Z");
    let ids: Vec<String> = (0..3)
        .map(|d| r.backup("app", t0 + Span::days(d), true))
        .collect();
    let leftover = r.backup("app", t0 + Span::days(3), false);
    r.backup("crm", t0, true);
    r.verify("app", &ids[0], VerifyLevel::Checksum, Status::Error);
    r.verify("app", &ids[1], VerifyLevel::Checksum, Status::Ok);
    r.verify("app", &ids[1], VerifyLevel::Manifest, Status::Ok);

    let run = r.info().args(["--keep-last", "1"]).run();
    run.success();
    let all = fields(&run);
    let repo = &all[0].1;
    run.check(repo.item == InfoItem::Repository, "the repository first");
    run.check(
        repo.stanzas == ["app", "crm"] && repo.format == Some(1),
        "stanzas and format",
    );
    let stanza = all
        .iter()
        .find(|(_, f, s)| f.item == InfoItem::Stanza && s.as_deref() == Some("app"))
        .unwrap();
    run.check(
        stanza.1.backups == Some(3) && stanza.1.incomplete == Some(1),
        "counts",
    );
    let backup = |id: &str| {
        all.iter()
            .find(|(_, f, _)| f.id.as_deref() == Some(id))
            .unwrap()
    };

    let (status, failed, _) = backup(&ids[0]);
    run.check(
        *status == Status::Warn && failed.verified_level.is_none(),
        "a failed verdict warns",
    );
    run.check(
        failed.retention.as_deref() == Some("delete"),
        "keep-last 1 deletes the oldest",
    );
    let (_, verified, _) = backup(&ids[1]);
    run.check(
        verified.verified_level.as_deref() == Some("checksum"),
        "verified at checksum",
    );
    run.check(
        verified.verdicts.len() == 2 && verified.verdicts[0].level == "manifest",
        "every level",
    );
    run.check(
        verified.retention_reasons == ["newest-verified"],
        "kept as the newest verified",
    );
    let (_, newest, _) = backup(&ids[2]);
    run.check(
        newest.raw_bytes == Some(3000)
            && newest.stored_bytes == Some(1000)
            && newest.duration_s == Some(5.0)
            && newest.database.as_deref() == Some("app")
            && newest.server_version.as_deref() == Some("16.4")
            && newest.backup_kind.as_deref() == Some("logical"),
        "sizes, duration, database and version from the manifest",
    );
    run.check(
        newest.retention_reasons.contains(&"last".to_string()),
        "kept by --keep-last",
    );
    let (status, left, _) = backup(&leftover);
    run.check(
        *status == Status::Warn && left.complete == Some(false) && left.age_s.is_some(),
        "the leftover, with its age",
    );

    // Narrowed: one stanza, one backup; no policy, no retention field.
    let run = r
        .info()
        .args(["--stanza", "app", "--backup", "latest-verified"])
        .run();
    run.success();
    let listed: Vec<String> = fields(&run)
        .into_iter()
        .filter_map(|(_, f, _)| f.id)
        .collect();
    run.check(listed == [ids[1].clone()], "only the latest verified");
    run.check(
        fields(&run).iter().all(|(_, f, _)| f.retention.is_none()),
        "no policy, no verdict on retention",
    );
    let run = r.info().args(["--since", "1d"]).run();
    run.check(
        fields(&run)
            .iter()
            .all(|(_, f, _)| f.complete != Some(true)),
        "--since filters by start",
    );
}

#[test]
fn text_is_a_table_for_people() {
    let r = Repo::new();
    let id = r.backup("app", at("2026-11-20T03:00:00Z"), true);
    r.verify("app", &id, VerifyLevel::Restore, Status::Ok);
    let run = r
        .info()
        .args(["--format", "text", "--keep-daily", "7"])
        .run();
    run.success();
    let text = String::from_utf8_lossy(&run.stdout).into_owned();
    run.check(text.contains("stanza app: 1 backup(s)"), "a stanza line");
    let row = text.lines().find(|l| l.contains(&id)).unwrap_or("");
    for cell in [
        "logical",
        "2026-11-20 03:00:00",
        "2.9 KiB",
        "app / 16.4",
        "restore",
        "keep (daily",
    ] {
        run.check(row.contains(cell), cell);
    }
}

#[test]
fn unknown_stanza_or_backup_lists_what_exists_and_a_missing_repository_names_init() {
    let r = Repo::new();
    let t0 = at("2026-11-20T03:00:00Z");
    let ids: Vec<String> = (0..7)
        .map(|h| r.backup("app", t0 + Span::hours(h), true))
        .collect();

    let run = r.info().args(["--stanza", "ap"]).run();
    run.code_is(2);
    run.stderr_contains("no stanza \"ap\"");
    run.stderr_contains("it holds: app");
    let ev = run.one(Kind::Info);
    run.check(
        ev.status == Status::Error && ev.class() == Some(ErrorClass::Usage),
        "a usage error event",
    );

    let run = r
        .info()
        .args(["--stanza", "app", "--backup", "20261120T030001Z"])
        .run();
    run.code_is(2);
    run.stderr_contains(&format!("its newest backups: {}, ", ids[6]));
    run.stderr_contains(&format!("{} (newest 5 of 7)", ids[2]));
    run.check(!run.stderr.contains(&ids[1]), "only the newest few");

    let missing = r.dir.path().join("typo");
    let run = pra_testkit::tool(env!("CARGO_BIN_EXE_pra-info"))
        .arg("--repo")
        .arg(&missing)
        .run();
    run.code_is(3);
    run.stderr_contains("pra-backup --init");
    run.check(!missing.exists(), "nothing created");
}

#[test]
fn pra_format_text_from_an_environment_file_never_reaches_a_pipe() {
    let r = Repo::new();
    r.backup("app", at("2026-11-20T03:00:00Z"), true);
    // stdout is a pipe here: JSON lines, and a warning saying why.
    let run = r.info().env("PRA_FORMAT", "text").run();
    run.success();
    run.check(
        !run.events_of(Kind::Info).is_empty(),
        "JSON events on the pipe",
    );
    run.stderr_contains("PRA_FORMAT=text ignored");
    // An explicit flag is the operator's choice.
    let run = r.info().args(["--format", "text"]).run();
    let text = String::from_utf8_lossy(&run.stdout);
    run.check(text.contains("stanza app"), "--format text is honoured");
}
