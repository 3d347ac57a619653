//! pra-status against a real PostgreSQL cluster, a real repository and a real HTTP
//! server on 127.0.0.1: the healthy case, then each way to fail, one cluster for all.

use crate::common::*;
use chrono::Utc;
use pra_core::event::{Event, Kind, Status};
use pra_core::repo::Repository;
use pra_testkit::PgCluster;
use std::time::Duration;

#[test]
fn health_checks_on_a_real_cluster() {
    let mut c = PgCluster::start();
    c.create_db("app");
    c.psql(
        "app",
        "CREATE TABLE orders (id int); INSERT INTO orders SELECT generate_series(1, 10);
         CREATE TABLE audit (id int);",
    );
    let dir = tempfile::tempdir().unwrap();
    let repo_path = dir.path().join("repo");
    let repo = Repository::open(repo_path.to_str().unwrap()).unwrap();
    let now = Utc::now();
    let fresh = synthetic_backup(&repo, "app", now - chrono::Duration::minutes(10));
    synthetic_verify(
        &repo,
        "app",
        &fresh,
        Status::Ok,
        now - chrono::Duration::days(1),
        &[],
    );
    let stale = synthetic_backup(&repo, "stale", now - chrono::Duration::hours(2));
    synthetic_verify(
        &repo,
        "stale",
        &stale,
        Status::Ok,
        now - chrono::Duration::hours(1),
        &[],
    );
    let broken = synthetic_backup(&repo, "broken", now - chrono::Duration::minutes(5));
    synthetic_verify(
        &repo,
        "broken",
        &broken,
        Status::Error,
        now - chrono::Duration::minutes(1),
        &["dump.pgc.zst: stored sha256 mismatch"],
    );
    // A manifest-level pass afterwards does not hide the failure (issue 18).
    repo.write_verify(
        "broken",
        &pra_core::manifest::VerifyRecord {
            format: pra_core::manifest::VERIFY_FORMAT,
            backup_id: broken.clone(),
            level: pra_core::manifest::VerifyLevel::Manifest,
            status: Status::Ok,
            verified_at: now - chrono::Duration::seconds(30),
            duration_s: 0.1,
            problems: vec![],
            tool_version: pra_core::VERSION.into(),
            extra: Default::default(),
        },
    )
    .unwrap();
    let server = http_server();
    let http = server.url("");
    let repo_arg = repo_path.to_str().unwrap().to_string();
    let prom = dir.path().join("pra.prom");
    let hist = dir.path().join("status.jsonl");
    // Default disk thresholds (20 % / 10 %) would turn a full build machine's disk
    // into a failure of the healthy case: set them below what is measured.
    let free = free_percent(dir.path());
    let (warn, crit) = (format!("{:.2}%", free / 2.0), format!("{:.2}%", free / 4.0));

    // 1. Healthy: every applicable check ok, the others skipped with a reason; exit 0.
    let run = status(&c)
        .args([
            "-d",
            "app",
            "--repo",
            &repo_arg,
            "--critical-table",
            "orders",
        ])
        .args(["--app-url", &format!("{http}/moved")])
        .args(["--api-url", &format!("{http}/missing=404")])
        .args(["--api-url", &format!("{http}/health")])
        .args(["--disk-warn", &warn, "--disk-crit", &crit])
        .arg("--prometheus")
        .arg(&prom)
        .arg("--history")
        .arg(&hist)
        .run();
    run.success();
    let all = checks(&run);
    for (f, s, m) in &all {
        run.check(*s == Status::Ok, &format!("{} should be ok: {m}", f.name));
    }
    let names: Vec<&str> = all.iter().map(|(f, _, _)| f.name.as_str()).collect();
    for n in [
        "database",
        "critical_tables",
        "disk",
        "backup_age",
        "backup_verified",
        "app",
        "api",
        "wal_archive",
        "replication",
    ] {
        run.check(names.contains(&n), &format!("a {n} check is reported"));
    }
    let (db, _, _) = check(&run, "database", None);
    run.check(
        db.skipped.is_none() && db.value.is_some_and(|v| v > 0.0),
        "database latency measured",
    );
    run.check(
        db.details["server_version"]
            .as_str()
            .is_some_and(|v| v.starts_with(char::is_numeric))
            && db.details["in_recovery"] == false,
        "database version and role",
    );
    let (wal, _, _) = check(&run, "wal_archive", None);
    run.check(
        wal.skipped.as_deref() == Some("archive_mode is off"),
        "wal_archive skipped",
    );
    let (rep, _, _) = check(&run, "replication", None);
    run.check(
        rep.skipped.is_some(),
        "replication skipped without standbys",
    );
    let (age, _, _) = check(&run, "backup_age", Some("app"));
    run.check(
        age.value.is_some_and(|v| (590.0..700.0).contains(&v)),
        "backup age about 10 min",
    );
    // Default disks: the repository's file system and the data directory.
    let disks: Vec<_> = all.iter().filter(|(f, _, _)| f.name == "disk").collect();
    run.check(
        disks.iter().any(|(f, _, _)| {
            f.details.get("role").and_then(|r| r.as_str()) == Some("data_directory")
        }),
        "the data directory's disk is checked by default",
    );
    let (api, _, _) = check(&run, "api", Some(&format!("{http}/missing")));
    run.check(
        api.details["http_code"] == 404,
        "api answered the expected 404",
    );
    let st = overall(&run);
    run.check(
        st.exit_code == 0 && st.state == "OK" && st.up && st.error == 0,
        "status OK",
    );
    run.check(st.skipped >= 2, "skips counted");

    // The textfile: valid exposition format, and the values of this run.
    let text = std::fs::read_to_string(&prom).unwrap();
    let parsed = parse_exposition(&text);
    assert_eq!(series(&parsed, "pra_database_up", &[]), Some(1.0), "{text}");
    assert_eq!(
        series(&parsed, "pra_status_state", &[]),
        Some(0.0),
        "{text}"
    );
    assert_eq!(
        series(
            &parsed,
            "pra_check_status",
            &[("check", "database"), ("target", "")]
        ),
        Some(0.0),
        "{text}"
    );
    let labels = [("stanza", "app"), ("repo", repo_arg.as_str())];
    let age_s = series(&parsed, "pra_backup_age_seconds", &labels).unwrap();
    assert!((590.0..700.0).contains(&age_s), "{text}");
    assert_eq!(
        series(&parsed, "pra_backup_last_size_bytes", &labels),
        Some(12345.0),
        "{text}"
    );
    assert_eq!(
        series(&parsed, "pra_backup_last_duration_seconds", &labels),
        Some(42.5),
        "{text}"
    );
    assert!(series(&parsed, "pra_verify_age_seconds", &labels).is_some_and(|v| v > 86000.0));
    assert!(
        parsed.keys().any(|(n, _)| n == "pra_disk_free_ratio"),
        "{text}"
    );
    // The history got the status event, as one JSON line.
    let lines = std::fs::read_to_string(&hist).unwrap();
    assert_eq!(lines.lines().count(), 1);
    let h = Event::parse_line(lines.trim_end().as_bytes()).unwrap();
    assert_eq!((h.kind, h.status), (Kind::Status, Status::Ok));

    // 2. Text: the plugin line, then an aligned table.
    let run = status(&c)
        .args([
            "-d",
            "app",
            "--format",
            "text",
            "--critical-table",
            "orders",
        ])
        .args([
            "--disk",
            dir.path().to_str().unwrap(),
            "--disk-warn",
            &warn,
            "--disk-crit",
            &crit,
        ])
        .run();
    run.success();
    let out = String::from_utf8_lossy(&run.stdout).to_string();
    let lines: Vec<&str> = out.lines().collect();
    run.check(
        lines[0].starts_with("PRA-STATUS OK - "),
        "plugin first line",
    );
    run.check(
        lines[1].starts_with("CHECK") && lines[1].contains("THRESHOLD"),
        "table header",
    );
    let col = lines[1].find("STATUS").unwrap();
    run.check(
        lines[2..]
            .iter()
            .all(|l| l[col..].starts_with("OK") || l[col..].starts_with("SKIP")),
        "the STATUS column is aligned",
    );

    // 3. An empty and a missing critical table: CRITICAL.
    let run = status(&c)
        .args([
            "-d",
            "app",
            "--critical-table",
            "orders,audit",
            "--critical-table",
            "nope.gone",
        ])
        .args(["--disk-warn", "0%", "--disk-crit", "0%"])
        .run();
    run.code_is(2);
    let (_, s, m) = check(&run, "critical_tables", Some("audit"));
    run.check(
        s == Status::Error && m.contains("is empty"),
        "empty table is critical",
    );
    let (_, s, m) = check(&run, "critical_tables", Some("nope.gone"));
    run.check(
        s == Status::Error && m.contains("does not exist"),
        "missing table is critical",
    );
    let (_, s, _) = check(&run, "critical_tables", Some("orders"));
    run.check(s == Status::Ok, "a table with rows is ok");
    run.check(overall(&run).failing.len() == 2, "two failing checks");

    // 4. A backup older than the RPO: CRITICAL; within 80-100 % of it: WARNING.
    let run = status(&c)
        .args([
            "-d", "app", "--repo", &repo_arg, "--stanza", "stale", "--rpo", "1h",
        ])
        .args(["--disk-warn", "0%", "--disk-crit", "0%"])
        .run();
    run.code_is(2);
    let (f, s, _) = check(&run, "backup_age", Some("stale"));
    run.check(
        s == Status::Error && f.value.is_some_and(|v| v > 7100.0) && f.crit == Some(3600.0),
        "stale is critical",
    );
    let run = status(&c)
        .args([
            "-d", "app", "--repo", &repo_arg, "--stanza", "stale", "--rpo", "140m",
        ])
        .args(["--disk-warn", "0%", "--disk-crit", "0%"])
        .run();
    run.code_is(1);
    let (_, s, _) = check(&run, "backup_age", Some("stale"));
    run.check(s == Status::Warn, "2 h old with a 140 min RPO is a warning");
    run.check(overall(&run).state == "WARNING", "overall WARNING");

    // 5. A failed verification: CRITICAL, with the problem in the message.
    let run = status(&c)
        .args([
            "-d",
            "app",
            "--repo",
            &repo_arg,
            "--all-stanzas",
            "--rpo",
            "3h",
        ])
        .args(["--disk-warn", "0%", "--disk-crit", "0%"])
        .run();
    run.code_is(2);
    let (f, s, m) = check(&run, "backup_verified", Some("broken"));
    run.check(
        s == Status::Error
            && m.contains("sha256 mismatch")
            && f.details["result"] == "error"
            && f.details["level"] == "checksum",
        "failed verify",
    );
    let (_, s, _) = check(&run, "backup_verified", Some("app"));
    run.check(s == Status::Ok, "the app stanza's verification is fine");
    run.check(
        checks(&run)
            .iter()
            .filter(|(f, _, _)| f.name == "backup_age")
            .count()
            == 3,
        "all stanzas",
    );

    // 6. An app answering 500, and one that never answers (bounded by --timeout).
    let run = status(&c)
        .args(["-d", "app", "--app-url", &format!("{http}/fail")])
        .args(["--api-url", &format!("{http}/health=201")])
        .args(["--disk-warn", "0%", "--disk-crit", "0%"])
        .run();
    run.code_is(2);
    let (f, s, _) = check(&run, "app", None);
    run.check(
        s == Status::Error && f.details["http_code"] == 500,
        "500 is critical",
    );
    let (_, s, m) = check(&run, "api", None);
    run.check(
        s == Status::Error && m.contains("200") && m.contains("201"),
        "wrong api code",
    );
    run.check(!overall(&run).up, "a failing app means down");
    let run = status(&c)
        .args([
            "-d",
            "app",
            "--app-url",
            &format!("{http}/hang"),
            "--timeout",
            "1s",
        ])
        // A longer request limit (meant for other tools) is capped by --timeout.
        .env("PRA_HTTP_TIMEOUT", "30s")
        .args(["--disk-warn", "0%", "--disk-crit", "0%"])
        .timeout(Duration::from_secs(15))
        .run();
    run.code_is(2);
    let (f, s, m) = check(&run, "app", None);
    run.check(
        s == Status::Error && f.duration_s < 5.0,
        "the hanging app is critical, bounded",
    );
    run.check(
        m.contains("no answer after"),
        "the probe itself gave up at --timeout (not the runner)",
    );
    let (_, s, _) = check(&run, "database", None);
    run.check(s == Status::Ok, "the other checks still report");

    // 7. Disk thresholds around the measured free space.
    let p = dir.path().to_str().unwrap();
    let f = free_percent(dir.path());
    // The limits sit `m` around the measured free space, `m` shrinking on a nearly full
    // (or nearly empty) disk: CI's shared disk was once at 2.5 % free.
    let m = [2.0, f / 3.0, (100.0 - f) / 3.0]
        .into_iter()
        .fold(f64::INFINITY, f64::min);
    assert!(
        m >= 0.05,
        "free space {f} % leaves no room for the test (the disk is full)"
    );
    let disk_run = |w: f64, cr: f64| {
        status(&c)
            .args(["-d", "app", "--disk", p])
            .args([
                "--disk-warn",
                &format!("{w:.3}%"),
                "--disk-crit",
                &format!("{cr:.3}%"),
            ])
            .run()
    };
    let run = disk_run(f + m, f - m);
    run.code_is(1);
    run.check(
        check(&run, "disk", Some(p)).1 == Status::Warn,
        "between the limits: warning",
    );
    let run = disk_run(f + 1.5 * m, f + m);
    run.code_is(2);
    run.check(
        check(&run, "disk", Some(p)).1 == Status::Error,
        "below crit: critical",
    );
    let run = disk_run(f - m, f - 1.5 * m);
    run.success();

    // 8. Bad flags and configuration are UNKNOWN (3), not CRITICAL.
    status(&c).args(["--no-such-flag"]).run().code_is(3);
    status(&c)
        .args(["--disk-warn", "10%", "--disk-crit", "20%"])
        .run()
        .code_is(3);
    status(&c)
        .args(["-d", "host=/tmp sslmode=sometimes"])
        .run()
        .code_is(3);
    status(&c)
        .args(["--repo", "ftp://bucket/x"])
        .run()
        .code_is(3);
    status(&c).arg("--help").run().success();

    // 9. The server hangs (postmaster stopped with SIGSTOP: connections are accepted by
    // the kernel, never answered): database CRITICAL at the deadline, run bounded.
    let pid = std::fs::read_to_string(c.data_dir().join("postmaster.pid")).unwrap();
    let pid = pid.lines().next().unwrap().trim().to_string();
    let signal = |sig: &str| {
        let ok = std::process::Command::new("kill")
            .args([sig, &pid])
            .status()
            .unwrap();
        assert!(ok.success(), "kill {sig} {pid}");
    };
    signal("-STOP");
    let run = status(&c)
        .args([
            "-d",
            "app",
            "--timeout",
            "1s",
            "--disk-warn",
            "0%",
            "--disk-crit",
            "0%",
        ])
        .timeout(Duration::from_secs(15))
        .run();
    signal("-CONT");
    run.code_is(2);
    let (_, s, m) = check(&run, "database", None);
    run.check(
        s == Status::Error && (m.contains("did not finish") || m.contains("timeout expired")),
        "a hung server is critical",
    );

    // 10. The server stops: database CRITICAL within the timeout, dependent checks skipped.
    c.stop();
    let run = status(&c)
        .args(["-d", "app", "--critical-table", "orders", "--timeout", "2s"])
        .args(["--disk-warn", "0%", "--disk-crit", "0%", "--prometheus"])
        .arg(&prom)
        .timeout(Duration::from_secs(20))
        .run();
    run.code_is(2);
    let (_, s, m) = check(&run, "database", None);
    run.check(
        s == Status::Error && m.contains("cannot connect"),
        "database critical",
    );
    let (f, _, _) = check(&run, "critical_tables", Some("orders"));
    run.check(
        f.skipped.is_some(),
        "critical tables skipped while the database is down",
    );
    let st = overall(&run);
    run.check(
        st.state == "CRITICAL" && !st.up && st.failing == ["database"],
        "one outage, one failure",
    );
    let parsed = parse_exposition(&std::fs::read_to_string(&prom).unwrap());
    assert_eq!(series(&parsed, "pra_database_up", &[]), Some(0.0));
    assert_eq!(series(&parsed, "pra_status_state", &[]), Some(2.0));
}
