//! The project's own data generators: `pra-testkit/sql/sample.sql`, a small
//! property-management application with an owner role, a reader role and grants,
//! used by tests that must run anywhere and by the demo; and `pra-testkit/sql/app.sql`,
//! the `app` benchmark dataset of bench/*.sh (same kind of application, with the
//! entropy of real data: random text, uuids, jsonb, incompressible bytea).

use crate::PgCluster;
use std::path::PathBuf;

/// Path of one of the generator scripts in `pra-testkit/sql/` of the checkout the
/// tests run from: `sample.sql` (`psql -v scale=N -f`), `app.sql` (the benchmark
/// dataset of bench/*.sh, scale 1 ≈ 6 MB, `-v scale=N`), `fidelity.sql`.
pub fn sql_file(name: &str) -> PathBuf {
    crate::datasets::checkout_root()
        .join("pra-testkit/sql")
        .join(name)
}

/// Creates database `db` on the cluster and fills it with the `app` benchmark
/// dataset at `scale`.
pub fn load_app(cluster: &PgCluster, db: &str, scale: u32) {
    cluster.create_db(db);
    cluster.psql_file(db, &sql_file("app.sql"), &[("scale", &scale.to_string())]);
}

/// Creates database `db` on the cluster and fills it at `scale` (1 ≈ 2 MB).
pub fn load_sample(cluster: &PgCluster, db: &str, scale: u32) {
    cluster.create_db(db);
    cluster.psql_file(
        db,
        &sql_file("sample.sql"),
        &[("scale", &scale.to_string())],
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_has_owners_grants_and_rows() {
        let c = PgCluster::start();
        load_sample(&c, "app", 1);
        assert_eq!(
            c.psql("app", "SELECT count(*) FROM rental.payments"),
            "8000"
        );
        assert_eq!(
            c.psql(
                "app",
                "SELECT tableowner FROM pg_tables WHERE tablename = 'leases'"
            ),
            "pra_sample_owner"
        );
        assert_eq!(
            c.psql(
                "app",
                "SELECT has_table_privilege('pra_sample_reader', 'rental.tenants', 'SELECT')"
            ),
            "t"
        );
        let docs: i64 = c
            .psql("app", "SELECT sum(length(content)) FROM rental.documents")
            .parse()
            .unwrap();
        assert!(docs > 50_000, "bytea documents: {docs}");
    }

    #[test]
    fn app_generator_has_its_rows_per_scale_and_incompressible_documents() {
        let c = PgCluster::start();
        load_app(&c, "app", 1);
        let counts = c.psql(
            "app",
            "SELECT concat_ws(' ', (SELECT count(*) FROM tenants), (SELECT count(*) FROM properties), \
             (SELECT count(*) FROM leases), (SELECT count(*) FROM payments), (SELECT count(*) FROM documents))",
        );
        assert_eq!(counts, "1000 2000 3000 30000 100");
        let (min, max): (i64, i64) = {
            let s = c.psql(
                "app",
                "SELECT min(length(body)) || ' ' || max(length(body)) FROM documents",
            );
            let (a, b) = s.split_once(' ').unwrap();
            (a.parse().unwrap(), b.parse().unwrap())
        };
        assert!(min >= 2000 && max <= 8000, "document sizes {min}..{max}");
        // Random bytes: the server's own compression gains nothing on them.
        let stored: i64 = c
            .psql("app", "SELECT sum(pg_column_size(body) - 4) FROM documents")
            .parse()
            .unwrap();
        let raw: i64 = c
            .psql("app", "SELECT sum(length(body)) FROM documents")
            .parse()
            .unwrap();
        assert!(
            stored >= raw * 99 / 100,
            "documents stored in {stored} bytes for {raw}"
        );
    }
}
