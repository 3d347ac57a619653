//! Where `pra-restore --physical` puts each tablespace of a backup: its recorded
//! location (as PostgreSQL and pgBackRest do), or the directory `--tablespace-map
//! OID=DIR` gives, for a copy on a host where that location is taken (a drill beside
//! the source). The `tablespace_map` written for PostgreSQL, which links
//! `pg_tblspc/<oid>` to the directory at startup, says the same.

use crate::Error;
use pra_core::physical::PhysicalSection;
use std::path::{Path, PathBuf};

/// One tablespace of the backup and the directory it is restored into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// The tablespace's oid.
    pub oid: u32,
    /// Where it is restored.
    pub dir: PathBuf,
    /// True when `--tablespace-map` moved it from its recorded location.
    pub moved: bool,
}

/// Parses one `--tablespace-map OID=DIR` (an absolute directory: PostgreSQL links to it).
pub fn parse_tablespace_map(s: &str) -> Result<(u32, PathBuf), String> {
    let (oid, dir) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?}: expected OID=DIR, e.g. 16384=/srv/pg/space"))?;
    let oid = oid
        .trim()
        .parse::<u32>()
        .map_err(|_| format!("{oid:?} is not a tablespace oid (a number, e.g. 16384)"))?;
    let dir = PathBuf::from(dir);
    if !dir.is_absolute() {
        return Err(format!("{}: the directory must be absolute", dir.display()));
    }
    Ok((oid, dir))
}

/// The placement of every tablespace of `section`; an oid of `map` that the backup
/// does not have is refused, naming those it has.
pub fn placements(
    section: &PhysicalSection,
    map: &[(u32, PathBuf)],
) -> Result<Vec<Placement>, Error> {
    for (oid, _) in map {
        if !section.tablespaces.iter().any(|t| t.oid == *oid) {
            return Err(Error::Usage(format!(
                "--tablespace-map {oid}: the backup has no tablespace {oid} (it has {})",
                listed(section)
            )));
        }
    }
    Ok(section
        .tablespaces
        .iter()
        .map(|t| match map.iter().rev().find(|(oid, _)| *oid == t.oid) {
            Some((_, dir)) => Placement {
                oid: t.oid,
                dir: dir.clone(),
                moved: true,
            },
            None => Placement {
                oid: t.oid,
                dir: PathBuf::from(&t.location),
                moved: false,
            },
        })
        .collect())
}

fn listed(section: &PhysicalSection) -> String {
    if section.tablespaces.is_empty() {
        return "none".to_string();
    }
    let each: Vec<String> = section
        .tablespaces
        .iter()
        .map(|t| format!("{} at {}", t.oid, t.location))
        .collect();
    each.join(", ")
}

/// Where a file of the backup goes: under its tablespace's directory, or `pgdata`.
pub fn destination(placements: &[Placement], pgdata: &Path, path: &str) -> PathBuf {
    for p in placements {
        if let Some(rest) = path.strip_prefix(&format!("pg_tblspc/{}/", p.oid)) {
            return p.dir.join(rest);
        }
    }
    pgdata.join(path)
}

/// The message for a tablespace directory that is not empty: most often the running
/// source's own tablespace, which --force would empty.
pub fn taken(p: &Placement) -> Error {
    Error::Usage(format!(
        "tablespace {oid}: {dir} is not empty{source}: restore it elsewhere with \
         --tablespace-map {oid}=DIR, or stop the server using it and pass --force to empty it",
        oid = p.oid,
        dir = p.dir.display(),
        source = if p.moved {
            ""
        } else {
            " (its recorded location: the source cluster's, if it runs on this host)"
        },
    ))
}

/// `tablespace_map` for the placements: `<oid> <dir>` lines, with PostgreSQL's
/// escaping of newline, carriage return and backslash in the path.
pub fn tablespace_map(placements: &[Placement]) -> String {
    let mut out = String::new();
    for p in placements {
        out.push_str(&format!("{} ", p.oid));
        for c in p.dir.to_string_lossy().chars() {
            if matches!(c, '\n' | '\r' | '\\') {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pra_core::physical::Tablespace;

    fn section() -> PhysicalSection {
        PhysicalSection {
            tablespaces: vec![
                Tablespace {
                    oid: 16384,
                    location: "/srv/a".into(),
                },
                Tablespace {
                    oid: 16390,
                    location: "/srv/b".into(),
                },
            ],
            ..PhysicalSection::default()
        }
    }

    #[test]
    fn a_map_moves_only_the_tablespaces_it_names() {
        let map = vec![parse_tablespace_map("16390=/new/b").unwrap()];
        let p = placements(&section(), &map).unwrap();
        assert_eq!(p[0].dir, PathBuf::from("/srv/a"));
        assert!(!p[0].moved);
        assert_eq!(p[1].dir, PathBuf::from("/new/b"));
        assert_eq!(tablespace_map(&p), "16384 /srv/a\n16390 /new/b\n");
        let pgdata = Path::new("/pg");
        assert_eq!(
            destination(&p, pgdata, "pg_tblspc/16390/PG_15_1/5/1"),
            PathBuf::from("/new/b/PG_15_1/5/1")
        );
        assert_eq!(
            destination(&p, pgdata, "base/5/1"),
            PathBuf::from("/pg/base/5/1")
        );
    }

    #[test]
    fn bad_maps_are_refused() {
        assert!(parse_tablespace_map("16384").is_err());
        assert!(parse_tablespace_map("x=/a").is_err());
        assert!(parse_tablespace_map("16384=rel/dir").is_err());
        let map = vec![(1, PathBuf::from("/x"))];
        let err = placements(&section(), &map).unwrap_err().to_string();
        assert!(err.contains("16384 at /srv/a, 16390 at /srv/b"), "{err}");
    }

    #[test]
    fn paths_are_escaped_as_postgres_does() {
        let p = vec![Placement {
            oid: 1,
            dir: PathBuf::from("/a\\b\nc"),
            moved: true,
        }];
        assert_eq!(tablespace_map(&p), "1 /a\\\\b\\\nc\n");
    }
}
