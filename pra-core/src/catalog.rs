//! What a database holds, as the tools count it: the user tables and their exact
//! row counts, and the comparison of counts against a manifest.
//!
//! pra-backup counts in the dump's own snapshot; pra-verify and pra-restore count
//! after a restore and compare with [`compare_row_counts`].

use crate::manifest::TableRows;

/// The ordinary tables (partitions included, partitioned parents excluded) of the
/// user schemas, ordered by schema and name.
#[cfg(feature = "db")]
pub fn user_tables(
    client: &mut impl postgres::GenericClient,
) -> Result<Vec<(String, String)>, postgres::Error> {
    let rows = client.query(
        "SELECT n.nspname::text, c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
           AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%' \
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e') \
         ORDER BY 1, 2",
        &[],
    )?;
    Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// SQL identifier quoting (`"my ""table"""`).
pub fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// SQL literal quoting (`'it''s'`).
pub fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The exact row count of each table (`count(*)` on the table itself, not its children).
#[cfg(feature = "db")]
pub fn count_rows(
    client: &mut impl postgres::GenericClient,
    tables: &[(String, String)],
) -> Result<Vec<TableRows>, postgres::Error> {
    let mut out = Vec::with_capacity(tables.len());
    for (schema, table) in tables {
        let sql = format!(
            "SELECT count(*) FROM ONLY {}.{}",
            quote_ident(schema),
            quote_ident(table)
        );
        let n: i64 = client.query_one(&sql, &[])?.get(0);
        out.push(TableRows {
            schema: schema.clone(),
            table: table.clone(),
            rows: Some(n.max(0) as u64),
        });
    }
    Ok(out)
}

/// Differences between the row counts a manifest expects and those found, in plain
/// words, first the ones that matter most (missing tables, then count mismatches).
/// Tables the manifest did not count (`rows: None`) are only checked for presence.
pub fn compare_row_counts(expected: &[TableRows], found: &[TableRows]) -> Vec<String> {
    let mut problems = Vec::new();
    for e in expected {
        match found
            .iter()
            .find(|f| f.schema == e.schema && f.table == e.table)
        {
            None => problems.push(format!("table {} is missing", e.qualified())),
            Some(f) => {
                if let (Some(want), Some(got)) = (e.rows, f.rows) {
                    if want != got {
                        problems.push(format!(
                            "table {}: {got} rows found, {want} expected (manifest)",
                            e.qualified()
                        ));
                    }
                }
            }
        }
    }
    for f in found {
        if !expected
            .iter()
            .any(|e| e.schema == f.schema && e.table == f.table)
        {
            problems.push(format!("table {} is not in the manifest", f.qualified()));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(table: &str, rows: Option<u64>) -> TableRows {
        TableRows {
            schema: "public".into(),
            table: table.into(),
            rows,
        }
    }

    #[test]
    fn mismatches_in_plain_words() {
        let expected = [
            t("a", Some(3)),
            t("b", Some(5)),
            t("c", None),
            t("gone", Some(1)),
        ];
        let found = [
            t("a", Some(3)),
            t("b", Some(4)),
            t("c", Some(9)),
            t("new", Some(0)),
        ];
        assert_eq!(
            compare_row_counts(&expected, &found),
            vec![
                "table public.b: 4 rows found, 5 expected (manifest)".to_string(),
                "table public.gone is missing".to_string(),
                "table public.new is not in the manifest".to_string(),
            ]
        );
        assert!(compare_row_counts(&expected[..2], &found[..1]).len() == 1);
    }

    #[test]
    fn quoting() {
        assert_eq!(quote_ident("my \"t\""), "\"my \"\"t\"\"\"");
        assert_eq!(quote_literal("it's"), "'it''s'");
    }
}
