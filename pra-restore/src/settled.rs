//! Which tables `pg_restore -j` is done with, followed from its `--verbose` lines:
//! a table is settled once its data is loaded and every later item that touches
//! it has finished — its indexes, constraints and triggers, the foreign keys of
//! other tables that reference it, the comments on them. Only then can ANALYZE
//! (SHARE UPDATE EXCLUSIVE) run on it while pg_restore goes on without making
//! pg_restore wait: it conflicts with CREATE INDEX (SHARE) and ADD FOREIGN KEY
//! (SHARE ROW EXCLUSIVE, on both tables), and an expression index must exist before
//! ANALYZE for its statistics to be gathered.
//!
//! The tables an item touches are read from the dump's table of contents as
//! `pg_restore` itself reads them (`identify_locking_dependencies`): its
//! dependencies on `TABLE` and `TABLE DATA` entries, followed through the
//! post-data items it depends on (a foreign key depends on the referenced
//! table's primary key, an `INDEX ATTACH` on two indexes). An item of a kind not
//! listed here keeps the tables it leads to unsettled until pg_restore ends, and
//! all of them when it leads to none; so does an item on a table without data of
//! its own (a partitioned table: what it does cascades to partitions the table of
//! contents does not name). When unsure, ANALYZE waits for the end.

use pra_core::dumpscan::{Entry, Section};
use std::collections::{HashMap, HashSet};

/// Kinds that take no lock ANALYZE conflicts with on a user table, or that run in
/// pg_restore's last passes (ACLs): no table waits for them.
const IGNORED: &[&str] = &[
    "ACL",
    "ACL LANGUAGE",
    "DEFAULT ACL",
    "SEQUENCE SET",
    "BLOB",
    "BLOBS",
    "BLOB DATA",
    "LARGE OBJECT",
    "MATERIALIZED VIEW DATA",
    "EVENT TRIGGER",
    "PUBLICATION",
    "SUBSCRIPTION",
];

/// Kinds that touch the tables their dependencies lead to, and only those.
const KNOWN: &[&str] = &[
    "TABLE DATA",
    "INDEX",
    "INDEX ATTACH",
    "CONSTRAINT",
    "CHECK CONSTRAINT",
    "FK CONSTRAINT",
    "TRIGGER",
    "RULE",
    "POLICY",
    "ROW SECURITY",
    "STATISTICS",
    "PUBLICATION TABLE",
    "COMMENT",
    "SECURITY LABEL",
    "TABLE ATTACH",
    "DEFAULT",
];

/// One table with data in the dump, and what it still waits for.
#[derive(Debug, Clone)]
struct Table {
    schema: String,
    name: String,
    /// Items (its own `TABLE DATA` among them) not finished yet.
    pending: HashSet<i64>,
    /// An item of an unknown kind touches it: settled only when pg_restore ends.
    blocked: bool,
}

/// The tables of one dump and the items each waits for.
#[derive(Debug, Clone, Default)]
pub(crate) struct Settling {
    tables: Vec<Table>,
    /// The tables each pending item touches, by dump id.
    touches: HashMap<i64, Vec<usize>>,
}

impl Settling {
    /// Reads the table of contents of a dump.
    pub(crate) fn new(toc: &[Entry]) -> Settling {
        let by_id: HashMap<i64, &Entry> = toc.iter().map(|e| (e.dump_id, e)).collect();
        let mut tables = Vec::new();
        let mut index: HashMap<(&str, &str), usize> = HashMap::new();
        for e in toc.iter().filter(|e| e.desc == "TABLE DATA") {
            index.entry((&e.namespace, &e.tag)).or_insert_with(|| {
                tables.push(Table {
                    schema: e.namespace.clone(),
                    name: e.tag.clone(),
                    pending: HashSet::new(),
                    blocked: false,
                });
                tables.len() - 1
            });
        }
        let mut resolver = Resolver {
            by_id: &by_id,
            index: &index,
            memo: HashMap::new(),
        };
        // Tables without data: an item on one may touch tables it does not name.
        let dataless: HashSet<i64> = toc
            .iter()
            .filter(|e| e.desc == "TABLE" && !index.contains_key(&(&*e.namespace, &*e.tag)))
            .map(|e| e.dump_id)
            .collect();
        let mut touches = HashMap::new();
        let mut block_all = false;
        for e in toc.iter().filter(|e| e.section != Section::PreData) {
            if IGNORED.contains(&e.desc.as_str()) {
                continue;
            }
            let (touched, unclear) = if e.desc == "TABLE DATA" {
                let own = index.get(&(&*e.namespace, &*e.tag)).copied();
                (own.into_iter().collect(), false)
            } else {
                resolver.tables_of(e.dump_id, &dataless)
            };
            if unclear {
                log::debug!(
                    "item {} {} {} touches a table without data: none is analyzed during the load",
                    e.dump_id,
                    e.desc,
                    e.tag
                );
                block_all = true;
            } else if !KNOWN.contains(&e.desc.as_str()) {
                log::debug!(
                    "item {} {} {}: a kind ANALYZE during the load does not know",
                    e.dump_id,
                    e.desc,
                    e.tag
                );
                block_all |= touched.is_empty();
                for &t in &touched {
                    tables[t].blocked = true;
                }
            }
            for &t in &touched {
                tables[t].pending.insert(e.dump_id);
            }
            if !touched.is_empty() {
                touches.insert(e.dump_id, touched);
            }
        }
        if block_all {
            tables.iter_mut().for_each(|t| t.blocked = true);
        }
        Settling { tables, touches }
    }

    /// Item `id` finished (or was done before the parallel part began): the tables
    /// it leaves settled, each returned once.
    pub(crate) fn finished(&mut self, id: i64) -> Vec<(String, String)> {
        let Some(touched) = self.touches.remove(&id) else {
            return Vec::new();
        };
        let mut settled = Vec::new();
        for t in touched {
            let table = &mut self.tables[t];
            if table.pending.remove(&id) && table.pending.is_empty() && !table.blocked {
                settled.push((table.schema.clone(), table.name.clone()));
            }
        }
        settled
    }

    /// How many tables can settle before pg_restore ends.
    pub(crate) fn can_settle(&self) -> usize {
        self.tables.iter().filter(|t| !t.blocked).count()
    }

    /// True when no table can settle before pg_restore ends.
    pub(crate) fn is_empty(&self) -> bool {
        self.can_settle() == 0
    }
}

/// Follows dependencies to the tables they lead to.
struct Resolver<'a> {
    by_id: &'a HashMap<i64, &'a Entry>,
    index: &'a HashMap<(&'a str, &'a str), usize>,
    /// The tables of each item, and whether it touches a table without data.
    memo: HashMap<i64, (Vec<usize>, bool)>,
}

impl Resolver<'_> {
    /// The tables item `id` touches: the `TABLE`/`TABLE DATA` entries it depends on,
    /// and those of the post-data items it depends on; true when one of them is in
    /// `dataless`.
    fn tables_of(&mut self, id: i64, dataless: &HashSet<i64>) -> (Vec<usize>, bool) {
        if let Some(done) = self.memo.get(&id) {
            return done.clone();
        }
        // A cycle (not made by pg_dump) ends here instead of recursing forever.
        self.memo.insert(id, (Vec::new(), false));
        let (mut found, mut unclear) = (Vec::new(), false);
        let deps = self
            .by_id
            .get(&id)
            .map(|e| e.deps.clone())
            .unwrap_or_default();
        for dep in deps {
            let Some(d) = self.by_id.get(&dep) else {
                continue;
            };
            if d.desc == "TABLE" || d.desc == "TABLE DATA" {
                found.extend(self.index.get(&(&*d.namespace, &*d.tag)).copied());
                unclear |= dataless.contains(&dep);
            } else if d.section == Section::PostData {
                let (tables, u) = self.tables_of(dep, dataless);
                found.extend(tables);
                unclear |= u;
            }
        }
        found.sort_unstable();
        found.dedup();
        self.memo.insert(id, (found.clone(), unclear));
        (found, unclear)
    }
}

/// The dump id a `pg_restore -j --verbose` line says is done: `finished item`, or
/// `processing item` (done one at a time before the parallel part, which loads every
/// table's data), or `skipping item`. Not `processing missed item`: those run after
/// the parallel part, as pg_restore ends.
pub(crate) fn done_item(line: &str) -> Option<i64> {
    let rest = line.strip_prefix("pg_restore: ")?;
    let rest = ["finished item ", "processing item ", "skipping item "]
        .iter()
        .find_map(|p| rest.strip_prefix(p))?;
    rest.split(' ').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(dump_id: i64, desc: &str, section: Section, tag: &str, deps: &[i64]) -> Entry {
        Entry {
            dump_id,
            desc: desc.to_string(),
            section,
            namespace: "public".to_string(),
            tag: tag.to_string(),
            deps: deps.to_vec(),
        }
    }

    /// tenants <- leases (FK), an index and a comment on leases' primary key.
    fn toc() -> Vec<Entry> {
        use Section::*;
        vec![
            entry(1, "TABLE", PreData, "tenants", &[]),
            entry(2, "TABLE", PreData, "leases", &[]),
            entry(3, "COMMENT", None, "TABLE leases", &[2]),
            entry(10, "TABLE DATA", Data, "tenants", &[1]),
            entry(11, "TABLE DATA", Data, "leases", &[2]),
            entry(12, "SEQUENCE SET", Data, "leases_id_seq", &[]),
            entry(20, "CONSTRAINT", PostData, "tenants tenants_pkey", &[1]),
            entry(21, "CONSTRAINT", PostData, "leases leases_pkey", &[2]),
            entry(22, "INDEX", PostData, "leases_tenant_idx", &[2]),
            entry(
                23,
                "FK CONSTRAINT",
                PostData,
                "leases leases_tenant_fkey",
                &[2, 20],
            ),
            entry(24, "COMMENT", None, "CONSTRAINT leases_pkey", &[21]),
            entry(25, "ACL", None, "TABLE leases", &[2]),
        ]
    }

    fn run(s: &mut Settling, ids: &[i64]) -> Vec<String> {
        ids.iter()
            .flat_map(|&id| s.finished(id))
            .map(|(_, t)| t)
            .collect()
    }

    #[test]
    fn a_table_settles_after_its_last_item_and_the_foreign_keys_to_it() {
        let mut s = Settling::new(&toc());
        assert!(!s.is_empty());
        // The comment on leases is done before the parallel part; data, keys...
        assert_eq!(
            run(&mut s, &[3, 10, 11, 12, 20, 21, 22]),
            Vec::<String>::new()
        );
        // ...tenants waits for the foreign key that references it, as leases does.
        assert_eq!(run(&mut s, &[23]), ["tenants"]);
        // leases waits for the comment on its primary key; the ACL is ignored.
        assert_eq!(run(&mut s, &[24, 25, 24]), ["leases"]);
    }

    #[test]
    fn an_unknown_kind_keeps_its_tables_or_all_of_them_unsettled() {
        let mut toc = toc();
        toc.push(entry(30, "NEW THING", Section::PostData, "x", &[22]));
        let mut s = Settling::new(&toc);
        assert_eq!(
            run(&mut s, &[3, 10, 11, 12, 20, 21, 22, 23, 24, 30]),
            ["tenants"]
        );

        let mut toc = self::toc();
        toc.push(entry(30, "NEW THING", Section::PostData, "x", &[]));
        let mut s = Settling::new(&toc);
        assert!(s.is_empty());
        assert_eq!(
            run(&mut s, &[3, 10, 11, 12, 20, 21, 22, 23, 24, 30]),
            Vec::<String>::new()
        );
    }

    #[test]
    fn an_item_on_a_table_without_data_keeps_every_table_unsettled() {
        let mut toc = toc();
        toc.push(entry(4, "TABLE", Section::PreData, "parted", &[]));
        toc.push(entry(31, "INDEX", Section::PostData, "parted_idx", &[4]));
        let mut s = Settling::new(&toc);
        assert!(s.is_empty());
        assert_eq!(
            run(&mut s, &[3, 10, 11, 12, 20, 21, 22, 23, 24, 31]),
            Vec::<String>::new()
        );
        // A table without data that nothing touches changes nothing.
        let mut toc = self::toc();
        toc.push(entry(4, "TABLE", Section::PreData, "parted", &[]));
        assert!(!Settling::new(&toc).is_empty());
    }

    #[test]
    fn done_items_are_read_from_verbose_lines() {
        assert_eq!(
            done_item("pg_restore: finished item 3434 TABLE DATA documents"),
            Some(3434)
        );
        assert_eq!(
            done_item("pg_restore: processing item 215 COMMENT TABLE t"),
            Some(215)
        );
        assert_eq!(
            done_item("pg_restore: skipping item 7 TABLE DATA t"),
            Some(7)
        );
        for other in [
            "pg_restore: processing missed item 9 INDEX i",
            "pg_restore: launching item 3434 TABLE DATA documents",
            "pg_restore: finished main parallel loop",
            "pg_restore: finished item x TABLE DATA t",
        ] {
            assert_eq!(done_item(other), None, "{other}");
        }
    }
}
