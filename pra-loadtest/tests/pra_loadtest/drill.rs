//! The SLA drill against a real PostgreSQL cluster: a passing drill whose figures
//! hold together, a failing RTO and availability, a broken workload, an interrupt,
//! and the cleanup after each.

use crate::common::{drill, drill_databases, fields, schema_exists, serial};
use pra_core::event::{Event, Kind, Status};
use pra_testkit::{tool, HttpServer, PgCluster};
use std::os::unix::process::ExitStatusExt;

#[test]
fn a_drill_under_load_measures_passes_and_cleans_up() {
    let _serial = serial();
    let c = PgCluster::start();
    c.create_db("app");
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("drill.html");
    let repo = dir.path().join("repo");
    // The user's repository exists (pra-backup --init made it): a drill never creates one.
    pra_core::repo::Repository::create(repo.to_str().unwrap()).unwrap();
    let healthy = HttpServer::always(200);
    let healthy_url = healthy.url("/health?token=s3cret");
    let upstream = Event::new("pra-backup", Kind::Backup, Status::Ok, "from upstream");
    let run = tool(env!("CARGO_BIN_EXE_pra-loadtest"))
        .args([
            "-d",
            "app",
            "--duration",
            "15s",
            "--clients",
            "2",
            "--scale",
            "0.1",
        ])
        .args(["--rpo", "1h", "--rto", "10m", "--max-slowdown", "50"])
        .args([
            "--repo",
            repo.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ])
        .args(["--app-url", &healthy_url])
        .envs(c.env())
        .stdin_events(std::slice::from_ref(&upstream))
        .timeout(std::time::Duration::from_secs(180))
        .run();
    run.success();
    assert_eq!(
        run.events[0], upstream,
        "events on stdin are forwarded first"
    );
    let ev = run.one(Kind::Drill);
    assert_eq!(ev.status, Status::Ok);
    assert!(ev.message.contains("PASS"), "{}", ev.message);
    let f = fields(&run);
    // Throughput and ordered percentiles in every phase.
    for (name, p) in [
        ("baseline", &f.baseline),
        ("during", &f.during_backup),
        ("after", &f.after_backup),
    ] {
        run.check(
            p.transactions > 0 && p.tps > 0.0,
            &format!("{name}: no transaction committed"),
        );
        run.check(
            0.0 < p.p50_s && p.p50_s <= p.p95_s && p.p95_s <= p.p99_s && p.p99_s <= p.max_s,
            &format!("{name}: percentiles out of order: {p:?}"),
        );
    }
    assert_eq!(
        f.transactions,
        f.baseline.transactions + f.during_backup.transactions + f.after_backup.transactions
    );
    assert_eq!(f.workload, "tpcb");
    assert!(f.backup_id.is_some() && f.backup_duration_s.unwrap() > 0.0);
    assert!(f.slowdown_ratio.unwrap() > 0.0);
    // The restore: positive RTO, every table validated against the manifest.
    run.check(f.rto_s.is_some_and(|s| s > 0.0), "RTO must be positive");
    assert!(
        f.validation_problems.is_empty(),
        "{:?}",
        f.validation_problems
    );
    assert!(f.tables_validated >= 4, "the four workload tables at least");
    // RPO counted from the marker rows: it grows with the load committed after the
    // backup, and agrees with the clients' own counts of what committed when.
    let at_end = f.rpo_transactions.unwrap();
    let at_backup_end = f.rpo_transactions_at_backup_end.unwrap();
    run.check(
        at_end > at_backup_end,
        "the RPO must grow while the load goes on after the backup",
    );
    run.check(
        at_end >= f.after_backup.transactions,
        "every transaction committed after the backup finished is missing from it",
    );
    run.check(
        at_end <= f.during_backup.transactions + f.after_backup.transactions + u64::from(f.clients),
        "only transactions committed after the backup started can be missing from it",
    );
    let rpo_s = f.rpo_s.unwrap();
    // The oldest missing transaction committed after the backup phase began, and the RPO
    // is read before the drill ends (after the load stopped: a busy machine stretches
    // that gap, so the bound is the drill's end, not the load's).
    run.check(
        rpo_s > 0.0 && rpo_s <= f.duration_s - f.baseline.duration_s + 0.5,
        "the RPO span lies between the start of the backup phase and the end of the drill",
    );
    // Availability: probed about every second, every probe answered.
    run.check(
        f.app_probes >= 10 && f.app_failures == 0,
        "the application is probed every second",
    );
    assert!(healthy.hits() as u64 >= f.app_probes);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        !stdout.contains("s3cret") && !run.stderr.contains("s3cret"),
        "the URL's token never appears"
    );
    assert!(
        f.app_url
            .as_deref()
            .is_some_and(|u| u.ends_with("/health?***")),
        "{:?}",
        f.app_url
    );
    // Verdicts: all pass.
    let verdicts: Vec<(&str, &str)> = f
        .slas
        .iter()
        .map(|s| (s.name.as_str(), s.result.as_str()))
        .collect();
    assert_eq!(
        verdicts,
        [
            ("rpo", "pass"),
            ("rto", "pass"),
            ("slowdown", "pass"),
            ("availability", "pass")
        ]
    );
    assert!(f.failed_slas.is_empty());
    assert!(!f.timeline.is_empty() && f.timeline.iter().any(|p| p.tps > 0.0));
    // Cleanup: no workload schema, no scratch database, no drill backup left.
    assert!(
        !schema_exists(&c, "app"),
        "schema pra_loadtest must be dropped"
    );
    assert!(
        drill_databases(&c).is_empty(),
        "scratch databases left: {:?}",
        drill_databases(&c)
    );
    let repo_handle = pra_core::repo::Repository::open(repo.to_str().unwrap()).unwrap();
    assert!(
        repo_handle.complete_backups("app").unwrap().is_empty(),
        "the drill's backup must be deleted"
    );
    // The report: verdict first, SLA table, the chart.
    let html = std::fs::read_to_string(&report).unwrap();
    let verdict_at = html.find("PASS").expect("verdict in the report");
    assert!(
        verdict_at < html.find("Service levels").unwrap(),
        "the verdict comes first"
    );
    assert!(html.contains("<svg") && html.matches("<polyline").count() == 2);
    assert!(html.contains("Recovery time (RTO)"));
    assert_eq!(f.report.as_deref(), report.to_str());
}

#[test]
fn an_rto_missed_fails_with_exit_1_naming_it() {
    let _serial = serial();
    let c = PgCluster::start();
    c.create_db("app");
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("drill.md");
    let down = HttpServer::always(503);
    let down_url = down.url("/health?token=s3cret");
    let run = drill(
        &c,
        &[
            "-d",
            "app",
            "--duration",
            "4s",
            "--clients",
            "2",
            "--scale",
            "0.05",
            "--rto",
            "1ms",
            "--max-slowdown",
            "50",
            "--report",
            report.to_str().unwrap(),
            "--app-url",
            &down_url,
            "--max-app-failures",
            "1",
        ],
    );
    run.code_is(1);
    let ev = run.one(Kind::Drill);
    assert_eq!(ev.status, Status::Error);
    assert!(ev.message.contains("RTO"), "{}", ev.message);
    run.stderr_contains("RTO not met");
    let f = fields(&run);
    assert_eq!(f.failed_slas, ["rto", "availability"]);
    assert!(f.app_failures >= 2 && f.app_failures == f.app_probes);
    assert_eq!(f.slas[0].result, "pass", "the RPO is still met");
    assert!(f.rto_s.unwrap() > 0.001);
    assert!(!schema_exists(&c, "app"));
    assert!(drill_databases(&c).is_empty());
    let md = std::fs::read_to_string(&report).unwrap();
    assert!(
        md.starts_with("# SLA drill report: app\n\n**FAIL: RTO, AVAILABILITY not met.**"),
        "{md}"
    );
    assert!(md.contains("| Recovery time (RTO) | 1 ms |"), "{md}");

    // A workload that cannot commit stops the drill (exit 2, the server's words), cleaned up.
    let broken = dir.path().join("broken.sql");
    std::fs::write(&broken, "UPDATE no_such_table SET x = 1;\n").unwrap();
    let run = drill(
        &c,
        &[
            "-d",
            "app",
            "--workload",
            broken.to_str().unwrap(),
            "--duration",
            "3s",
        ],
    );
    run.code_is(2).stderr_contains("no_such_table");
    let ev = run.one(Kind::Drill);
    assert_eq!(ev.status, Status::Error);
    assert!(
        ev.message.contains("committed no transaction"),
        "{}",
        ev.message
    );
    assert!(!schema_exists(&c, "app"));
}

#[test]
fn an_interrupted_drill_cleans_up_and_dies_by_sigint() {
    let _serial = serial();
    let c = PgCluster::start();
    c.create_db("app");
    let mut cmd = tool(env!("CARGO_BIN_EXE_pra-loadtest"))
        .args([
            "-d",
            "app",
            "--duration",
            "60s",
            "--clients",
            "2",
            "--scale",
            "0.05",
        ])
        .envs(c.env())
        .command();
    let child = cmd
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the load to run (the schema exists and history grows), then interrupt.
    let started = std::time::Instant::now();
    loop {
        assert!(
            started.elapsed().as_secs() < 60,
            "the drill never started its load"
        );
        if schema_exists(&c, "app")
            && c.psql("app", "SELECT count(*) > 0 FROM pra_loadtest.history") == "t"
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    // SAFETY: sending a signal to our own child process.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        (out.status.signal(), out.status.code()),
        (Some(libc::SIGINT), None),
        "a death by SIGINT after cleanup; stderr:\n{stderr}"
    );
    assert!(stderr.contains("interrupted by SIGINT"), "{stderr}");
    let events: Vec<Event> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| Event::parse_line(l.as_bytes()).unwrap())
        .collect();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].status, Status::Error);
    assert!(
        events[0].message.contains("SIGINT"),
        "{}",
        events[0].message
    );
    assert!(
        started.elapsed().as_secs() < 40,
        "the drill stopped well before its 60 s"
    );
    assert!(
        !schema_exists(&c, "app"),
        "schema pra_loadtest dropped after the interrupt"
    );
    assert!(drill_databases(&c).is_empty());
}
