//! Database-level state: what `pg_dump` without `--create` leaves out of a dump (the
//! database's owner, comment, privileges, `ALTER DATABASE … SET` and `ALTER ROLE …
//! IN DATABASE … SET` settings). pra-backup reads it in the dump's transaction into
//! the manifest; pra-restore turns it back into statements on the target name.

use crate::catalog::{quote_ident, quote_literal};
use serde::{Deserialize, Serialize};

/// The database-level state of one database, as the manifest records it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DatabaseState {
    /// The database's owner.
    pub owner: String,
    /// `COMMENT ON DATABASE`, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The privileges in `datacl` order; `None` is the default (never granted or revoked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privileges: Option<Vec<DatabaseGrant>>,
    /// The settings, in the order PostgreSQL keeps them.
    #[serde(default)]
    pub settings: Vec<DatabaseSetting>,
}

/// The privileges one grantee holds on the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseGrant {
    /// The role; `None` is PUBLIC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grantee: Option<String>,
    /// Privileges without grant option (`CONNECT`, `CREATE`, `TEMPORARY`).
    #[serde(default)]
    pub privileges: Vec<String>,
    /// Privileges with grant option.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grantable: Vec<String>,
}

/// One `ALTER DATABASE … SET` (no role) or `ALTER ROLE … IN DATABASE … SET` setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseSetting {
    /// The role it applies to; `None` for every role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// The parameter, e.g. `work_mem`.
    pub name: String,
    /// Its value as PostgreSQL stores it, e.g. `7MB`, `"$user", public`.
    pub value: String,
}

/// One statement that re-applies part of the state, with what it is for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateStatement {
    /// E.g. `owner pra_fid_owner`, `setting work_mem`, `setting statement_timeout for pra_fid_reader`.
    pub what: String,
    /// The SQL.
    pub sql: String,
    /// Roles that must exist for it to apply.
    pub roles: Vec<String>,
}

/// Reads the state of database `db` (any session of the server sees it).
#[cfg(feature = "db")]
pub fn read_database_state(
    client: &mut impl postgres::GenericClient,
    db: &str,
) -> Result<Option<DatabaseState>, postgres::Error> {
    let Some(row) = client.query_opt(
        "SELECT pg_get_userbyid(d.datdba)::text, shobj_description(d.oid, 'pg_database'), \
                d.datacl IS NOT NULL FROM pg_database d WHERE d.datname = $1",
        &[&db],
    )?
    else {
        return Ok(None);
    };
    let mut state = DatabaseState {
        owner: row.get(0),
        comment: row.get(1),
        ..Default::default()
    };
    if row.get::<_, bool>(2) {
        let mut grants: Vec<DatabaseGrant> = Vec::new();
        for r in client.query(
            "SELECT CASE WHEN a.grantee = 0 THEN NULL ELSE pg_get_userbyid(a.grantee)::text END, \
                    a.privilege_type, a.is_grantable \
             FROM pg_database d, aclexplode(d.datacl) WITH ORDINALITY a WHERE d.datname = $1 \
             ORDER BY a.ordinality",
            &[&db],
        )? {
            let grantee: Option<String> = r.get(0);
            let grant = match grants.last_mut() {
                Some(g) if g.grantee == grantee => g,
                _ => {
                    grants.push(DatabaseGrant {
                        grantee,
                        privileges: Vec::new(),
                        grantable: Vec::new(),
                    });
                    let last = grants.len() - 1;
                    &mut grants[last]
                }
            };
            if r.get::<_, bool>(2) {
                grant.grantable.push(r.get(1));
            } else {
                grant.privileges.push(r.get(1));
            }
        }
        state.privileges = Some(grants);
    }
    for r in client.query(
        "SELECT CASE WHEN s.setrole = 0 THEN NULL ELSE pg_get_userbyid(s.setrole)::text END, c.item \
         FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase, \
              unnest(s.setconfig) WITH ORDINALITY c(item, n) \
         WHERE d.datname = $1 ORDER BY s.setrole, c.n",
        &[&db],
    )? {
        let item: String = r.get(1);
        if let Some((name, value)) = item.split_once('=') {
            state.settings.push(DatabaseSetting {
                role: r.get(0),
                name: name.to_string(),
                value: value.to_string(),
            });
        }
    }
    Ok(Some(state))
}

/// Parameters whose value is a list of names, quoted element by element (as pg_dump's
/// `variable_is_guc_list_quote`): `search_path = '$user', 'public'`, not one string.
const LIST_PARAMETERS: [&str; 6] = [
    "local_preload_libraries",
    "search_path",
    "session_preload_libraries",
    "shared_preload_libraries",
    "temp_tablespaces",
    "unix_socket_directories",
];

/// The value of a setting as SQL after `SET name TO`.
fn setting_value_sql(name: &str, value: &str) -> String {
    if !LIST_PARAMETERS.contains(&name.to_ascii_lowercase().as_str()) {
        return quote_literal(value);
    }
    split_name_list(value)
        .iter()
        .map(|v| quote_literal(v))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Splits a stored list value (`"$user", public`) into its names, double quotes removed.
fn split_name_list(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur).trim().to_string()),
            c => cur.push(c),
        }
    }
    let last = cur.trim().to_string();
    if !last.is_empty() || !out.is_empty() {
        out.push(last);
    }
    out
}

fn grantee_sql(g: &Option<String>) -> String {
    g.as_deref().map_or("PUBLIC".to_string(), quote_ident)
}

impl DatabaseState {
    /// The statements that give database `target` this state, in order: owner first
    /// (privileges are relative to it), then comment, privileges and settings.
    pub fn statements(&self, target: &str) -> Vec<StateStatement> {
        let db = quote_ident(target);
        let mut out = vec![StateStatement {
            what: format!("owner {}", self.owner),
            sql: format!("ALTER DATABASE {db} OWNER TO {}", quote_ident(&self.owner)),
            roles: vec![self.owner.clone()],
        }];
        // Always: no comment in the backup clears whatever the target carries.
        out.push(StateStatement {
            what: "comment".into(),
            sql: format!(
                "COMMENT ON DATABASE {db} IS {}",
                self.comment.as_deref().map_or("NULL".into(), quote_literal)
            ),
            roles: vec![],
        });
        if let Some(grants) = &self.privileges {
            // From nothing, then each grant in the recorded order: the same ACL.
            let mut sql = vec![
                format!("REVOKE ALL ON DATABASE {db} FROM PUBLIC"),
                format!(
                    "REVOKE ALL ON DATABASE {db} FROM {}",
                    quote_ident(&self.owner)
                ),
            ];
            let mut roles = vec![self.owner.clone()];
            for g in grants {
                let to = grantee_sql(&g.grantee);
                if !g.privileges.is_empty() {
                    sql.push(format!(
                        "GRANT {} ON DATABASE {db} TO {to}",
                        g.privileges.join(", ")
                    ));
                }
                if !g.grantable.is_empty() {
                    sql.push(format!(
                        "GRANT {} ON DATABASE {db} TO {to} WITH GRANT OPTION",
                        g.grantable.join(", ")
                    ));
                }
                roles.extend(g.grantee.clone());
            }
            out.push(StateStatement {
                what: "privileges".into(),
                sql: sql.join(";\n"),
                roles,
            });
        }
        for s in &self.settings {
            let set = format!(
                "SET {} TO {}",
                quote_ident(&s.name),
                setting_value_sql(&s.name, &s.value)
            );
            out.push(match &s.role {
                None => StateStatement {
                    what: format!("setting {}", s.name),
                    sql: format!("ALTER DATABASE {db} {set}"),
                    roles: vec![],
                },
                Some(r) => StateStatement {
                    what: format!("setting {} for {r}", s.name),
                    sql: format!("ALTER ROLE {} IN DATABASE {db} {set}", quote_ident(r)),
                    roles: vec![r.clone()],
                },
            });
        }
        out
    }

    /// Every role the state names (for `--globals` to create).
    pub fn roles(&self) -> Vec<String> {
        let mut r: Vec<String> = self
            .statements("x")
            .into_iter()
            .flat_map(|s| s.roles)
            .collect();
        r.sort();
        r.dedup();
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_parameters_are_quoted_per_name_and_others_as_one_literal() {
        assert_eq!(
            setting_value_sql("search_path", "\"$user\", public, \"a,\"\"b\""),
            "'$user', 'public', 'a,\"b'"
        );
        assert_eq!(setting_value_sql("work_mem", "7MB"), "'7MB'");
        assert_eq!(setting_value_sql("application_name", "it's"), "'it''s'");
        assert!(split_name_list("").is_empty());
    }

    #[test]
    fn statements_set_owner_first_then_the_rest_on_the_target_name() {
        let state = DatabaseState {
            owner: "app owner".into(),
            comment: Some("the app's".into()),
            privileges: Some(vec![
                DatabaseGrant {
                    grantee: None,
                    privileges: vec!["TEMPORARY".into(), "CONNECT".into()],
                    grantable: vec![],
                },
                DatabaseGrant {
                    grantee: Some("reader".into()),
                    privileges: vec![],
                    grantable: vec!["CONNECT".into()],
                },
            ]),
            settings: vec![
                DatabaseSetting {
                    role: None,
                    name: "work_mem".into(),
                    value: "7MB".into(),
                },
                DatabaseSetting {
                    role: Some("reader".into()),
                    name: "statement_timeout".into(),
                    value: "5s".into(),
                },
            ],
        };
        let s = state.statements("new");
        let what: Vec<&str> = s.iter().map(|s| s.what.as_str()).collect();
        assert_eq!(
            what,
            [
                "owner app owner",
                "comment",
                "privileges",
                "setting work_mem",
                "setting statement_timeout for reader"
            ]
        );
        assert_eq!(s[0].sql, "ALTER DATABASE \"new\" OWNER TO \"app owner\"");
        assert_eq!(s[1].sql, "COMMENT ON DATABASE \"new\" IS 'the app''s'");
        assert!(s[2]
            .sql
            .ends_with("GRANT CONNECT ON DATABASE \"new\" TO \"reader\" WITH GRANT OPTION"));
        assert!(s[2]
            .sql
            .contains("GRANT TEMPORARY, CONNECT ON DATABASE \"new\" TO PUBLIC"));
        assert_eq!(
            s[4].sql,
            "ALTER ROLE \"reader\" IN DATABASE \"new\" SET \"statement_timeout\" TO '5s'"
        );
        assert_eq!(state.roles(), ["app owner", "reader"]);
        let json = serde_json::to_string(&state).unwrap();
        assert_eq!(serde_json::from_str::<DatabaseState>(&json).unwrap(), state);
    }
}
