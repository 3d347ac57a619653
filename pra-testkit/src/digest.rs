//! Content digests of a database, to prove that a restore gave back exactly what
//! was backed up: per table (and materialized view) the row count and an
//! order-independent hash of all rows; every sequence's value and options; every
//! large object's md5; and the structure a dump must carry besides rows: relation
//! kind, persistence, row-level security, partition bounds and parents, policies,
//! comments, extensions. [`object_owners`] lists owners and grants (relations,
//! columns, schemas, functions, types, large objects, default privileges) for the
//! ownership checks; [`database_settings`] the database-level state.

use crate::PgCluster;
use std::collections::BTreeMap;

/// Digest entries keyed by object (`table:public.film`, `sequence:…`, `lo:16401`,
/// `relation:…`, `policy:…`, `comment:…`, `extension:…`).
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

/// Queries of (key, value) pairs for what is not rows; `{USER_SCHEMAS}` is replaced.
const STRUCTURE: [&str; 7] = [
    // Sequences: value (unset before the first nextval) and every option.
    "SELECT 'sequence:' || schemaname || '.' || sequencename, \
            concat_ws(' ', 'last=' || coalesce(last_value::text, 'unset'), 'start=' || start_value, \
                      'inc=' || increment_by, 'min=' || min_value, 'max=' || max_value, \
                      'cache=' || cache_size, 'cycle=' || cycle) FROM pg_sequences",
    "SELECT 'lo:' || oid::text, md5(lo_get(oid)) FROM pg_largeobject_metadata",
    // Kind, persistence, row-level security (enabled, forced), partition bound, parents.
    "SELECT 'relation:' || n.nspname || '.' || c.relname, \
            concat_ws(' ', c.relkind, c.relpersistence, 'rls=' || c.relrowsecurity, \
                      'force=' || c.relforcerowsecurity, pg_get_expr(c.relpartbound, c.oid), \
                      'parents=' || (SELECT string_agg(pn.nspname || '.' || pc.relname, ',' ORDER BY i.inhseqno) \
                                     FROM pg_inherits i JOIN pg_class pc ON pc.oid = i.inhparent \
                                     JOIN pg_namespace pn ON pn.oid = pc.relnamespace \
                                     WHERE i.inhrelid = c.oid)) \
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
     WHERE c.relkind IN ('r', 'p', 'm', 'v', 'f') AND {USER_SCHEMAS}",
    "SELECT 'policy:' || schemaname || '.' || tablename || '.' || policyname, \
            concat_ws(' | ', permissive, roles::text, cmd, qual, with_check) FROM pg_policies",
    // Comments on every object that is not built in (pg_describe_object names it
    // the same on every server; large objects by their kept OID).
    "SELECT 'comment:' || pg_describe_object(classoid, objoid, objsubid), description \
     FROM pg_description WHERE objoid >= 16384",
    "SELECT 'extension:' || e.extname, e.extversion || ' in ' || n.nspname \
     FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace",
    "SELECT 'function:' || n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', \
            md5(pg_get_functiondef(p.oid)) \
     FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.prokind IN ('f', 'p') AND {USER_SCHEMAS}",
];

/// Computes the content digest of database `db`.
pub fn database_digest(cluster: &PgCluster, db: &str) -> DatabaseDigest {
    let mut client = connect_neutral(cluster, db);
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
    for sql in STRUCTURE {
        for row in client
            .query(&sql.replace("{USER_SCHEMAS}", USER_SCHEMAS), &[])
            .unwrap()
        {
            entries.insert(row.get(0), row.get(1));
        }
    }
    DatabaseDigest { entries }
}

/// A connection whose output does not depend on the database's own settings (which
/// a restore may not carry): names printed schema-qualified, times in UTC.
fn connect_neutral(cluster: &PgCluster, db: &str) -> postgres::Client {
    let mut client = cluster.connect(db);
    client
        .batch_execute(
            "SET search_path = pg_catalog; SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; \
             SET IntervalStyle = 'postgres'; SET extra_float_digits = 1; SET bytea_output = 'hex'",
        )
        .unwrap();
    client
}

/// Database-level state of `db`, which a plain `pg_dump` (without `--create`) does
/// not carry: owner, privileges, comment, `ALTER DATABASE … SET` and
/// `ALTER ROLE … IN DATABASE … SET` settings. Keyed `owner`, `acl`, `comment`,
/// `setting:<role or *>`.
pub fn database_settings(cluster: &PgCluster, db: &str) -> BTreeMap<String, String> {
    let mut client = connect_neutral(cluster, db);
    let sql = "SELECT 'owner', pg_get_userbyid(d.datdba)::text FROM pg_database d WHERE d.datname = $1 \
         UNION ALL SELECT 'acl', d.datacl::text FROM pg_database d WHERE d.datname = $1 AND d.datacl IS NOT NULL \
         UNION ALL SELECT 'comment', shobj_description(d.oid, 'pg_database') FROM pg_database d \
           WHERE d.datname = $1 AND shobj_description(d.oid, 'pg_database') IS NOT NULL \
         UNION ALL SELECT 'setting:' || CASE s.setrole WHEN 0 THEN '*' ELSE pg_get_userbyid(s.setrole)::text END, \
                s.setconfig::text \
         FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = $1";
    client
        .query(sql, &[&db])
        .unwrap()
        .into_iter()
        .map(|r| (r.get::<_, String>(0), r.get::<_, String>(1)))
        .collect()
}

/// Owners and access privileges of every object in the user schemas of `db`, of
/// every large object, and the default privileges.
pub fn object_owners(cluster: &PgCluster, db: &str) -> BTreeMap<String, String> {
    let mut client = connect_neutral(cluster, db);
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
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.typtype IN ('d', 'e') AND {USER_SCHEMAS} \
         UNION ALL \
         SELECT 'column:' || n.nspname || '.' || c.relname || '.' || a.attname, a.attacl::text \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE a.attacl IS NOT NULL AND {USER_SCHEMAS} \
         UNION ALL \
         SELECT 'lo:' || l.oid::text, pg_get_userbyid(l.lomowner)::text || ' ' || coalesce(l.lomacl::text, '') \
         FROM pg_largeobject_metadata l \
         UNION ALL \
         SELECT 'default-acl:' || pg_get_userbyid(d.defaclrole) || ':' || coalesce(n.nspname, '*') || ':' || d.defaclobjtype::text, \
                d.defaclacl::text \
         FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace"
    );
    client
        .query(&sql, &[])
        .unwrap()
        .into_iter()
        .map(|r| (r.get::<_, String>(0), r.get::<_, String>(1)))
        .collect()
}
