//! The project's own fidelity schema (`pra-testkit/sql/fidelity.sql`): one database
//! holding what a logical backup must carry (owners and grants across roles,
//! row-level security, large objects, partitions, inheritance, unlogged tables,
//! materialized views, sequences, quoted identifiers, extensions, comments, TOASTed
//! values, database-level settings), for the round-trip tests that every clone runs.

use crate::sample::sql_file;
use crate::PgCluster;

/// The roles the fidelity schema creates (cluster-wide), in name order.
pub const FIDELITY_ROLES: [&str; 4] = [
    "Pra Fid \"Auditor\"",
    "pra_fid_owner",
    "pra_fid_reader",
    "pra_fid_writer",
];

/// Creates database `db` on the cluster and fills it with the fidelity schema.
pub fn load_fidelity(cluster: &PgCluster, db: &str) {
    cluster.create_db(db);
    cluster.psql_file(db, &sql_file("fidelity.sql"), &[]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::{database_digest, database_settings, diff_maps, object_owners};

    /// Each kind of thing the schema exercises shows in the comparison, and a change
    /// to any of them is seen: the round-trip tests cannot pass by not looking.
    #[test]
    fn the_comparison_sees_every_kind_of_object_of_the_schema() {
        let c = PgCluster::start();
        load_fidelity(&c, "fid");
        let digest = database_digest(&c, "fid");
        let owners = object_owners(&c, "fid");
        let has = |prefix: &str| digest.entries.keys().any(|k| k.starts_with(prefix));
        for prefix in [
            "policy:ledger.accounts.no negative Ŝaldo",
            "lo:4242002",
            "comment:large object 4242002",
            "comment:policy own_rows on table ledger.accounts",
            "extension:hstore",
            "extension:citext",
            "extension:pgcrypto",
            "sequence:ledger.never_called",
            "table:Fidélité \"Schéma\" X.Order Items",
            "table:ledger.pending_report",
            "relation:ledger.session_cache",
            "function:ledger.account_total(p_account bigint)",
        ] {
            assert!(has(prefix), "{prefix} missing from {:#?}", digest.entries);
        }
        let entry = |k: &str| digest.entries.get(k).cloned().unwrap_or_default();
        assert!(entry("relation:ledger.accounts").contains("rls=true force=true"));
        assert!(entry("relation:ledger.session_cache").starts_with("r u "));
        assert!(entry("relation:ledger.login_events").ends_with("parents=ledger.events"));
        assert!(entry("relation:ledger.entries_2024_debit").contains("FOR VALUES IN ('debit')"));
        assert!(entry("sequence:ledger.countdown").starts_with("last=-993 start=999 inc=-7"));
        assert!(entry("sequence:ledger.never_called").starts_with("last=unset"));
        assert_eq!(entry("table:ledger.pending_report"), "unpopulated");
        assert!(
            owners["lo:4242002"].starts_with("pra_fid_owner {"),
            "{owners:?}"
        );
        let login = &owners["column:ledger.accounts.login"];
        assert!(
            login.contains("Auditor") && login.contains("=r/"),
            "{login}"
        );
        assert!(owners
            .keys()
            .any(|k| k.starts_with("default-acl:pra_fid_owner:ledger:")));
        let settings = database_settings(&c, "fid");
        assert_eq!(settings["owner"], "pra_fid_owner");
        assert_eq!(settings["comment"], "pra fidelity database");
        assert!(
            settings["setting:*"].contains("work_mem=7MB"),
            "{settings:?}"
        );
        assert!(settings["setting:pra_fid_reader"].contains("statement_timeout=5s"));

        // A change of each kind is a difference.
        c.psql(
            "fid",
            "ALTER POLICY own_rows ON ledger.accounts USING (true); \
             COMMENT ON LARGE OBJECT 4242002 IS 'changed'; \
             SELECT setval('ledger.countdown', 1); \
             ALTER TABLE ledger.session_cache SET LOGGED; \
             SELECT lo_put(4242001, 0, '\\x00'); \
             GRANT SELECT ON LARGE OBJECT 4242003 TO pra_fid_reader; \
             ALTER DATABASE fid RESET work_mem",
        );
        let diff = digest.diff(&database_digest(&c, "fid"));
        for key in [
            "policy:ledger.accounts.own_rows",
            "comment:large object 4242002",
            "sequence:ledger.countdown",
            "relation:ledger.session_cache",
            "lo:4242001",
        ] {
            assert!(
                diff.iter().any(|d| d.starts_with(key)),
                "{key} not in {diff:#?}"
            );
        }
        let diff = diff_maps(&owners, &object_owners(&c, "fid"));
        assert!(diff.iter().any(|d| d.starts_with("lo:4242003")), "{diff:?}");
        let diff = diff_maps(&settings, &database_settings(&c, "fid"));
        assert!(diff.iter().any(|d| d.starts_with("setting:*")), "{diff:?}");
    }
}
