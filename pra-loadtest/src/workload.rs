//! The drill's workload: the built-in pgbench-like TPC-B transaction on its own
//! tables in schema `pra_loadtest`, or a custom transaction file run against the
//! user's own schema.
//!
//! Every transaction of the drill, built-in or custom, appends one row to a
//! *marker* table in the same transaction (the TPC-B `history` table, or
//! `pra_loadtest.commits` for a custom workload). Counting those rows in the
//! backup's snapshot and in the live database tells exactly how many committed
//! transactions a backup misses: the RPO in transactions, not an estimate.

use crate::Error;
use pra_core::catalog::quote_literal;

/// The schema the drill owns; dropped at the end unless `--keep`.
pub const SCHEMA: &str = "pra_loadtest";

/// The comment that marks the schema as the drill's, so that an existing schema of
/// that name is only ever dropped when a previous drill left it.
const SCHEMA_COMMENT: &str = "pra-loadtest drill workload; dropped at the end of the drill";

/// Rows of the built-in tables per unit of scale (as pgbench).
pub const ACCOUNTS_PER_SCALE: f64 = 100_000.0;

/// What the clients run.
#[derive(Debug, Clone)]
pub enum Workload {
    /// The built-in TPC-B-like transaction (pgbench's default script).
    Tpcb {
        /// The scale asked for.
        scale: f64,
        /// Rows of `pra_loadtest.branches`.
        branches: i32,
        /// Rows of `pra_loadtest.tellers`.
        tellers: i32,
        /// Rows of `pra_loadtest.accounts`.
        accounts: i32,
    },
    /// A transaction file: plain SQL, run as one transaction per iteration.
    Custom {
        /// The file name, for events and the report.
        name: String,
        /// The SQL, without transaction-control lines.
        sql: String,
    },
}

impl Workload {
    /// The built-in workload at a scale (1 = 100,000 accounts; fractions allowed).
    pub fn tpcb(scale: f64) -> Result<Workload, Error> {
        if !(scale.is_finite() && scale > 0.0) || scale > 20_000.0 {
            return Err(Error::Usage(format!(
                "--scale {scale} is out of range (examples: 1 = 100,000 accounts, 0.1 = 10,000)"
            )));
        }
        let branches = (scale.round() as i32).max(1);
        let accounts = ((scale * ACCOUNTS_PER_SCALE).round() as i32).max(1);
        Ok(Workload::Tpcb {
            scale,
            branches,
            tellers: branches * 10,
            accounts,
        })
    }

    /// A custom workload from the text of a transaction file.
    ///
    /// `BEGIN`/`COMMIT`/`END` lines are dropped (each run of the file is one transaction
    /// already); pgbench meta-commands (`\set` …) are refused with a clear message.
    pub fn custom(name: &str, text: &str) -> Result<Workload, Error> {
        let mut kept = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let t = line.trim();
            if t.starts_with('\\') {
                return Err(Error::Usage(format!(
                    "{name} line {}: pgbench meta-commands ({}) are not supported; \
                     write plain SQL, e.g. (random() * 1000)::int for a random key",
                    n + 1,
                    t.split_whitespace().next().unwrap_or(t)
                )));
            }
            let word = t.trim_end_matches(';').trim().to_ascii_uppercase();
            if matches!(
                word.as_str(),
                "BEGIN" | "COMMIT" | "END" | "START TRANSACTION" | "BEGIN TRANSACTION"
            ) {
                continue;
            }
            kept.push(line);
        }
        let sql = kept.join("\n");
        let meaningful = sql
            .lines()
            .map(str::trim)
            .any(|l| !l.is_empty() && !l.starts_with("--"));
        if !meaningful {
            return Err(Error::Usage(format!("{name} holds no SQL statement")));
        }
        Ok(Workload::Custom {
            name: name.to_string(),
            sql,
        })
    }

    /// `tpcb`, or the custom file's name.
    pub fn label(&self) -> String {
        match self {
            Workload::Tpcb { .. } => "tpcb".to_string(),
            Workload::Custom { name, .. } => name.clone(),
        }
    }

    /// The scale of the built-in workload.
    pub fn scale(&self) -> Option<f64> {
        match self {
            Workload::Tpcb { scale, .. } => Some(*scale),
            Workload::Custom { .. } => None,
        }
    }

    /// The marker table (one row per committed drill transaction) and its time column.
    pub fn marker(&self) -> (&'static str, &'static str) {
        match self {
            Workload::Tpcb { .. } => ("history", "mtime"),
            Workload::Custom { .. } => ("commits", "committed_at"),
        }
    }
}

/// Creates schema `pra_loadtest` and the workload's tables (dropping those a previous,
/// interrupted or `--keep` drill left behind; refusing a schema of that name it did not create).
pub fn prepare(client: &mut postgres::Client, workload: &Workload) -> Result<(), Error> {
    let existing = client.query_opt(
        "SELECT coalesce(obj_description(oid, 'pg_namespace'), '') FROM pg_namespace WHERE nspname = $1",
        &[&SCHEMA],
    )?;
    if let Some(row) = existing {
        let comment: String = row.get(0);
        if comment != SCHEMA_COMMENT {
            return Err(Error::Usage(format!(
                "schema {SCHEMA} exists and was not created by pra-loadtest; \
                 the drill will not touch it (rename or drop it first)"
            )));
        }
        log::warn!("dropping schema {SCHEMA} left by a previous drill");
        client.batch_execute(&format!("DROP SCHEMA {SCHEMA} CASCADE"))?;
    }
    let mut sql = format!(
        "CREATE SCHEMA {SCHEMA}; COMMENT ON SCHEMA {SCHEMA} IS {};",
        quote_literal(SCHEMA_COMMENT)
    );
    match workload {
        Workload::Tpcb {
            branches,
            tellers,
            accounts,
            ..
        } => {
            // pgbench's tables and fill factor, so that pgbench's own scripts run on them.
            sql.push_str(&format!(
                "CREATE TABLE {SCHEMA}.branches (bid int NOT NULL PRIMARY KEY, bbalance int, filler char(88)) WITH (fillfactor = 100);
                 CREATE TABLE {SCHEMA}.tellers (tid int NOT NULL PRIMARY KEY, bid int, tbalance int, filler char(84)) WITH (fillfactor = 100);
                 CREATE TABLE {SCHEMA}.accounts (aid int NOT NULL PRIMARY KEY, bid int, abalance int, filler char(84)) WITH (fillfactor = 100);
                 CREATE TABLE {SCHEMA}.history (tid int, bid int, aid int, delta int, mtime timestamptz, filler char(22));
                 INSERT INTO {SCHEMA}.branches (bid, bbalance) SELECT g, 0 FROM generate_series(1, {branches}) g;
                 INSERT INTO {SCHEMA}.tellers (tid, bid, tbalance) SELECT g, (g - 1) / 10 + 1, 0 FROM generate_series(1, {tellers}) g;
                 INSERT INTO {SCHEMA}.accounts (aid, bid, abalance, filler)
                   SELECT g, (g - 1) % {branches} + 1, 0, '' FROM generate_series(1, {accounts}) g;
                 ANALYZE {SCHEMA}.branches, {SCHEMA}.tellers, {SCHEMA}.accounts;"
            ));
        }
        Workload::Custom { .. } => {
            sql.push_str(&format!(
                "CREATE TABLE {SCHEMA}.commits (committed_at timestamptz NOT NULL DEFAULT clock_timestamp());"
            ));
        }
    }
    client.batch_execute(&sql)?;
    Ok(())
}

/// Drops schema `pra_loadtest` and everything in it (a no-op when absent).
pub fn drop_schema(client: &mut postgres::Client) -> Result<(), postgres::Error> {
    client.batch_execute(&format!("DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
}

/// The built-in transaction as a pgbench script on the drill's tables (pgbench's
/// `tpcb-like` with the `pra_loadtest` schema), sent as one message like the drill
/// sends it (`\\;` joins the statements; run it with `pgbench -M simple`): the
/// same work in the same shape, for an independent measurement.
pub const TPCB_PGBENCH_SCRIPT: &str = "\\set aid random(1, :accounts)
\\set bid random(1, :branches)
\\set tid random(1, :tellers)
\\set delta random(-5000, 5000)
BEGIN \\;
UPDATE pra_loadtest.accounts SET abalance = abalance + :delta WHERE aid = :aid \\;
SELECT abalance FROM pra_loadtest.accounts WHERE aid = :aid \\;
UPDATE pra_loadtest.tellers SET tbalance = tbalance + :delta WHERE tid = :tid \\;
UPDATE pra_loadtest.branches SET bbalance = bbalance + :delta WHERE bid = :bid \\;
INSERT INTO pra_loadtest.history (tid, bid, aid, delta, mtime) VALUES (:tid, :bid, :aid, :delta, clock_timestamp()) \\;
END;
";

/// The SQL of one transaction: one message, one round trip.
///
/// The whole transaction travels as one simple-protocol message, as pgbench sends a
/// `\\;` compound statement: the client's own overhead (a round trip costs more in
/// a client than in the server) stays out of the latencies measured. The values
/// are integers the drill drew itself, so inlining them is safe.
pub fn transaction_sql(workload: &Workload, rng: &mut Rng) -> String {
    match workload {
        Workload::Tpcb {
            branches,
            tellers,
            accounts,
            ..
        } => {
            let aid = rng.range(1, *accounts);
            let bid = rng.range(1, *branches);
            let tid = rng.range(1, *tellers);
            let delta = rng.range(-5000, 5000);
            // clock_timestamp(), not now(): the marker's time is as close to the commit as SQL gets.
            format!(
                "BEGIN;\
                 UPDATE {SCHEMA}.accounts SET abalance = abalance + {delta} WHERE aid = {aid};\
                 SELECT abalance FROM {SCHEMA}.accounts WHERE aid = {aid};\
                 UPDATE {SCHEMA}.tellers SET tbalance = tbalance + {delta} WHERE tid = {tid};\
                 UPDATE {SCHEMA}.branches SET bbalance = bbalance + {delta} WHERE bid = {bid};\
                 INSERT INTO {SCHEMA}.history (tid, bid, aid, delta, mtime) VALUES ({tid}, {bid}, {aid}, {delta}, clock_timestamp());\
                 COMMIT;"
            )
        }
        // New lines around the file's SQL: a last line that is a comment, or lacks its
        // semicolon, must not swallow the marker row.
        Workload::Custom { sql, .. } => {
            format!("BEGIN;\n{sql}\n;\nINSERT INTO {SCHEMA}.commits DEFAULT VALUES;\nCOMMIT;")
        }
    }
}

/// Runs one transaction of the workload: committed, or rolled back and the error returned.
pub fn run_transaction(
    client: &mut postgres::Client,
    workload: &Workload,
    rng: &mut Rng,
) -> Result<(), postgres::Error> {
    let sql = transaction_sql(workload, rng);
    match client.batch_execute(&sql) {
        Ok(()) => Ok(()),
        Err(e) => {
            // A failed statement leaves the transaction block open and aborted.
            if !client.is_closed() {
                let _ = client.batch_execute("ROLLBACK");
            }
            Err(e)
        }
    }
}

/// A small, fast pseudo-random generator (splitmix64): keys for the built-in transaction.
pub struct Rng(u64);

impl Rng {
    /// A generator seeded from the clock and a per-client number.
    pub fn seeded(stream: u64) -> Rng {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        Rng(t ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform integer in `lo..=hi`.
    pub fn range(&mut self, lo: i32, hi: i32) -> i32 {
        let span = (i64::from(hi) - i64::from(lo) + 1).max(1) as u64;
        (i64::from(lo) + (self.next() % span) as i64) as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_sizes_like_pgbench() {
        let Workload::Tpcb {
            branches,
            tellers,
            accounts,
            ..
        } = Workload::tpcb(1.0).unwrap()
        else {
            unreachable!()
        };
        assert_eq!((branches, tellers, accounts), (1, 10, 100_000));
        let Workload::Tpcb {
            accounts, branches, ..
        } = Workload::tpcb(0.05).unwrap()
        else {
            unreachable!()
        };
        assert_eq!((branches, accounts), (1, 5000));
        assert!(Workload::tpcb(0.0).is_err());
        assert!(Workload::tpcb(f64::NAN).is_err());
    }

    #[test]
    fn custom_files_drop_transaction_control_and_refuse_meta_commands() {
        let w = Workload::custom("w.sql", "BEGIN;\nUPDATE t SET x = x + 1;\nCOMMIT;\n").unwrap();
        let Workload::Custom { sql, .. } = &w else {
            unreachable!()
        };
        assert_eq!(sql.trim(), "UPDATE t SET x = x + 1;");
        assert_eq!(w.marker(), ("commits", "committed_at"));
        let err = Workload::custom("w.sql", "\\set aid random(1, 10)\nSELECT 1;").unwrap_err();
        assert!(err.to_string().contains("line 1"), "{err}");
        assert!(Workload::custom("w.sql", "-- nothing\nBEGIN;\nEND;").is_err());
    }

    #[test]
    fn random_keys_stay_in_range() {
        let mut r = Rng::seeded(7);
        let mut seen = [false; 5];
        for _ in 0..1000 {
            let v = r.range(1, 5);
            assert!((1..=5).contains(&v));
            seen[(v - 1) as usize] = true;
        }
        assert!(seen.iter().all(|&s| s));
        assert!((0..100).all(|_| (-5000..=5000).contains(&r.range(-5000, 5000))));
    }
}
