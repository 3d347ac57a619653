//! The scanner and writer on real dumps (written to a pipe and to a file) and on junk.

use super::toc::Section;
use super::*;
use pra_testkit::{load_sample, PgCluster};
use std::fs::File;
use std::process::Command;

fn pg_dump(c: &PgCluster, db: &str, to: Option<&std::path::Path>) -> Vec<u8> {
    let mut cmd = Command::new(c.bindir().join("pg_dump"));
    cmd.envs(c.env()).args(["-Fc", "-Z0", "-d", db]);
    if let Some(p) = to {
        cmd.arg("-f").arg(p);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Feeds `dump` in pieces of the given sizes, in turn (fields split across
/// writes); returns what came through with the offsets written in, and the events.
fn scan(dump: &[u8], pieces: &[usize]) -> (Vec<u8>, Vec<ScanEvent>, Option<String>) {
    let mut s = OffsetScanner::new(Vec::new());
    let mut events = Vec::new();
    let mut rest = dump;
    for &n in pieces.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (a, b) = rest.split_at(n.min(rest.len()));
        s.write_all(a).unwrap();
        events.extend(s.take_events());
        rest = b;
    }
    let gave_up = s.gave_up().map(str::to_string);
    let mut out = s.get_mut().clone();
    for e in &events {
        if let ScanEvent::Block {
            field: Some((at, bytes)),
            ..
        } = e
        {
            let at = *at as usize;
            out[at..at + bytes.len()].copy_from_slice(bytes);
        }
    }
    (out, events, gave_up)
}

/// A dump written to a pipe, once patched, is the dump pg_dump writes to a file
/// (but for the creation time in the header), and pg_restore -j 2 restores it.
#[test]
fn patched_pipe_dump_equals_a_seekable_dump() {
    let c = PgCluster::start();
    load_sample(&c, "src", 1);
    // A large object: its block has a layout of its own.
    c.psql("src", "select lo_from_bytea(0, 'large object bytes')");
    let dir = tempfile::tempdir().unwrap();
    let seekable = dir.path().join("seek.pgc");
    pg_dump(&c, "src", Some(&seekable));
    let piped = pg_dump(&c, "src", None);
    let expected = std::fs::read(&seekable).unwrap();
    assert_eq!(piped.len(), expected.len());

    for pieces in [&[1usize, 2, 3, 5, 7][..], &[4096], &[1 << 20]] {
        let (patched, events, gave_up) = scan(&piped, pieces);
        assert_eq!(gave_up, None);
        let Some(ScanEvent::Toc(entries)) = events.first() else {
            panic!("the table of contents comes first: {events:?}");
        };
        let blocks: Vec<i64> = events
            .iter()
            .filter_map(|e| match e {
                ScanEvent::Block { dump_id, .. } => Some(*dump_id),
                ScanEvent::Toc(_) => None,
            })
            .collect();
        let data: Vec<&Entry> = entries
            .iter()
            .filter(|e| e.desc == "TABLE DATA" || e.desc == "BLOBS")
            .collect();
        assert!(data.len() >= 5, "{entries:?}");
        assert!(data.iter().all(|e| e.section == Section::Data));
        // Dependencies are read: each table's data depends on the table's entry.
        for d in data.iter().filter(|e| e.desc == "TABLE DATA") {
            let table = entries
                .iter()
                .find(|e| e.desc == "TABLE" && e.namespace == d.namespace && e.tag == d.tag)
                .unwrap_or_else(|| panic!("no TABLE entry for {d:?}"));
            assert!(d.deps.contains(&table.dump_id), "{d:?} {table:?}");
        }
        // Each table's data entry names it: pra-restore counts its rows by that name.
        let tables: Vec<(&str, &str)> = data
            .iter()
            .filter(|e| e.desc == "TABLE DATA")
            .map(|e| (e.namespace.as_str(), e.tag.as_str()))
            .collect();
        let listed = c.psql(
            "src",
            "select string_agg(n, ',' order by n collate \"C\") from (select schemaname || '.' || relname as n from pg_stat_user_tables) t",
        );
        let mut names: Vec<String> = tables.iter().map(|(s, t)| format!("{s}.{t}")).collect();
        names.sort();
        assert_eq!(names.join(","), listed.trim(), "{entries:?}");
        let mut want: Vec<i64> = data.iter().map(|e| e.dump_id).collect();
        let mut got = blocks.clone();
        want.sort_unstable();
        got.sort_unstable();
        assert_eq!(got, want, "one block per data entry");
        let differing: Vec<usize> = (0..patched.len())
            .filter(|&i| patched[i] != expected[i])
            .collect();
        assert!(
            differing.iter().all(|&i| i < 64),
            "bytes differ past the header's creation time: {:?}",
            &differing[..differing.len().min(20)]
        );
        assert!(
            (0..piped.len()).any(|i| piped[i] != patched[i]),
            "the piped dump had no offsets to patch"
        );
        // The writer pra-restore uses does the same in a real file.
        let path = dir.path().join("patched.pgc");
        let mut w = OffsetWriter::new(File::create(&path).unwrap()).unwrap();
        let mut rest = &piped[..];
        for &n in pieces.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (a, b) = rest.split_at(n.min(rest.len()));
            w.write_all(a).unwrap();
            rest = b;
        }
        assert_eq!(w.finish().unwrap(), Ok(blocks.len()));
        assert!(std::fs::read(&path).unwrap() == patched);
    }

    let path = dir.path().join("patched.pgc");
    c.create_db("dst");
    let out = Command::new(c.bindir().join("pg_restore"))
        .envs(c.env())
        .args(["-j", "2", "--exit-on-error", "-d", "dst"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        pra_testkit::database_digest(&c, "src").diff(&pra_testkit::database_digest(&c, "dst")),
        Vec::<String>::new()
    );
}

#[test]
fn anything_not_understood_leaves_the_file_alone() {
    let (out, events, why) = scan(b"not a dump at all", &[3]);
    assert!(why.unwrap().contains("not a custom-format dump"));
    assert!(out == b"not a dump at all" && events.is_empty());
    let (_, events, why) = scan(b"PGDMP\x01\x0e", &[3]);
    assert!(
        why.is_none() && events.is_empty(),
        "still waiting for the rest"
    );
    let (_, _, why) = scan(b"PGDMP\x01\x63\x00\x04\x08\x01", &[64]);
    assert!(why.unwrap().contains("archive version 1.99"));
}

/// The rows counted from the stream are `count(*) FROM ONLY` of every table, whatever
/// the values hold (newlines, backslashes, bytea, nulls) and however the stream is cut.
#[test]
fn rows_counted_from_the_stream_equal_count_only() {
    let c = PgCluster::start();
    load_sample(&c, "src", 1);
    c.psql(
        "src",
        "create table odd (id int, t text, b bytea);
         insert into odd select i, case i % 4 when 0 then E'two\\nlines' when 1 then E'back\\\\slash\\r\\n'
                when 2 then null else E'tab\\there' end, decode(repeat('0a', i % 7), 'hex')
           from generate_series(1, 1000) i;
         create table empty_one (id int);
         create table edge (t text);
         insert into edge values ('a\\.'), (''), ('');
         create table parent (id int);
         create table child () inherits (parent);
         insert into parent select generate_series(1, 7);
         insert into child select generate_series(1, 11);
         create table part (id int) partition by range (id);
         create table part_low partition of part for values from (0) to (100);
         create table part_high partition of part for values from (100) to (1000);
         insert into part select generate_series(0, 300);
         create schema \"Odd Schema\";
         create table \"Odd Schema\".\"Mixed Case\" as select generate_series(1, 3) id;",
    );
    let dump = pg_dump(&c, "src", None);
    let mut client = c.connect("src");
    let tables = crate::catalog::user_tables(&mut client).unwrap();
    let expected: HashMap<(String, String), u64> = crate::catalog::count_rows(&mut client, &tables)
        .unwrap()
        .into_iter()
        .map(|t| ((t.schema, t.table), t.rows.unwrap()))
        .collect();
    assert!(expected[&("public".into(), "odd".into())] == 1000);
    assert!(expected[&("public".into(), "parent".into())] == 7);
    // Its last lines are `a\\.`, then two empty ones: the end marker's shape, but
    // not its chunk.
    assert!(expected[&("public".into(), "edge".into())] == 3);
    for piece in [1usize, 7, 4096, 1 << 20] {
        let mut counter = RowCounter::new();
        for chunk in dump.chunks(piece) {
            counter.feed(chunk);
        }
        let counted = counter.finish().unwrap();
        // Every user table has its data block; the partitioned parent has none.
        assert_eq!(counted, expected, "pieces of {piece} bytes");
    }
    let mut cut = RowCounter::new();
    cut.feed(&dump[..dump.len() - 3]);
    assert!(cut.finish().unwrap_err().contains("ended inside"));
    let mut junk = RowCounter::new();
    junk.feed(b"not a dump at all");
    assert!(junk
        .finish()
        .unwrap_err()
        .contains("not a custom-format dump"));
}

/// The word-at-a-time newline count equals the plain one at every length and
/// alignment, across its 255-word blocks, with every byte value around.
#[test]
fn lines_are_counted_exactly() {
    let mut data = Vec::new();
    let mut x = 0x2545_f491_4f6c_dd1du64;
    for i in 0..20_000u32 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        data.push(if i % 3 == 0 { b'\n' } else { (x >> 24) as u8 });
    }
    data.extend(std::iter::repeat_n(b'\n', 5000));
    for (start, end) in [
        (0, 0),
        (0, 7),
        (3, 9),
        (1, 2041),
        (5, 4083),
        (0, data.len()),
        (7, data.len() - 3),
    ] {
        let slice = &data[start..end];
        let plain = slice.iter().filter(|&&b| b == b'\n').count() as u64;
        assert_eq!(count_lines(slice), plain, "{start}..{end}");
    }
}
