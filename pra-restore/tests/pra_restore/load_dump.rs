//! The library entry other tools call: `load_dump` into an existing empty database,
//! streamed (one job) and through a temporary file (two jobs).

use crate::common;

use pra_core::codec::Codec;
use pra_core::conn::ConnSettings;
use pra_core::repo::Repository;
use pra_restore::{load_dump, LoadOptions};
use pra_testkit::{database_digest, PgCluster};

#[test]
fn load_dump_streams_and_uses_a_temp_file_with_jobs() {
    let c = PgCluster::start();
    common::load_owned_sample(&c, "app", 1);
    // What lives outside ordinary tables, restored by other steps of a several-job
    // load: a large object (its own data block), a materialized view (refreshed with
    // the post-data), a comment, a sequence value.
    c.psql(
        "app",
        "select lo_from_bytea(4242, 'large object bytes');
         create table mv_source(x int); insert into mv_source select generate_series(1, 5);
         create materialized view mv_tables as select x * 2 as y from mv_source;
         comment on materialized view mv_tables is 'kept';
         create sequence counter; select setval('counter', 77);",
    );
    let repo_dir = tempfile::tempdir().unwrap();
    let m = common::backup(&c, repo_dir.path(), "app", "app", Codec::Zstd);
    let repo = Repository::open(repo_dir.path().to_str().unwrap()).unwrap();
    let env = c.env();
    let server = ConnSettings::from_lookup(None, |k| {
        env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    })
    .unwrap();
    let source = database_digest(&c, "app");
    let extras = |db: &str| {
        c.psql(
            db,
            "select encode(lo_get(4242), 'escape'), (select count(*) from mv_tables),
                    obj_description('mv_tables'::regclass), (select last_value from counter),
                    (select count(*) from pg_indexes where schemaname <> 'pg_catalog'),
                    (select count(*) from pg_constraint where connamespace <> 'pg_catalog'::regnamespace)",
        )
    };
    let source_extras = extras("app");
    assert!(
        source_extras.starts_with("large object bytes|"),
        "{source_extras}"
    );
    let temp = tempfile::tempdir().unwrap();
    for (db, jobs) in [("one", 1), ("two", 2)] {
        c.create_db(db);
        let stats = load_dump(
            &server,
            &repo,
            &m,
            db,
            &LoadOptions {
                jobs,
                no_owner: false,
                temp_dir: Some(temp.path().to_path_buf()),
                pg_bindir: Some(c.bindir().to_path_buf()),
                ..LoadOptions::default()
            },
        )
        .unwrap();
        assert_eq!(stats.raw_bytes, m.files[0].raw_bytes);
        assert!(stats.restore_s > 0.0);
        assert_eq!(database_digest(&c, db).diff(&source), Vec::<String>::new());
        assert_eq!(extras(db), source_extras, "{jobs} job(s)");
        // The temporary file of the two-job load is gone.
        assert_eq!(std::fs::read_dir(temp.path()).unwrap().count(), 0);
    }
    // A non-empty database is refused by pg_restore (--exit-on-error), as an error.
    for jobs in [1, 2] {
        let opts = LoadOptions {
            jobs,
            ..LoadOptions::default()
        };
        let e = load_dump(&server, &repo, &m, "one", &opts).unwrap_err();
        assert!(e.to_string().contains("pg_restore"), "{jobs} job(s): {e}");
    }
}
