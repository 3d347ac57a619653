//! The checks that talk to PostgreSQL, in one thread over one connection:
//! `database` (connect, `SELECT 1`, latency, version, recovery), `critical_tables`,
//! the data directory's `disk` (when no `--disk` is given and the server is local),
//! then `wal_archive` and `replication` (in [`super::server`]).
//!
//! When the server cannot be reached, `database` is CRITICAL and the checks that
//! need it are skipped with that reason: one outage, one critical line.

use super::{disk, server};
use crate::check::{CheckResult, Thresholds};
use crate::runner::Job;
use pra_core::conn::{describe_pg_error, ConnSettings};
use pra_core::error_class::ErrorClass;
use pra_core::privilege::{with_privilege_hint, Access};
use std::path::Path;
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

/// What the database job needs.
#[derive(Debug, Clone)]
pub struct DbPlan {
    /// Where to connect.
    pub settings: ConnSettings,
    /// Connect and statement timeout.
    pub timeout: Duration,
    /// `--critical-table` values.
    pub critical_tables: Vec<String>,
    /// Disk thresholds for the data directory, when it is to be checked.
    pub data_dir_disk: Option<Thresholds>,
    /// Limits of the WAL and replication checks.
    pub server: server::ServerLimits,
}

/// The job running the database checks.
pub fn job(plan: DbPlan) -> Job {
    let mut expected: Vec<(String, Option<String>)> = vec![("database".into(), None)];
    for t in &plan.critical_tables {
        expected.push(("critical_tables".into(), Some(t.clone())));
    }
    expected.push(("wal_archive".into(), None));
    expected.push(("replication".into(), None));
    Job {
        expected,
        work: Box::new(move |tx| run(&plan, tx)),
    }
}

fn send(tx: &Sender<CheckResult>, r: CheckResult) {
    let _ = tx.send(r);
}

fn run(plan: &DbPlan, tx: &Sender<CheckResult>) {
    let started = Instant::now();
    let target = plan.settings.to_string();
    let connected = plan
        .settings
        .with_application_name("pra-status")
        .with_connect_timeout(plan.timeout)
        .connect()
        .map_err(|e| match e {
            pra_core::conn::ConnError::Connect { reason, .. } => reason,
            other => other.to_string(),
        });
    let mut client = match connected {
        Ok(c) => c,
        Err(reason) => {
            let mut r =
                CheckResult::error("database", format!("cannot connect to {target}: {reason}"))
                    .because(ErrorClass::Connection)
                    .detail("connection", target);
            r.fields.duration_s = started.elapsed().as_secs_f64();
            send(tx, r);
            let why = "the database is unreachable (see the database check)";
            for t in &plan.critical_tables {
                send(
                    tx,
                    CheckResult::skipped("critical_tables", why).target(t.clone()),
                );
            }
            if plan.critical_tables.is_empty() {
                send(
                    tx,
                    CheckResult::skipped("critical_tables", "no --critical-table given"),
                );
            }
            send(tx, CheckResult::skipped("wal_archive", why));
            send(tx, CheckResult::skipped("replication", why));
            return;
        }
    };
    let connect_s = started.elapsed().as_secs_f64();
    let ms = plan.timeout.as_millis().max(1);
    if let Err(e) = client.batch_execute(&format!(
        "SET statement_timeout = {ms}; SET lock_timeout = {ms}; SET idle_in_transaction_session_timeout = {ms}"
    )) {
        log::warn!("cannot set the statement timeout: {}", describe_pg_error(&e));
    }
    let q0 = Instant::now();
    let facts = client.query_one(
        "SELECT 1, current_setting('server_version'), pg_is_in_recovery(), current_setting('archive_mode')",
        &[],
    );
    let query_s = q0.elapsed().as_secs_f64();
    let (version, in_recovery, archive_mode) = match facts.and_then(|row| {
        Ok((
            row.try_get::<_, String>(1)?,
            row.try_get::<_, bool>(2)?,
            row.try_get::<_, String>(3)?,
        ))
    }) {
        Ok(f) => f,
        Err(e) => {
            let mut r = CheckResult::error(
                "database",
                format!(
                    "connected to {target} but SELECT 1 failed: {}",
                    describe_pg_error(&e)
                ),
            )
            .because(ErrorClass::Query);
            r.fields.duration_s = started.elapsed().as_secs_f64();
            send(tx, r);
            let why = "the database does not answer queries (see the database check)";
            send(tx, CheckResult::skipped("critical_tables", why));
            send(tx, CheckResult::skipped("wal_archive", why));
            send(tx, CheckResult::skipped("replication", why));
            return;
        }
    };
    let role = if in_recovery { "standby" } else { "primary" };
    let latency = connect_s + query_s;
    let mut r = CheckResult::ok(
        "database",
        format!(
            "PostgreSQL {version} {role} at {}, answered in {:.0} ms",
            plan.settings.dbname(),
            latency * 1000.0
        ),
    )
    .value(latency, "s")
    .detail("server_version", version)
    .detail("in_recovery", in_recovery)
    .detail("connect_s", connect_s)
    .detail("query_s", query_s);
    r.fields.duration_s = started.elapsed().as_secs_f64();
    send(tx, r);

    if plan.critical_tables.is_empty() {
        send(
            tx,
            CheckResult::skipped("critical_tables", "no --critical-table given"),
        );
    }
    for table in &plan.critical_tables {
        send(tx, check_table(&mut client, table, &plan.settings.user()));
    }
    if let Some(limits) = &plan.data_dir_disk {
        if let Some(r) = data_dir_disk(&mut client, &plan.settings, limits) {
            send(tx, r);
        }
    }
    send(
        tx,
        server::wal_archive(&mut client, &archive_mode, in_recovery, &plan.server),
    );
    send(
        tx,
        server::replication(&mut client, in_recovery, &plan.server),
    );
}

/// One critical table: exists (to_regclass resolves it as the server would) and has a row.
fn check_table(client: &mut postgres::Client, table: &str, user: &str) -> CheckResult {
    // A role that may not read the table is told what to grant.
    let said = |e: &postgres::Error| with_privilege_hint(&describe_pg_error(e), user, Access::Read);
    let started = Instant::now();
    let resolved = client
        .query_one("SELECT to_regclass($1)::text", &[&table])
        .and_then(|row| row.try_get::<_, Option<String>>(0));
    let mut r = match resolved {
        Err(e) => CheckResult::error(
            "critical_tables",
            format!("{table}: cannot look it up: {}", said(&e)),
        )
        .because(ErrorClass::Query),
        Ok(None) => CheckResult::error("critical_tables", format!("{table}: does not exist")),
        Ok(Some(name)) => {
            // `name` is regclass output: already quoted as SQL needs, safe to splice.
            let sql = format!("SELECT EXISTS (SELECT 1 FROM {name})");
            match client
                .query_one(sql.as_str(), &[])
                .and_then(|row| row.try_get::<_, bool>(0))
            {
                Ok(true) => CheckResult::ok("critical_tables", format!("{name}: has rows")),
                Ok(false) => CheckResult::error("critical_tables", format!("{name}: is empty")),
                Err(e) => CheckResult::error(
                    "critical_tables",
                    format!("{name}: cannot read it: {}", said(&e)),
                )
                .because(ErrorClass::Query),
            }
        }
    }
    .target(table);
    r.fields.duration_s = started.elapsed().as_secs_f64();
    r
}

/// The data directory's disk, when the server is on this machine and the directory
/// is visible here (reading `data_directory` needs pg_read_all_settings).
fn data_dir_disk(
    client: &mut postgres::Client,
    settings: &ConnSettings,
    limits: &Thresholds,
) -> Option<CheckResult> {
    let host = settings.host();
    let local = host
        .split(',')
        .all(|h| h.starts_with('/') || h == "localhost" || h == "127.0.0.1" || h == "::1");
    if !local {
        return None;
    }
    let dir = match client
        .query_one("SELECT current_setting('data_directory')", &[])
        .and_then(|row| row.try_get::<_, String>(0))
    {
        Ok(d) => d,
        Err(e) => {
            log::info!("data directory not checked: {}", describe_pg_error(&e));
            return None;
        }
    };
    let path = Path::new(&dir);
    if std::fs::metadata(path).is_err() {
        log::info!("data directory {dir} is not readable here; not checked");
        return None;
    }
    let r = disk::check_path(path, limits);
    Some(r.detail("role", "data_directory"))
}
