//! Row counting and ANALYZE overlapped with `pg_restore -j` (issue 23): `--jobs`
//! defaults to the cores; with several jobs each table is counted as soon as its data
//! is loaded and analyzed once pg_restore is done with it while a slot is idle, and
//! validation still proves what it proved before: every table's exact count against
//! the manifest (a differing count still fails), the critical tables, ANALYZE done.

use crate::common;
use crate::failures::restore;
use pra_core::codec::Codec;
use pra_core::event::kinds::RestoreFields;
use pra_core::event::{Kind, Status};
use pra_core::repo::Repository;
use pra_testkit::{database_digest, PgCluster};

/// The tables of `db` that no ANALYZE statement analyzed (autovacuum's do not count).
fn never_analyzed(c: &PgCluster, db: &str) -> String {
    c.psql(
        db,
        "SELECT coalesce(string_agg(relname, ','), '') FROM pg_stat_user_tables \
         WHERE last_analyze IS NULL",
    )
}

#[test]
fn tables_are_counted_during_the_load_exactly_and_analyzed() {
    let c = PgCluster::start();
    common::load_owned_sample(&c, "app", 2);
    let repo = tempfile::tempdir().unwrap();
    let m = common::backup(&c, repo.path(), "app", "app", Codec::Zstd);
    let rows: u64 = m.tables.iter().filter_map(|t| t.rows).sum();
    assert!(m.tables.len() >= 5 && rows > 0, "{:?}", m.tables);
    let source = database_digest(&c, "app");

    // No --jobs: one per core, the temporary-file path when there are several.
    let cores = std::thread::available_parallelism().unwrap().get() as u32;
    let run = restore(&c, repo.path(), "app", "by_default", &[]);
    run.success();
    let f: RestoreFields = run.one(Kind::Restore).fields_as().unwrap();
    assert_eq!(f.jobs, cores.min(64), "{}", run.dump());

    // Several jobs: every table counted while pg_restore built indexes, the counts
    // exact, the critical table checked, every table analyzed.
    let run = restore(
        &c,
        repo.path(),
        "app",
        "overlapped",
        &["--jobs", "2", "--critical-table", "rental.payments"],
    );
    run.success();
    let f: RestoreFields = run.one(Kind::Restore).fields_as().unwrap();
    assert_eq!((f.tables, f.rows), (m.tables.len() as u64, rows));
    assert_eq!(
        common::check_statuses(&f),
        [
            ("row_counts", Status::Ok),
            ("critical_table", Status::Ok),
            ("analyze", Status::Ok)
        ],
        "{}",
        run.dump()
    );
    // Tables counted during the load are said so; those whose data landed as
    // pg_restore ended are counted by validation (same exact counts above).
    let detail = &f.validation[0].detail;
    let during: usize = detail
        .split(" (")
        .nth(1)
        .and_then(|d| d.strip_suffix(" of them counted while pg_restore built indexes)"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count during the load: {detail}"));
    assert!((1..=m.tables.len()).contains(&during), "{detail}");
    assert_eq!(never_analyzed(&c, "overlapped"), "");
    assert_eq!(
        database_digest(&c, "overlapped").diff(&source),
        Vec::<String>::new()
    );
}

#[test]
fn a_table_whose_count_differs_is_caught_with_and_without_the_overlap() {
    let c = PgCluster::start();
    common::load_owned_sample(&c, "app", 1);
    let repo = tempfile::tempdir().unwrap();
    let mut m = common::backup(&c, repo.path(), "app", "app", Codec::Zstd);
    // The manifest expects one row more in one table than the dump holds.
    let t = m.tables.iter_mut().find(|t| t.table == "payments").unwrap();
    let real = t.rows.unwrap();
    t.rows = Some(real + 1);
    let r = Repository::open(repo.path().to_str().unwrap()).unwrap();
    r.write_manifest(&m).unwrap();

    for jobs in ["1", "2"] {
        let target = format!("differs{jobs}");
        let run = restore(&c, repo.path(), "app", &target, &["--jobs", jobs]);
        run.code_is(1);
        let f: RestoreFields = run.one(Kind::Restore).fields_as().unwrap();
        let counts = f
            .validation
            .iter()
            .find(|c| c.check == "row_counts")
            .unwrap();
        assert_eq!(
            counts.status,
            Status::Error,
            "--jobs {jobs}: {}",
            run.dump()
        );
        assert!(
            counts.detail.contains(&format!(
                "table rental.payments: {real} rows found, {} expected (manifest)",
                real + 1
            )),
            "--jobs {jobs}: {}",
            counts.detail
        );
        // Kept under its temporary name for a look, never given the target's.
        let kept = f.temp_database.unwrap();
        assert!(c.db_exists(&kept) && !c.db_exists(&target));
        c.psql("postgres", &format!("DROP DATABASE \"{kept}\""));
    }
}

#[test]
fn a_failing_pg_restore_stops_the_counting_and_says_why() {
    let c = PgCluster::start();
    c.create_db("app");
    // The index's function finds its table through the search_path, which
    // pg_restore empties: its post-data step fails after every table's data is in
    // (and counted).
    c.psql(
        "app",
        "CREATE TABLE lookup (v int); INSERT INTO lookup VALUES (1); \
         CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 5000) g; \
         CREATE FUNCTION f(i int) RETURNS int IMMUTABLE LANGUAGE sql \
           AS 'SELECT i + (SELECT max(v) FROM lookup)'; \
         CREATE INDEX t_f ON t (f(id));",
    );
    let repo = tempfile::tempdir().unwrap();
    common::backup(&c, repo.path(), "app", "app", Codec::Zstd);
    let before = c.databases();

    let run = restore(&c, repo.path(), "app", "broken", &["--jobs", "2"]);
    run.code_is(3);
    let f: RestoreFields = run.one(Kind::Restore).fields_as().unwrap();
    let error = f.error.unwrap_or_default();
    // The error quotes pg_restore's own words, not its --verbose progress lines.
    assert!(
        error.contains("pg_restore") && error.contains("\"lookup\" does not exist"),
        "{}",
        run.dump()
    );
    assert!(!error.contains("finished item"), "{error}");
    // The counting connection is gone: the half-restored database was dropped.
    assert_eq!(c.databases(), before, "{}", run.dump());
}

#[test]
fn settled_tables_are_analyzed_while_pg_restore_works_on_another() {
    let c = PgCluster::start();
    common::load_owned_sample(&c, "app", 1);
    // An index that takes seconds to build: pg_restore is still at work on it (and
    // connected) while the sample's tables, their keys and foreign keys settle.
    c.psql(
        "app",
        "CREATE FUNCTION public.slow(i int) RETURNS int IMMUTABLE LANGUAGE plpgsql \
           AS $$BEGIN PERFORM pg_sleep(0.1); RETURN i; END$$; \
         CREATE TABLE public.slow AS SELECT g AS id FROM generate_series(1, 40) g; \
         CREATE INDEX slow_idx ON public.slow (public.slow(id));",
    );
    let repo = tempfile::tempdir().unwrap();
    let m = common::backup(&c, repo.path(), "app", "app", Codec::Zstd);
    let mut running = pra_testkit::tool(common::PRA_RESTORE)
        .args(["--stanza", "app", "--target-db", "early", "--jobs", "2"])
        .arg("--repo")
        .arg(repo.path())
        .envs(c.env())
        .spawn();
    // The temporary database exists from before pg_restore starts until the rename.
    let started = std::time::Instant::now();
    let temp = loop {
        let temp = c.psql(
            "postgres",
            "SELECT datname FROM pg_database WHERE datname LIKE 'early\\_\\_pra\\_restore\\_%'",
        );
        if !temp.is_empty() {
            break temp;
        }
        assert!(running.is_running(), "pra-restore ended first");
        assert!(started.elapsed().as_secs() < 120, "no temporary database");
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    // Seen in one statement, on the server's own clock: tables analyzed while
    // pg_restore's CREATE INDEX runs.
    let (mut seen, mut was_building) = (0i64, false);
    {
        let mut db = c.connect(&temp);
        let started = std::time::Instant::now();
        loop {
            let row = db
                .query_one(
                    "SELECT (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                       AND state = 'active' AND query LIKE 'CREATE INDEX slow_idx%'), \
                     (SELECT count(*) FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL)",
                    &[],
                )
                .unwrap();
            let (building, analyzed): (i64, i64) = (row.get(0), row.get(1));
            if building > 0 {
                was_building = true;
                seen = seen.max(analyzed);
            } else if was_building || !running.is_running() || started.elapsed().as_secs() > 120 {
                // Gone before the rename, which needs the database to itself.
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
    let run = running.wait();
    run.success();
    assert!(
        was_building && seen > 0,
        "no table analyzed while pg_restore built slow_idx: {}",
        run.dump()
    );
    let f: RestoreFields = run.one(Kind::Restore).fields_as().unwrap();
    assert_eq!(f.tables, m.tables.len() as u64);
    let analyze = f.validation.iter().find(|c| c.check == "analyze").unwrap();
    assert_eq!(analyze.status, Status::Ok, "{}", analyze.detail);
    // The event says how many (the slow table's index is likely the last item).
    let during: i64 = analyze
        .detail
        .split(" (")
        .nth(1)
        .and_then(|d| d.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no ANALYZE during the load: {}", analyze.detail));
    assert!(
        (seen..=m.tables.len() as i64).contains(&during),
        "{seen} seen, {}",
        analyze.detail
    );
    assert_eq!(never_analyzed(&c, "early"), "");
}
