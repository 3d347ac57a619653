//! Tests of the manifest (its JSON round trip, the files it must and must not name,
//! its format number) and the sample other modules' tests build on.

use super::*;

pub(crate) fn sample(id: &str) -> Manifest {
    let t = crate::time::parse_ts("2026-11-25T11:00:00Z").unwrap();
    Manifest {
        format: MANIFEST_FORMAT,
        id: id.to_string(),
        stanza: "app".to_string(),
        kind: BackupKind::Logical,
        started_at: t,
        finished_at: t + chrono::Duration::milliseconds(5100),
        server_version: "15.18".to_string(),
        server_version_num: 150018,
        system_identifier: "7300000000000000000".to_string(),
        database: Some("app".to_string()),
        database_size_bytes: Some(1 << 30),
        database_state: None,
        run_id: None,
        wal_lsn: Some("0/3000060".to_string()),
        timeline: Some(1),
        files: vec![ManifestFile {
            name: "dump.pgc.zst".to_string(),
            role: FileRole::Dump,
            raw_bytes: 100,
            stored_bytes: 40,
            raw_sha256: "a".repeat(64),
            stored_sha256: "b".repeat(64),
            codec: Codec::Zstd,
            encryption: None,
        }],
        tables: vec![TableRows {
            schema: "public".into(),
            table: "t".into(),
            rows: Some(3),
        }],
        tool_version: crate::VERSION.to_string(),
        extra: Default::default(),
    }
}

#[test]
fn manifest_round_trips_and_keeps_unknown_fields() {
    let m = sample("20261125T110000Z");
    let mut v: serde_json::Value = serde_json::from_slice(&m.to_json()).unwrap();
    v["added_later"] = serde_json::json!(true);
    let back = Manifest::from_json(v.to_string().as_bytes(), "m").unwrap();
    assert_eq!(back.extra["added_later"], true);
    assert_eq!(back.duration_s(), 5.1);
    assert_eq!(back.files, m.files);
}

#[test]
fn a_logical_manifest_requires_its_dump_and_globals() {
    let mut m = sample("x");
    assert_eq!(
        m.missing_files(),
        ["manifest.json lists no globals file, which a logical backup requires"]
    );
    let mut globals = m.files[0].clone();
    globals.role = FileRole::Globals;
    m.files.push(globals);
    assert!(m.missing_files().is_empty());
    m.files.remove(0);
    assert_eq!(
        m.missing_files(),
        ["manifest.json lists no dump file, which a logical backup requires"]
    );
    m.kind = BackupKind::Physical;
    assert_eq!(m.missing_files().len(), 1, "a physical backup needs data");
}

#[test]
fn file_names_outside_the_backup_are_refused_when_parsed() {
    for name in [
        "../../../other/backup/x/dump.pgc.zst",
        "/dev/zero",
        "/etc/shadow",
        "..",
        ".",
        "",
        "a\0b",
        "a/b",
        "a\\b",
        "x\ny",
    ] {
        let mut v = serde_json::to_value(sample("20261125T110000Z")).unwrap();
        v["files"][0]["name"] = name.into();
        let e = Manifest::from_json(v.to_string().as_bytes(), "m").unwrap_err();
        assert!(e.to_string().contains("not a plain name"), "{name:?}: {e}");
        assert!(!e.to_string().contains('\n'), "{e}");
    }
    for name in ["dump.pgc.zst", "globals.sql.zst", "..dump", "a..b"] {
        assert_eq!(check_file_name(name), Ok(()), "{name}");
    }
}

#[test]
fn newer_format_is_a_clear_error() {
    let mut v: serde_json::Value = serde_json::from_slice(&sample("x").to_json()).unwrap();
    v["format"] = serde_json::json!(MANIFEST_FORMAT + 1);
    let e = Manifest::from_json(v.to_string().as_bytes(), "repo/app/backup/x/manifest.json")
        .unwrap_err();
    assert!(e.to_string().contains("upgrade pra"), "{e}");
    assert!(
        e.to_string().contains("repo/app/backup/x/manifest.json"),
        "{e}"
    );
    assert!(Manifest::from_json(b"{", "m")
        .unwrap_err()
        .to_string()
        .contains("not valid"));
}

/// Issue 22, item 15: format 0 is refused, in manifests and verify records alike.
#[test]
fn format_zero_is_refused() {
    let mut v: serde_json::Value = serde_json::from_slice(&sample("x").to_json()).unwrap();
    v["format"] = serde_json::json!(0);
    let e = Manifest::from_json(v.to_string().as_bytes(), "m").unwrap_err();
    assert!(
        matches!(e, FormatError::Invalid { .. }) && e.to_string().contains("format 0"),
        "{e}"
    );
    let record = serde_json::json!({"format": 0, "backup_id": "x", "level": "checksum",
        "status": "ok", "verified_at": "2026-11-25T11:00:00Z", "duration_s": 1.0,
        "problems": [], "tool_version": "0"});
    let e = VerifyRecord::from_json(record.to_string().as_bytes(), "v").unwrap_err();
    assert!(e.to_string().contains("format 0"), "{e}");
}
