//! Row counting overlapped with `pg_restore -j` (issue 23): `--jobs` defaults to the
//! cores; with several jobs each table is counted as soon as its data is loaded, and
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
