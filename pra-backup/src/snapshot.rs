//! The snapshot transaction: `REPEATABLE READ`, `pg_export_snapshot()`, and what the
//! manifest records about the database, read in that same snapshot so that it
//! describes exactly what `pg_dump --snapshot` writes.

use crate::cli::CountRows;
use crate::Error;
use postgres::{GenericClient, Transaction};
use pra_core::catalog::user_tables;
use pra_core::conn::describe_pg_error;
use pra_core::manifest::TableRows;

/// What the snapshot says about the server and the database.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotInfo {
    /// The exported snapshot id, for `pg_dump --snapshot`.
    pub snapshot_id: String,
    /// `server_version`, e.g. `15.18`.
    pub server_version: String,
    /// `server_version_num`, e.g. 150018.
    pub server_version_num: u32,
    /// `pg_control_system().system_identifier` (empty when the role may not read it).
    pub system_identifier: String,
    /// The database.
    pub database: String,
    /// `pg_database_size`.
    pub database_size_bytes: u64,
    /// WAL position when the snapshot was taken.
    pub wal_lsn: Option<String>,
    /// Timeline of the last checkpoint.
    pub timeline: Option<u32>,
    /// True when the role is a superuser (globals can include password hashes).
    pub superuser: bool,
    /// The user tables; `rows` is filled from the dump (`None` for tables not counted).
    pub tables: Vec<TableRows>,
    /// The tables to count (all, or the critical ones).
    pub to_count: Vec<(String, String)>,
    /// `--critical-table` names that matched no table.
    pub missing_critical: Vec<String>,
    /// Owner, comment, privileges and settings of the database (not in the dump).
    pub database_state: Option<pra_core::dbstate::DatabaseState>,
}

fn query_err(target: &str) -> impl Fn(postgres::Error) -> Error + '_ {
    move |e| Error::Query {
        target: target.to_string(),
        reason: describe_pg_error(&e),
    }
}

/// Reads an optional value in a savepoint, so that a function the role may not
/// execute (`pg_control_system()` for non-superusers on some versions) does not
/// abort the snapshot transaction.
fn optional_text(tx: &mut Transaction<'_>, sql: &str) -> Option<String> {
    let mut sp = tx.savepoint("pra_optional").ok()?;
    let value = sp
        .query_one(sql, &[])
        .ok()
        .and_then(|r| r.try_get::<_, Option<String>>(0).ok().flatten());
    if value.is_some() {
        sp.commit().ok()?;
    } else {
        sp.rollback().ok()?;
    }
    value
}

/// True when `spec` (`schema.table` or `table`) names the table.
fn matches_table(spec: &str, schema: &str, table: &str) -> bool {
    match spec.split_once('.') {
        Some((s, t)) => s == schema && t == table,
        None => spec == table,
    }
}

/// Exports the snapshot of `tx` (which must be `REPEATABLE READ`) and reads the
/// manifest's facts in it. `target` names the server in errors.
pub fn read_snapshot(
    tx: &mut Transaction<'_>,
    target: &str,
    count: CountRows,
    critical: &[String],
) -> Result<SnapshotInfo, Error> {
    let err = query_err(target);
    let snapshot_id: String = tx
        .query_one("SELECT pg_export_snapshot()", &[])
        .map_err(&err)?
        .get(0);
    let row = tx
        .query_one(
            "SELECT current_setting('server_version'), current_setting('server_version_num')::int, \
             current_database()::text, pg_database_size(current_database()), \
             COALESCE((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false)",
            &[],
        )
        .map_err(&err)?;
    let server_version: String = row.get(0);
    let server_version_num: i32 = row.get(1);
    let database: String = row.get(2);
    let database_size: i64 = row.get(3);
    let superuser: bool = row.get(4);
    let system_identifier = optional_text(
        tx,
        "SELECT system_identifier::text FROM pg_control_system()",
    )
    .unwrap_or_default();
    let wal_lsn = optional_text(
        tx,
        "SELECT (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() \
         ELSE pg_current_wal_lsn() END)::text",
    );
    let timeline = optional_text(tx, "SELECT timeline_id::text FROM pg_control_checkpoint()")
        .and_then(|t| t.parse().ok());

    let all = user_tables(tx).map_err(&err)?;
    let to_count: Vec<(String, String)> = all
        .iter()
        .filter(|(s, t)| count == CountRows::All || critical.iter().any(|c| matches_table(c, s, t)))
        .cloned()
        .collect();
    let tables = all
        .iter()
        .map(|(s, t)| TableRows {
            schema: s.clone(),
            table: t.clone(),
            rows: None,
        })
        .collect();
    let missing_critical = critical
        .iter()
        .filter(|c| !all.iter().any(|(s, t)| matches_table(c, s, t)))
        .cloned()
        .collect();
    // In a savepoint: a catalog this role may not read costs the state, not the backup.
    let database_state = match tx.savepoint("pra_dbstate") {
        Ok(mut sp) => match pra_core::dbstate::read_database_state(&mut sp, &database) {
            Ok(state) => {
                let _ = sp.commit();
                state
            }
            Err(e) => {
                log::warn!(
                    "database-level state of {database} not recorded: {}",
                    describe_pg_error(&e)
                );
                let _ = sp.rollback();
                None
            }
        },
        Err(_) => None,
    };
    Ok(SnapshotInfo {
        database_state,
        snapshot_id,
        server_version,
        server_version_num: u32::try_from(server_version_num).unwrap_or(0),
        system_identifier,
        database,
        database_size_bytes: u64::try_from(database_size).unwrap_or(0),
        wal_lsn,
        timeline,
        superuser,
        tables,
        to_count,
        missing_critical,
    })
}

/// The connectable non-template databases of the server (for `--all-databases`).
pub fn list_databases(client: &mut impl GenericClient, target: &str) -> Result<Vec<String>, Error> {
    let rows = client
        .query(
            "SELECT datname::text FROM pg_database WHERE datallowconn AND NOT datistemplate \
             AND has_database_privilege(datname, 'CONNECT') ORDER BY 1",
            &[],
        )
        .map_err(query_err(target))?;
    Ok(rows.into_iter().map(|r| r.get(0)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn critical_table_names() {
        assert!(matches_table("public.t", "public", "t"));
        assert!(matches_table("t", "rental", "t"));
        assert!(!matches_table("other.t", "public", "t"));
    }
}
