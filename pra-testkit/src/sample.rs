//! The project's own sample-data generator (`pra-testkit/sql/sample.sql`): a small
//! property-management application with an owner role, a reader role and grants,
//! used by tests that must run anywhere and by the demo.

use crate::PgCluster;
use std::path::PathBuf;

/// Path of the generator script, for `psql -v scale=N -f`.
pub const SAMPLE_SQL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sql/sample.sql");

/// Creates database `db` on the cluster and fills it at `scale` (1 ≈ 2 MB).
pub fn load_sample(cluster: &PgCluster, db: &str, scale: u32) {
    cluster.create_db(db);
    cluster.psql_file(
        db,
        &PathBuf::from(SAMPLE_SQL),
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
}
