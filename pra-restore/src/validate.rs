//! Validation of a restored database before it gets its name: the exact row count
//! of every table against the manifest, the critical tables, ANALYZE, and the
//! application URLs. Tables counted while `pg_restore` was still building indexes
//! (overlap.rs) are not counted again, unless their count differs from the manifest;
//! tables analyzed while it worked on others are not analyzed again.

use crate::overlap::{During, Table};
use crate::Error;
use pra_core::catalog::{compare_row_counts, count_rows, quote_ident, user_tables};
use pra_core::conn::{describe_pg_error, ConnSettings};
use pra_core::event::kinds::RestoreCheck;
use pra_core::event::Status;
use pra_core::manifest::{Manifest, TableRows};
use pra_core::probe::Prober;
use pra_core::redact::redact_url;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many problems of one check the event spells out.
const SHOWN: usize = 10;

/// What validation found.
#[derive(Debug, Default)]
pub struct Validation {
    /// Every step, in order.
    pub checks: Vec<RestoreCheck>,
    /// Tables counted.
    pub tables: u64,
    /// Rows counted.
    pub rows: u64,
}

impl Validation {
    /// The failed steps, in words.
    pub fn failures(&self) -> Vec<String> {
        self.checks
            .iter()
            .filter(|c| c.status == Status::Error)
            .map(|c| format!("{} {}: {}", c.check, c.target, c.detail))
            .collect()
    }

    fn push(&mut self, check: &str, target: &str, ok: bool, detail: String) {
        self.checks.push(RestoreCheck {
            check: check.to_string(),
            target: target.to_string(),
            status: if ok { Status::Ok } else { Status::Error },
            detail,
        });
    }
}

/// What to check besides the row counts.
pub struct Checks<'a> {
    /// `[schema.]table` names that must exist and hold rows.
    pub critical_tables: &'a [String],
    /// URLs that must answer 2xx (redirects followed); `{db}` is replaced by the
    /// database's name.
    pub urls: &'a [String],
    /// Time limit of each URL request (`--http-timeout`).
    pub timeout: Duration,
}

/// Validates the restored copy `temp` (row counts, critical tables, URLs), filling
/// `fields`; returns what failed (a validation that could not run is a failure).
/// `during`: the tables counted and analyzed during the load; the time waited for
/// its last statement is validation's too.
pub(crate) fn failures(
    args: &crate::Args,
    server: &ConnSettings,
    temp: &str,
    manifest: &Manifest,
    during: &During,
    fields: &mut pra_core::event::kinds::RestoreFields,
) -> Vec<String> {
    let validating = Instant::now();
    let checks = Checks {
        critical_tables: &args.critical_tables,
        urls: &args.check_urls,
        timeout: args.probe_timeout(),
    };
    let validated = validate(server, temp, manifest, &checks, args.jobs(), during);
    fields.validate_s = during.finish_s + validating.elapsed().as_secs_f64();
    match validated {
        Ok(v) => {
            fields.tables = v.tables;
            fields.rows = v.rows;
            let f = v.failures();
            fields.validation = v.checks;
            f
        }
        Err(e) => vec![format!("validation could not run: {e}")],
    }
}

/// Validates database `db` (restored from `manifest`) on the server of `server`,
/// counting and analyzing tables on `jobs` connections at once. The tables counted
/// during the load are not counted again unless their count differs from the
/// manifest's; those analyzed during the load are not analyzed again.
pub(crate) fn validate(
    server: &ConnSettings,
    db: &str,
    manifest: &Manifest,
    checks: &Checks<'_>,
    jobs: u32,
    during: &During,
) -> Result<Validation, Error> {
    let mut v = Validation::default();
    let settings = server.with_dbname(db);
    let mut client = settings.connect()?;
    let tables =
        user_tables(&mut client).map_err(|e| Error::db(format!("listing tables of {db}"), &e))?;
    let started = Instant::now();
    let early = usable_counts(&tables, &during.counted, manifest);
    let reused = early.iter().flatten().count();
    let analyzed: Vec<bool> = tables.iter().map(|t| during.analyzed.contains(t)).collect();
    let analyzed_early = analyzed.iter().filter(|&&a| a).count();
    let (found, analyze_errors) =
        count_and_analyze(&settings, client, &tables, early, &analyzed, jobs)?;
    v.tables = found.len() as u64;
    v.rows = found.iter().filter_map(|t| t.rows).sum();
    row_counts(&mut v, db, manifest, &found, reused);
    for t in checks.critical_tables {
        critical(&mut v, t, &found);
    }
    if analyze_errors.is_empty() {
        v.push(
            "analyze",
            db,
            true,
            format!(
                "{} tables counted and analyzed{} in {:.1} s",
                found.len(),
                if analyzed_early > 0 {
                    format!(" ({analyzed_early} of them analyzed during the load)")
                } else {
                    String::new()
                },
                started.elapsed().as_secs_f64()
            ),
        );
    } else {
        v.push("analyze", db, false, analyze_errors.join("; "));
    }
    let prober = Prober::new(checks.timeout);
    for url in checks.urls {
        check_url(&mut v, &prober, &url.replace("{db}", db));
    }
    Ok(v)
}

/// The counts made during the load that validation keeps, in `tables` order: those
/// the manifest agrees with or has no count for. A differing one is counted again:
/// a table whose rows were still arriving is then not a false failure, and a table
/// that truly differs still fails.
fn usable_counts(
    tables: &[(String, String)],
    counted: &[TableRows],
    manifest: &Manifest,
) -> Vec<Option<TableRows>> {
    tables
        .iter()
        .map(|(schema, table)| {
            let early = counted
                .iter()
                .find(|c| &c.schema == schema && &c.table == table && c.rows.is_some())?;
            let expected = manifest
                .tables
                .iter()
                .find(|e| &e.schema == schema && &e.table == table)
                .and_then(|e| e.rows);
            expected
                .is_none_or(|want| Some(want) == early.rows)
                .then(|| early.clone())
        })
        .collect()
}

/// Counts the rows of every table `early` has no count for and ANALYZEs every table
/// not `analyzed` during the load, on `jobs` connections (the first one is
/// `client`); then ANALYZEs what has no rows of its own (partitioned parents,
/// materialized views). Returns the counts in table order and the ANALYZE failures.
fn count_and_analyze(
    settings: &ConnSettings,
    client: postgres::Client,
    tables: &[Table],
    early: Vec<Option<TableRows>>,
    analyzed: &[bool],
    jobs: u32,
) -> Result<(Vec<TableRows>, Vec<String>), Error> {
    // Only the tables with something left to do: no connection opened for nothing.
    let todo: Vec<usize> = (0..tables.len())
        .filter(|&i| early[i].is_none() || !analyzed[i])
        .collect();
    let next = AtomicUsize::new(0);
    let counted: Mutex<Vec<Option<TableRows>>> = Mutex::new(early);
    let analyze_errors: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let workers = (jobs.max(1) as usize).min(todo.len().max(1));
    let work = |mut c: postgres::Client| -> Result<postgres::Client, Error> {
        loop {
            let Some(&i) = todo.get(next.fetch_add(1, Ordering::Relaxed)) else {
                return Ok(c);
            };
            let t = &tables[i];
            let known = counted.lock().is_ok_and(|slots| slots[i].is_some());
            if !known {
                let rows = count_rows(&mut c, std::slice::from_ref(t))
                    .map_err(|e| Error::db(format!("counting rows of {}.{}", t.0, t.1), &e))?;
                if let Ok(mut slots) = counted.lock() {
                    slots[i] = rows.into_iter().next();
                }
            }
            if analyzed[i] {
                continue;
            }
            let sql = format!("ANALYZE {}.{}", quote_ident(&t.0), quote_ident(&t.1));
            if let Err(e) = c.batch_execute(&sql) {
                if let Ok(mut errs) = analyze_errors.lock() {
                    errs.push(format!("{}.{}: {}", t.0, t.1, describe_pg_error(&e)));
                }
            }
        }
    };
    let mut first = std::thread::scope(|s| -> Result<postgres::Client, Error> {
        let mut others = Vec::new();
        for _ in 1..workers {
            let c = settings.connect()?;
            others.push(s.spawn(|| work(c).map(drop)));
        }
        let first = work(client);
        for h in others {
            h.join()
                .map_err(|_| Error::Validation("a validation worker failed".to_string()))??;
        }
        first
    })?;
    let rest = first
        .query(
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
               AND n.nspname NOT LIKE 'pg_toast%'",
            &[],
        )
        .map_err(|e| Error::db("listing partitioned tables and materialized views", &e))?;
    let mut analyze_errors = analyze_errors.into_inner().unwrap_or_default();
    for row in rest {
        let name: String = row.get(0);
        if let Err(e) = first.batch_execute(&format!("ANALYZE {name}")) {
            analyze_errors.push(format!("{name}: {}", describe_pg_error(&e)));
        }
    }
    let counted = counted
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect();
    Ok((counted, analyze_errors))
}

fn row_counts(
    v: &mut Validation,
    db: &str,
    manifest: &Manifest,
    found: &[TableRows],
    early: usize,
) {
    // Zero tables in the manifest is an empty database (a stock `postgres`), compared
    // like any other: it must restore to zero tables.
    let problems = compare_row_counts(&manifest.tables, found);
    let uncounted = manifest.tables.iter().filter(|t| t.rows.is_none()).count();
    if !problems.is_empty() {
        let mut detail = problems[..problems.len().min(SHOWN)].join("; ");
        if problems.len() > SHOWN {
            detail.push_str(&format!("; and {} more", problems.len() - SHOWN));
        }
        v.push("row_counts", db, false, detail);
    } else if uncounted > 0 {
        v.checks.push(RestoreCheck {
            check: "row_counts".to_string(),
            target: db.to_string(),
            status: Status::Warn,
            detail: format!(
                "{} tables, {} rows restored, every table of the manifest present; {uncounted} \
                 of {} have no row count in the manifest (backup taken with --count-rows \
                 none or critical), their rows not compared",
                v.tables,
                v.rows,
                manifest.tables.len()
            ),
        });
    } else {
        let during = if early > 0 {
            format!(" ({early} of them counted while pg_restore built indexes)")
        } else {
            String::new()
        };
        v.push(
            "row_counts",
            db,
            true,
            format!(
                "{} tables, {} rows: every count equals the manifest{during}",
                v.tables, v.rows
            ),
        );
    }
}

fn critical(v: &mut Validation, name: &str, found: &[TableRows]) {
    let (schema, table) = match name.split_once('.') {
        Some((s, t)) => (Some(s), t),
        None => (None, name),
    };
    let mut matches: Vec<&TableRows> = found
        .iter()
        .filter(|t| t.table == table && schema.is_none_or(|s| t.schema == s))
        .collect();
    // Unqualified: `public` first, as the default search_path would find it.
    matches.sort_by_key(|t| t.schema != "public");
    match matches.first() {
        None => v.push(
            "critical_table",
            name,
            false,
            "table does not exist".to_string(),
        ),
        Some(t) => {
            let rows = t.rows.unwrap_or(0);
            v.push(
                "critical_table",
                &t.qualified(),
                rows > 0,
                if rows > 0 {
                    format!("{rows} rows")
                } else {
                    "table is empty".to_string()
                },
            );
        }
    }
}

fn check_url(v: &mut Validation, prober: &Prober, url: &str) {
    let r = prober.probe(url);
    let detail = format!("{} in {:.2} s", r.describe(), r.latency.as_secs_f64());
    v.push("check_url", &redact_url(url), r.is_success(), detail);
}
