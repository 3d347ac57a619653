//! pra(7): the overview page — the pipeline idea, the event schema in brief,
//! the repository layout and the exit codes.

use clap_mangen::roff::{bold, roman, Roff};

/// Renders pra(7) as roff.
pub fn render() -> String {
    let mut r = Roff::new();
    r.control(
        "TH",
        [
            "PRA",
            "7",
            "",
            &format!("pra {}", env!("CARGO_PKG_VERSION")),
            "pra manual",
        ],
    );
    r.control("SH", ["NAME"])
        .text([roman("pra \\- PostgreSQL disaster recovery you can prove")]);

    r.control("SH", ["DESCRIPTION"]);
    r.text([roman(
        "pra is a set of small Unix tools that back up PostgreSQL, prove that the backups restore, \
         apply a retention policy, alert people, check health and measure RPO and RTO. \
         Each tool reads JSON lines (pra.v1 events) on stdin when stdin is not a terminal, \
         forwards every line unchanged, and writes the events of its own work on stdout, \
         so that the tools compose in cron, systemd timers and scripts:",
    )]);
    r.control("PP", []).control("nf", []).control("RS", ["4"]);
    r.text([roman(
        "pra-backup | pra-verify | pra-rotate --keep-daily 7 --keep-weekly 4 \\e",
    )]);
    r.text([roman(
        "  | pra-notify --only-changes --state-file /var/lib/pra/notify.state",
    )]);
    r.control("RE", []).control("fi", []);

    r.control("SH", ["TOOLS"]);
    for (tool, job) in [
        (
            "pra-backup(1)",
            "logical backup of a database into a repository, streamed, compressed, checksummed",
        ),
        (
            "pra-verify(1)",
            "prove backups intact (checksums) and restorable (test restore, row counts)",
        ),
        (
            "pra-restore(1)",
            "one-command restore with validation, measured RTO and a report",
        ),
        (
            "pra-rotate(1)",
            "grandfather-father-son retention that never deletes the backup you need",
        ),
        (
            "pra-info(1)",
            "what a repository holds: backups, sizes, verdicts per level, retention, leftovers, locks",
        ),
        (
            "pra-notify(1)",
            "alerts to Slack, Telegram, Discord, Teams, Mattermost, webhooks, e-mail and SMS, on state changes",
        ),
        (
            "pra-status(1)",
            "health checks with monitoring-plugin exit codes and Prometheus metrics",
        ),
        (
            "pra-loadtest(1)",
            "SLA drill: backup and restore under load, RPO and RTO measured",
        ),
        (
            "pra-wal(1)",
            "archive_command and restore_command for WAL: the continuous half of point-in-time recovery",
        ),
        (
            "pra-report(1)",
            "compliance report from the event history: RPO, RTO, availability, verification, incidents",
        ),
    ] {
        r.control("TP", []).text([bold(tool)]).text([roman(job)]);
    }

    r.control("SH", ["EVENTS"]);
    r.text([roman(
        "One JSON object per line. Every event has schema (\"pra.v1\"), ts (RFC 3339 UTC), tool, host, \
         kind (backup, verify, restore, rotate, notify, check, status, drill, wal, input), \
         status (ok < warn < error), stanza and message, plus the fields of its kind. \
         Units are in the field names: *_bytes, *_s (seconds), *_at (times). \
         A line that is not an event is forwarded and followed by an input event with status error. \
         Secrets never appear in events. docs/PROTOCOL.md documents every field.",
    )]);

    r.control("SH", ["REPOSITORY"]);
    r.control("nf", []);
    for line in [
        "<repo>/pra.json                            repository format",
        "<repo>/<stanza>/backup/<id>/manifest.json  written last: present = complete",
        "<repo>/<stanza>/backup/<id>/dump.pgc.zst   pg_dump custom format, compressed",
        "<repo>/<stanza>/backup/<id>/globals.sql.zst roles and tablespaces",
        "<repo>/<stanza>/backup/<id>/verify.json    latest verification",
        "<repo>/<stanza>/lease                      one writer per stanza",
        "<repo>/<stanza>/lock/<id>.lock             readers of a backup",
    ] {
        r.text([roman(line)]);
    }
    r.control("fi", []);
    r.text([roman(
        "A backup id is its UTC start time (20261125T110000Z). Every file is written under a temporary \
         name, fsynced and renamed; files are private (0600, directories 0700).",
    )]);

    r.control("SH", ["EXIT STATUS"]);
    r.text([roman(
        "0: nothing wrong. 1: the work found a problem. 2: usage or configuration error. \
         3: runtime failure (database, storage, lock). 130/143: interrupted. \
         pra-status uses the monitoring-plugin codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
    )]);

    r.control("SH", ["FILES"]);
    r.text([roman(
        "scripts/pra.env.example: every environment variable, for cron and systemd units.",
    )]);

    r.control("SH", ["SEE ALSO"]);
    r.text([roman(
        "pra-backup(1), pra-verify(1), pra-restore(1), pra-rotate(1), pra-info(1), pra-notify(1), pra-status(1), pra-loadtest(1), pra-report(1), pra-wal(1)",
    )]);
    r.render()
}
