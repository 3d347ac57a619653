//! Property tests of the parsers that read what another process wrote (issue 22, "Must
//! show"): the event reader (stdin of every tool, history files), manifests and
//! `verify.json`. Arbitrary input never panics; what a writer writes reads back equal.
//! Case counts stay modest so that the suite stays fast; `PROPTEST_CASES` raises them.

use chrono::{DateTime, TimeZone, Utc};
use pra_core::codec::Codec;
use pra_core::event::kinds::InputFields;
use pra_core::event::stream::forward_input;
use pra_core::event::{Event, EventReader, EventWriter, Kind, OutputFormat, Status};
use pra_core::manifest::{
    BackupKind, FileRole, Manifest, ManifestFile, TableRows, VerifyLevel, VerifyRecord,
    MANIFEST_FORMAT, VERIFY_FORMAT,
};
use pra_core::verdicts::Verdicts;
use proptest::prelude::*;
use serde_json::Value;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 64,
        // A failure prints its minimal case; nothing is written into the source tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A time with millisecond precision (what events keep), 2000 to 2100.
fn millis_time() -> impl Strategy<Value = DateTime<Utc>> {
    (946_684_800_000i64..4_102_444_800_000).prop_map(|ms| Utc.timestamp_millis_opt(ms).unwrap())
}

/// A time with nanosecond precision (what manifests keep).
fn nanos_time() -> impl Strategy<Value = DateTime<Utc>> {
    (946_684_800i64..4_102_444_800, 0u32..1_000_000_000)
        .prop_map(|(s, n)| Utc.timestamp_opt(s, n).unwrap())
}

/// JSON values without floats (whose text form a writer may shorten).
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn status() -> impl Strategy<Value = Status> {
    prop_oneof![Just(Status::Ok), Just(Status::Warn), Just(Status::Error)]
}

fn event() -> impl Strategy<Value = Event> {
    let kinds = prop_oneof![
        Just(Kind::Backup),
        Just(Kind::Verify),
        Just(Kind::Check),
        Just(Kind::Input),
        "[a-z]{1,10}".prop_map(|k| Kind::parse(&k)),
    ];
    (
        millis_time(),
        any::<String>(),
        kinds,
        status(),
        any::<String>(),
        proptest::option::of(any::<String>()),
        prop::collection::btree_map("x_[a-z_]{1,10}", json_value(), 0..5),
    )
        .prop_map(|(ts, tool, kind, status, message, stanza, fields)| {
            let mut ev = Event::new(&tool, kind, status, message);
            ev.ts = ts;
            ev.stanza = stanza;
            ev.fields = fields.into_iter().collect();
            ev
        })
}

/// One input line: an event, arbitrary bytes, something long, or a line of about
/// the reader's `limit` (one byte under, at, or over it).
fn input_line(limit: usize) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        event().prop_map(|e| e.to_json_line().into_bytes()),
        prop::collection::vec(any::<u8>(), 0..200),
        (any::<u8>(), 0usize..2000).prop_map(|(b, n)| vec![b; n]),
        (any::<u8>(), limit - 1..=limit + 1).prop_map(|(b, n)| vec![b; n]),
        json_value().prop_map(|v| v.to_string().into_bytes()),
    ]
    .prop_map(|mut l| {
        l.retain(|&b| b != b'\n');
        l
    })
}

proptest! {
    #![proptest_config(config())]

    /// What a tool writes, the next one reads back equal.
    #[test]
    fn events_round_trip(ev in event()) {
        let line = ev.to_json_line();
        prop_assert!(!line.contains('\n'));
        prop_assert_eq!(Event::parse_line(line.as_bytes()).unwrap(), ev);
    }

    /// Any bytes: an event or a reason, never a panic.
    #[test]
    fn any_line_parses_or_is_refused(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = Event::parse_line(&bytes);
    }

    /// Any stream: every line within the limit comes out unchanged and in order, each
    /// line that is not an event (or is over the limit) is followed by one `input` error
    /// event with its number, and nothing over the limit is written.
    #[test]
    fn the_reader_forwards_every_line_within_the_limit(
        (limit, lines) in (64usize..1500).prop_flat_map(|limit| {
            (Just(limit), prop::collection::vec(input_line(limit), 0..12))
        }),
        final_newline in any::<bool>(),
    ) {
        let mut input = lines.join(&b'\n');
        if final_newline && !lines.is_empty() {
            input.push(b'\n');
        }
        // The lines the reader sees (a trailing newline ends the last, adds none).
        let mut seen: Vec<&[u8]> = input.split(|&b| b == b'\n').collect();
        if input.is_empty() || input.ends_with(b"\n") {
            seen.pop();
        }
        let mut writer = EventWriter::new(Vec::new(), OutputFormat::Json, false);
        let reader = EventReader::new(&input[..]).with_max_line(limit);
        let got = forward_input(reader, &mut writer, "pra-test").unwrap();
        let out = writer.into_inner();
        let mut out: Vec<&[u8]> = out.split(|&b| b == b'\n').collect();
        prop_assert_eq!(out.pop(), Some(&b""[..]));
        let mut out = out.into_iter();
        let mut bad = 0;
        for (i, line) in seen.iter().enumerate() {
            let too_long = line.len() > limit;
            if !too_long {
                prop_assert_eq!(out.next(), Some(*line), "line {} changed", i + 1);
            }
            if too_long || line.is_empty() || Event::parse_line(line).is_err() {
                bad += 1;
                let ev = Event::parse_line(out.next().unwrap()).unwrap();
                prop_assert_eq!(&ev.kind, &Kind::Input);
                prop_assert_eq!(ev.fields_as::<InputFields>().unwrap().line, i as u64 + 1);
            }
        }
        prop_assert!(out.next().is_none());
        prop_assert_eq!(got.invalid_lines, bad);
        prop_assert_eq!(got.events.len() as u64 + bad, seen.len() as u64);
    }
}

fn manifest_file() -> impl Strategy<Value = ManifestFile> {
    (
        "[a-z0-9_-][a-z0-9._-]{0,20}",
        prop_oneof![
            Just(FileRole::Dump),
            Just(FileRole::Globals),
            Just(FileRole::Data)
        ],
        any::<u64>(),
        any::<u64>(),
        "[0-9a-f]{64}",
        "[0-9a-f]{64}",
        prop_oneof![Just(Codec::Zstd), Just(Codec::Gzip), Just(Codec::None)],
    )
        .prop_map(|(name, role, raw, stored, rs, ss, codec)| ManifestFile {
            name,
            role,
            raw_bytes: raw,
            stored_bytes: stored,
            raw_sha256: rs,
            stored_sha256: ss,
            codec,
            encryption: None,
        })
}

fn manifest() -> impl Strategy<Value = Manifest> {
    (
        (
            "[a-z][a-z0-9_]{0,15}",
            nanos_time(),
            nanos_time(),
            any::<String>(),
            any::<u32>(),
            "[0-9]{1,19}",
            proptest::option::of(any::<String>()),
            proptest::option::of(any::<u64>()),
        ),
        (
            proptest::option::of("[0-9A-F]{1,8}/[0-9A-F]{1,8}"),
            proptest::option::of(any::<u32>()),
            prop::collection::vec(manifest_file(), 0..4),
            prop::collection::vec(
                (
                    any::<String>(),
                    any::<String>(),
                    proptest::option::of(any::<u64>()),
                ),
                0..5,
            ),
            any::<String>(),
            prop::bool::ANY,
        ),
    )
        .prop_map(|(a, b)| {
            let (stanza, started, finished, server_version, num, sysid, database, size) = a;
            let (wal_lsn, timeline, files, tables, tool_version, physical) = b;
            Manifest {
                format: MANIFEST_FORMAT,
                id: pra_core::repo::backup_id_for(started),
                stanza,
                kind: if physical {
                    BackupKind::Physical
                } else {
                    BackupKind::Logical
                },
                started_at: started,
                finished_at: finished,
                server_version,
                server_version_num: num,
                system_identifier: sysid,
                database,
                database_size_bytes: size,
                database_state: None,
                run_id: None,
                wal_lsn,
                timeline,
                files,
                tables: tables
                    .into_iter()
                    .map(|(schema, table, rows)| TableRows {
                        schema,
                        table,
                        rows,
                    })
                    .collect(),
                tool_version,
                extra: Default::default(),
            }
        })
}

fn verify_record() -> impl Strategy<Value = VerifyRecord> {
    (
        prop_oneof![
            Just(VerifyLevel::Manifest),
            Just(VerifyLevel::Checksum),
            Just(VerifyLevel::Restore)
        ],
        prop_oneof![Just(Status::Ok), Just(Status::Error)],
        nanos_time(),
        // Quarters of a second: exact in binary, so the text form reads back equal.
        (0u32..4_000_000).prop_map(|q| f64::from(q) / 4.0),
        prop::collection::vec(any::<String>(), 0..3),
        any::<String>(),
    )
        .prop_map(|(level, status, at, d, problems, tool)| VerifyRecord {
            format: VERIFY_FORMAT,
            backup_id: "20261125T110000Z".into(),
            level,
            status,
            verified_at: at,
            duration_s: d,
            problems,
            tool_version: tool,
            extra: Default::default(),
        })
}

/// A valid document with one field replaced by an arbitrary value (or removed).
fn mutated(doc: Value, key_pick: usize, value: Option<Value>) -> Vec<u8> {
    let mut doc = doc;
    if let Value::Object(map) = &mut doc {
        let keys: Vec<String> = map.keys().cloned().collect();
        let key = &keys[key_pick % keys.len()];
        match value {
            Some(v) => map.insert(key.clone(), v),
            None => map.remove(key),
        };
    }
    doc.to_string().into_bytes()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn manifests_round_trip(m in manifest()) {
        let back = Manifest::from_json(&m.to_json(), "manifest.json").unwrap();
        prop_assert_eq!(back, m);
    }

    /// Any bytes, or a valid manifest with one field damaged: parsed or refused.
    #[test]
    fn any_manifest_text_parses_or_is_refused(
        bytes in prop::collection::vec(any::<u8>(), 0..512),
        m in manifest(),
        pick in any::<usize>(),
        value in proptest::option::of(json_value()),
    ) {
        let _ = Manifest::from_json(&bytes, "m");
        let doc: Value = serde_json::from_slice(&m.to_json()).unwrap();
        let _ = Manifest::from_json(&mutated(doc, pick, value), "m");
    }

    /// Verdicts merged from records read back equal, in either format.
    #[test]
    fn verdicts_round_trip(records in prop::collection::vec(verify_record(), 1..6)) {
        let mut v = Verdicts::new("20261125T110000Z");
        for r in &records {
            v.merge(r);
        }
        prop_assert_eq!(Verdicts::from_json(&v.to_json(), "verify.json").unwrap(), v);
        let one = &records[0];
        let old = VerifyRecord { format: 1, ..one.clone() };
        let read = Verdicts::from_json(&old.to_json(), "verify.json").unwrap();
        prop_assert_eq!(read.verdicts.len(), 1);
        let back = VerifyRecord::from_json(&one.to_json(), "v").unwrap();
        prop_assert_eq!(back.verified_at, one.verified_at);
        prop_assert_eq!(back.duration_s, one.duration_s);
    }

    #[test]
    fn any_verdicts_text_parses_or_is_refused(
        bytes in prop::collection::vec(any::<u8>(), 0..512),
        r in verify_record(),
        pick in any::<usize>(),
        value in proptest::option::of(json_value()),
    ) {
        let _ = Verdicts::from_json(&bytes, "v");
        let _ = VerifyRecord::from_json(&bytes, "v");
        let mut v = Verdicts::new("x");
        v.merge(&r);
        for doc in [&v.to_json(), &r.to_json()] {
            let doc: Value = serde_json::from_slice(doc).unwrap();
            let damaged = mutated(doc, pick, value.clone());
            if let Ok(read) = Verdicts::from_json(&damaged, "v") {
                // What was read can be judged without a panic.
                let _ = read.standing();
            }
        }
    }
}
