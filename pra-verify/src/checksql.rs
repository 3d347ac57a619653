//! `--check-sql FILE`: assertions run in the scratch database after a test restore.
//! Each statement must return true (one row, first column `true`); a statement that
//! returns false, NULL, no row or an error is a failed verification, named by its
//! number and text.

/// Splits SQL text into statements at top-level semicolons, keeping quoted strings,
/// quoted identifiers, dollar-quoted bodies and comments intact. Empty statements
/// (and comment-only ones) are dropped.
pub fn split_statements(sql: &str) -> Vec<String> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\'' | b'"' => {
                let q = b[i];
                i += 1;
                while i < b.len() {
                    if b[i] == q {
                        // A doubled quote is an escaped quote, not the end.
                        if i + 1 < b.len() && b[i + 1] == q {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == b'*' && b[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            b'$' => {
                // $tag$ … $tag$ (tag may be empty).
                let tag_end = b[i + 1..]
                    .iter()
                    .position(|&c| !(c.is_ascii_alphanumeric() || c == b'_'))
                    .map(|p| i + 1 + p);
                match tag_end {
                    Some(e) if b[e] == b'$' => {
                        let tag = &b[i..=e];
                        let body = e + 1;
                        match b[body..].windows(tag.len()).position(|w| w == tag) {
                            Some(p) => i = body + p + tag.len(),
                            None => i = b.len(),
                        }
                    }
                    _ => i += 1,
                }
            }
            b';' => {
                push_statement(&mut out, &sql[start..i]);
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    if start < sql.len() {
        push_statement(&mut out, &sql[start.min(sql.len())..]);
    }
    out
}

fn push_statement(out: &mut Vec<String>, text: &str) {
    let meaningful = text
        .lines()
        .map(|l| l.split("--").next().unwrap_or("").trim())
        .any(|l| !l.is_empty());
    if meaningful {
        out.push(text.trim().to_string());
    }
}

/// A short form of a statement for messages: its first line, at most 80 characters.
pub fn short(statement: &str) -> String {
    let line = statement
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("--"))
        .unwrap_or("");
    if line.chars().count() > 80 {
        format!("{}…", line.chars().take(80).collect::<String>())
    } else {
        line.to_string()
    }
}

/// Runs the assertions; returns how many held, or the first failure in plain words.
pub fn run_assertions(client: &mut postgres::Client, statements: &[String]) -> Result<u64, String> {
    for (n, stmt) in statements.iter().enumerate() {
        let label = format!("check-sql assertion {} ({})", n + 1, short(stmt));
        let messages = client
            .simple_query(stmt)
            .map_err(|e| format!("{label} failed: {}", pra_core::conn::describe_pg_error(&e)))?;
        let first = messages.iter().find_map(|m| match m {
            postgres::SimpleQueryMessage::Row(r) => Some(r.get(0).map(str::to_string)),
            _ => None,
        });
        match first {
            Some(Some(v)) if v == "t" => {}
            Some(Some(v)) => return Err(format!("{label} returned {v}, not true")),
            Some(None) => return Err(format!("{label} returned NULL, not true")),
            None => return Err(format!("{label} returned no row")),
        }
    }
    Ok(statements.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_top_level_semicolons_only() {
        let sql = "-- header; comment\nSELECT ';' = ';';\n\
                   SELECT \"a;b\" IS NULL FROM t;/* x; y */\n\
                   SELECT $$;$$ <> '';  SELECT $f$ ; $f$ = ' ; '\n;\n  \n-- trailing;\n";
        let s = split_statements(sql);
        assert_eq!(s.len(), 4, "{s:?}");
        assert!(s[0].ends_with("SELECT ';' = ';'"), "{s:?}");
        assert_eq!(s[1], "SELECT \"a;b\" IS NULL FROM t");
        assert_eq!(s[3], "SELECT $f$ ; $f$ = ' ; '");
        assert_eq!(split_statements("select 1").len(), 1);
        assert_eq!(split_statements("SELECT 'it''s;' <> '';").len(), 1);
        assert_eq!(short("-- c\nSELECT 1\nFROM t"), "SELECT 1");
    }
}
