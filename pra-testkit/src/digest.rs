//! Content digests of a database, to prove that a restore gave back exactly what
//! was backed up: per table (and materialized view) the row count and an
//! order-independent hash of all rows; every sequence's last value; every large
//! object's md5. [`object_owners`] lists owners and grants for the ownership checks.

use crate::PgCluster;
use std::collections::BTreeMap;

/// Digest entries keyed by object (`table:public.film`, `sequence:…`, `lo:16401`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseDigest {
    /// Entry per object: its digest text.
    pub entries: BTreeMap<String, String>,
}

impl DatabaseDigest {
    /// The differences to another digest, in plain words (empty when equal).
    pub fn diff(&self, other: &DatabaseDigest) -> Vec<String> {
        diff_maps(&self.entries, &other.entries)
    }

    /// Number of tables (and materialized views) in the digest.
    pub fn tables(&self) -> usize {
        self.entries
            .keys()
            .filter(|k| k.starts_with("table:"))
            .count()
    }
}

/// Differences between two keyed maps, in plain words.
pub fn diff_maps(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in a {
        match b.get(k) {
            None => out.push(format!("{k}: missing on the right")),
            Some(w) if w != v => out.push(format!("{k}: {v} != {w}")),
            _ => {}
        }
    }
    for k in b.keys().filter(|k| !a.contains_key(*k)) {
        out.push(format!("{k}: missing on the left"));
    }
    out
}

const USER_SCHEMAS: &str = "n.nspname NOT IN ('pg_catalog', 'information_schema') \
    AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'";

fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Computes the content digest of database `db`.
pub fn database_digest(cluster: &PgCluster, db: &str) -> DatabaseDigest {
    let mut client = cluster.connect(db);
    let mut entries = BTreeMap::new();
    let tables = client
        .query(
            &format!(
                "SELECT n.nspname, c.relname, c.relkind = 'r' OR c.relispopulated FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relkind IN ('r', 'm') AND {USER_SCHEMAS} ORDER BY 1, 2"
            ),
            &[],
        )
        .unwrap();
    for row in tables {
        let (schema, table, readable): (String, String, bool) =
            (row.get(0), row.get(1), row.get(2));
        if !readable {
            entries.insert(format!("table:{schema}.{table}"), "unpopulated".to_string());
            continue;
        }
        // Sum of the first 64 bits of each row's md5: independent of row order,
        // sensitive to any changed, missing or duplicated row.
        let sql = format!(
            "SELECT count(*)::text || ':' || coalesce(sum(('x' || left(md5(_pra_row_::text), 16))::bit(64)::bigint::numeric), 0)::text \
             FROM ONLY {}.{} AS _pra_row_",
            quote_ident(&schema),
            quote_ident(&table)
        );
        let digest: String = client.query_one(&sql, &[]).unwrap().get(0);
        entries.insert(format!("table:{schema}.{table}"), digest);
    }
    for row in client
        .query("SELECT schemaname::text, sequencename::text, coalesce(last_value::text, 'unset') FROM pg_sequences", &[])
        .unwrap()
    {
        let (s, n, v): (String, String, String) = (row.get(0), row.get(1), row.get(2));
        entries.insert(format!("sequence:{s}.{n}"), v);
    }
    for row in client
        .query(
            "SELECT oid::text, md5(lo_get(oid)) FROM pg_largeobject_metadata",
            &[],
        )
        .unwrap()
    {
        let (oid, md5): (String, String) = (row.get(0), row.get(1));
        entries.insert(format!("lo:{oid}"), md5);
    }
    DatabaseDigest { entries }
}

/// Owners and access privileges of every object in the user schemas of `db`.
pub fn object_owners(cluster: &PgCluster, db: &str) -> BTreeMap<String, String> {
    let mut client = cluster.connect(db);
    let sql = format!(
        "SELECT 'rel:' || n.nspname || '.' || c.relname || ':' || c.relkind::text, \
                pg_get_userbyid(c.relowner)::text || ' ' || coalesce(c.relacl::text, '') \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {USER_SCHEMAS} \
         UNION ALL \
         SELECT 'schema:' || n.nspname, pg_get_userbyid(n.nspowner)::text || ' ' || coalesce(n.nspacl::text, '') \
         FROM pg_namespace n WHERE {USER_SCHEMAS} \
         UNION ALL \
         SELECT 'func:' || n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', \
                pg_get_userbyid(p.proowner)::text || ' ' || coalesce(p.proacl::text, '') \
         FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE {USER_SCHEMAS} \
         UNION ALL \
         SELECT 'type:' || n.nspname || '.' || t.typname, pg_get_userbyid(t.typowner)::text \
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.typtype IN ('d', 'e') AND {USER_SCHEMAS}"
    );
    client
        .query(&sql, &[])
        .unwrap()
        .into_iter()
        .map(|r| (r.get::<_, String>(0), r.get::<_, String>(1)))
        .collect()
}
