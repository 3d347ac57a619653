//! Every JSON example in docs/PROTOCOL.md decodes into the event types: the envelope
//! into [`Event`], the rest into its kind's fields, with no field the types do not
//! know and every `error` example classed. A wrong example fails here, not in a
//! reader's consumer.

use super::kinds::{
    BackupFields, CheckFields, DrillFields, InfoFields, InputFields, NotifyFields, ReportFields,
    RestoreFields, RotateFields, StatusFields, VerifyFields, WalFields,
};
use super::{Event, Kind, Status};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

const PROTOCOL: &str = include_str!("../../../docs/PROTOCOL.md");

/// The text of every ```json block.
fn json_blocks(doc: &str) -> Vec<&str> {
    doc.split("```json\n")
        .skip(1)
        .filter_map(|rest| rest.split("\n```").next())
        .collect()
}

/// The JSON values of a block: one event per value, on one line or several.
fn values(block: &str) -> Vec<Value> {
    serde_json::Deserializer::from_str(block)
        .into_iter::<Value>()
        .map(|v| v.unwrap_or_else(|e| panic!("not JSON: {e}\n{block}")))
        .collect()
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

/// Decodes the event's fields as `T` and checks that nothing was lost: every field
/// of the example is one `T` writes back with the same value (or an empty value `T`
/// leaves out), so a misspelled or undocumented field is caught.
fn decodes_as<T: DeserializeOwned + Serialize>(ev: &Event) {
    let fields: T = ev
        .fields_as()
        .unwrap_or_else(|e| panic!("{} fields: {e}\n{}", ev.kind, ev.to_json_line()));
    let back = serde_json::to_value(&fields).unwrap();
    for (key, value) in &ev.fields {
        match back.get(key) {
            Some(b) => assert_eq!(b, value, "field {key:?} of {}", ev.to_json_line()),
            None => assert!(
                is_empty(value),
                "field {key:?} is unknown to the {} fields: {}",
                ev.kind,
                ev.to_json_line()
            ),
        }
    }
}

#[test]
fn every_protocol_example_decodes_into_the_event_types() {
    let mut kinds = Vec::new();
    for block in json_blocks(PROTOCOL) {
        for value in values(block) {
            let line = serde_json::to_vec(&value).unwrap();
            let ev = Event::parse_line(&line).unwrap_or_else(|e| panic!("{e}\n{value}"));
            if ev.status == Status::Error {
                assert!(
                    ev.class().is_some(),
                    "an error example has an error_class: {value}"
                );
            }
            match ev.kind {
                Kind::Backup => decodes_as::<BackupFields>(&ev),
                Kind::Verify => decodes_as::<VerifyFields>(&ev),
                Kind::Restore => decodes_as::<RestoreFields>(&ev),
                Kind::Rotate => decodes_as::<RotateFields>(&ev),
                Kind::Notify => decodes_as::<NotifyFields>(&ev),
                Kind::Check => decodes_as::<CheckFields>(&ev),
                Kind::Status => decodes_as::<StatusFields>(&ev),
                Kind::Drill => decodes_as::<DrillFields>(&ev),
                Kind::Input => decodes_as::<InputFields>(&ev),
                Kind::Report => decodes_as::<ReportFields>(&ev),
                Kind::Info => decodes_as::<InfoFields>(&ev),
                Kind::Wal => decodes_as::<WalFields>(&ev),
                ref other => panic!("an example of kind {other} this test does not know"),
            }
            kinds.push(ev.kind.as_str().to_string());
        }
    }
    for kind in [
        "backup", "verify", "restore", "rotate", "notify", "check", "drill", "input", "info", "wal",
    ] {
        assert!(
            kinds.iter().any(|k| k == kind),
            "docs/PROTOCOL.md shows a {kind} event"
        );
    }
}

#[test]
fn the_block_reader_finds_multi_line_events() {
    let doc = "x\n```json\n{\"a\":1,\n \"b\":2}\n{\"c\":3}\n```\n```sh\n{}\n```\n";
    let blocks = json_blocks(doc);
    assert_eq!(blocks.len(), 1);
    assert_eq!(values(blocks[0]).len(), 2);
    assert!(is_empty(&Value::Array(vec![])) && !is_empty(&Value::Bool(false)));
}
