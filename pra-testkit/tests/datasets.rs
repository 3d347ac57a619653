//! The shared datasets load into a private cluster, and their digests are stable
//! (two computations agree) and sensitive (one changed row changes them).

use pra_testkit::{database_digest, datasets_dir, load_dataset, load_sample, Dataset, PgCluster};

#[test]
fn each_dataset_loads_and_its_digest_is_stable() {
    if datasets_dir().is_none() {
        return;
    }
    let c = PgCluster::start();
    for ds in Dataset::ALL {
        let db = load_dataset(&c, ds);
        let first = database_digest(&c, &db);
        let second = database_digest(&c, &db);
        assert!(first.tables() >= 8, "{db}: {} tables", first.tables());
        assert_eq!(
            first.diff(&second),
            Vec::<String>::new(),
            "{db} digest stable"
        );
        if ds == Dataset::Pagila {
            assert!(
                first.entries.keys().any(|k| k.starts_with("sequence:")),
                "{db} has sequences"
            );
        }
    }
}

#[test]
fn digest_sees_a_single_changed_row() {
    let c = PgCluster::start();
    load_sample(&c, "app", 1);
    let before = database_digest(&c, "app");
    c.psql(
        "app",
        "UPDATE rental.payments SET amount = amount + 0.01 WHERE id = 42",
    );
    let after = database_digest(&c, "app");
    let diff = before.diff(&after);
    assert_eq!(diff.len(), 1, "{diff:?}");
    assert!(diff[0].starts_with("table:rental.payments"), "{diff:?}");
}
