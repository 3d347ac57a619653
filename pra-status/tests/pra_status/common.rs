//! Helpers of pra-status's integration tests: a real HTTP server on 127.0.0.1,
//! synthetic repositories (manifests and verify records written through
//! pra_core::repo), and a strict parser of the Prometheus text format.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, Utc};
use pra_core::codec::Codec;
use pra_core::event::kinds::{CheckFields, StatusFields};
use pra_core::event::Kind;
use pra_core::event::Status;
use pra_core::manifest::{
    BackupKind, FileRole, Manifest, ManifestFile, VerifyLevel, VerifyRecord, MANIFEST_FORMAT,
    VERIFY_FORMAT,
};
use pra_core::repo::Repository;
use pra_testkit::{tool, HttpServer, PgCluster, Reply, ToolRun};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// A real HTTP server on 127.0.0.1: `/health` 200, `/fail` 500, `/missing` 404,
/// `/moved` 302 to `/health`, `/hang` accepts and never answers.
pub fn http_server() -> HttpServer {
    HttpServer::start(|req| match req.route() {
        "/health" => Reply::Status(200, vec![]),
        "/fail" => Reply::Status(500, vec![]),
        "/moved" => Reply::redirect(302, "/health"),
        "/hang" => Reply::Hang,
        _ => Reply::Status(404, vec![]),
    })
}

/// Writes a complete synthetic backup of `stanza` that finished at `finished`.
pub fn synthetic_backup(repo: &Repository, stanza: &str, finished: DateTime<Utc>) -> String {
    let started = finished - chrono::Duration::milliseconds(42_500);
    let id = repo.new_backup(stanza, started).unwrap();
    let m = Manifest {
        format: MANIFEST_FORMAT,
        id: id.clone(),
        stanza: stanza.to_string(),
        kind: BackupKind::Logical,
        started_at: started,
        finished_at: finished,
        server_version: "15.0".into(),
        server_version_num: 150000,
        system_identifier: "7300000000000000000".into(),
        database: Some(stanza.to_string()),
        database_size_bytes: Some(1 << 20),
        database_state: None,
        run_id: None,
        wal_lsn: None,
        timeline: Some(1),
        files: vec![ManifestFile {
            name: "dump.pgc.zst".into(),
            role: FileRole::Dump,
            raw_bytes: 100_000,
            stored_bytes: 12_345,
            raw_sha256: "a".repeat(64),
            stored_sha256: "b".repeat(64),
            codec: Codec::Zstd,
            encryption: None,
        }],
        tables: vec![],
        tool_version: pra_core::VERSION.into(),
        extra: Default::default(),
    };
    repo.write_manifest(&m).unwrap();
    id
}

/// Writes the verification record of a backup.
pub fn synthetic_verify(
    repo: &Repository,
    stanza: &str,
    id: &str,
    status: Status,
    at: DateTime<Utc>,
    problems: &[&str],
) {
    repo.write_verify(
        stanza,
        &VerifyRecord {
            format: VERIFY_FORMAT,
            backup_id: id.into(),
            level: VerifyLevel::Checksum,
            status,
            verified_at: at,
            duration_s: 1.5,
            problems: problems.iter().map(|p| p.to_string()).collect(),
            tool_version: pra_core::VERSION.into(),
            extra: Default::default(),
        },
    )
    .unwrap();
}

/// A parsed sample: metric name and sorted labels.
pub type SampleKey = (String, BTreeMap<String, String>);

fn valid_metric_name(n: &str) -> bool {
    let mut c = n.chars();
    matches!(c.next(), Some(ch) if ch.is_ascii_alphabetic() || ch == '_' || ch == ':')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == ':')
}

fn valid_label_name(n: &str) -> bool {
    let mut c = n.chars();
    matches!(c.next(), Some(ch) if ch.is_ascii_alphabetic() || ch == '_')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
        && !n.starts_with("__")
}

/// A strict parser of the Prometheus text exposition format (version 0.0.4), with
/// the checks `promtool check metrics` makes: HELP and TYPE once per family and
/// before its samples, samples of a family together, valid names, escaped label
/// values, no duplicate series, a final newline. Panics with the line on error.
pub fn parse_exposition(text: &str) -> BTreeMap<SampleKey, f64> {
    assert!(text.ends_with('\n'), "the file must end with a newline");
    let mut out = BTreeMap::new();
    let mut typed: BTreeMap<String, String> = BTreeMap::new();
    let mut helped: Vec<String> = Vec::new();
    let mut finished: Vec<String> = Vec::new();
    let mut current: Option<String> = None;
    for (n, line) in text.lines().enumerate() {
        let ctx = format!("line {}: {line:?}", n + 1);
        assert!(!line.is_empty(), "empty line at {ctx}");
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            let what = parts.next().unwrap();
            let name = parts
                .next()
                .unwrap_or_else(|| panic!("no metric name, {ctx}"));
            assert!(valid_metric_name(name), "bad metric name, {ctx}");
            assert!(
                !finished.contains(&name.to_string()),
                "family {name} reopened, {ctx}"
            );
            match what {
                "HELP" => {
                    assert!(!helped.contains(&name.to_string()), "second HELP, {ctx}");
                    assert!(
                        parts.next().is_some_and(|h| !h.is_empty()),
                        "empty HELP, {ctx}"
                    );
                    helped.push(name.to_string());
                }
                "TYPE" => {
                    let t = parts.next().unwrap_or_default();
                    assert!(
                        ["counter", "gauge", "histogram", "summary", "untyped"].contains(&t),
                        "bad TYPE, {ctx}"
                    );
                    assert!(
                        typed.insert(name.to_string(), t.to_string()).is_none(),
                        "second TYPE, {ctx}"
                    );
                    assert!(
                        out.keys().all(|(m, _): &SampleKey| m != name),
                        "TYPE after samples, {ctx}"
                    );
                }
                other => panic!("unknown comment {other}, {ctx}"),
            }
            if current.as_deref() != Some(name) {
                if let Some(c) = current.take() {
                    finished.push(c);
                }
                current = Some(name.to_string());
            }
            continue;
        }
        assert!(!line.starts_with('#'), "bad comment, {ctx}");
        let name_end = line
            .find(['{', ' '])
            .unwrap_or_else(|| panic!("no value, {ctx}"));
        let name = &line[..name_end];
        assert!(valid_metric_name(name), "bad metric name, {ctx}");
        assert!(typed.contains_key(name), "sample without TYPE, {ctx}");
        assert!(
            helped.contains(&name.to_string()),
            "sample without HELP, {ctx}"
        );
        assert!(
            !finished.contains(&name.to_string()),
            "samples of {name} not together, {ctx}"
        );
        if current.as_deref() != Some(name) {
            if let Some(c) = current.take() {
                finished.push(c);
            }
            current = Some(name.to_string());
        }
        let mut rest = &line[name_end..];
        let mut labels = BTreeMap::new();
        if let Some(r) = rest.strip_prefix('{') {
            let (l, after) = parse_labels(r, &ctx);
            labels = l;
            rest = after;
        }
        let mut fields = rest.split(' ').filter(|s| !s.is_empty());
        assert!(rest.starts_with(' '), "no space before the value, {ctx}");
        let v = fields.next().unwrap_or_else(|| panic!("no value, {ctx}"));
        let value: f64 = match v {
            "NaN" => f64::NAN,
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            _ => v
                .parse()
                .unwrap_or_else(|_| panic!("bad value {v:?}, {ctx}")),
        };
        if let Some(ts) = fields.next() {
            ts.parse::<i64>()
                .unwrap_or_else(|_| panic!("bad timestamp, {ctx}"));
        }
        assert!(fields.next().is_none(), "trailing text, {ctx}");
        let key = (name.to_string(), labels);
        assert!(!out.contains_key(&key), "duplicate series, {ctx}");
        out.insert(key, value);
    }
    out
}

/// Parses `name="value",...}` (after the `{`); returns the labels and the text after `}`.
fn parse_labels<'a>(r: &'a str, ctx: &str) -> (BTreeMap<String, String>, &'a str) {
    let chars: Vec<(usize, char)> = r.char_indices().collect();
    let mut labels = BTreeMap::new();
    let mut k = 0;
    loop {
        match chars.get(k) {
            Some((i, '}')) => return (labels, &r[i + 1..]),
            None => panic!("unterminated label list, {ctx}"),
            _ => {}
        }
        let start = chars[k].0;
        let eq = r[start..]
            .find('=')
            .unwrap_or_else(|| panic!("no '=', {ctx}"))
            + start;
        let lname = &r[start..eq];
        assert!(valid_label_name(lname), "bad label name {lname:?}, {ctx}");
        while chars.get(k).is_some_and(|(i, _)| *i <= eq) {
            k += 1;
        }
        assert_eq!(
            chars.get(k).map(|c| c.1),
            Some('"'),
            "unquoted label value, {ctx}"
        );
        k += 1;
        let mut value = String::new();
        loop {
            match chars.get(k).map(|c| c.1) {
                Some('\\') => {
                    value.push(match chars.get(k + 1).map(|c| c.1) {
                        Some('\\') => '\\',
                        Some('"') => '"',
                        Some('n') => '\n',
                        _ => panic!("bad escape, {ctx}"),
                    });
                    k += 2;
                }
                Some('"') => {
                    k += 1;
                    break;
                }
                Some('\n') | None => panic!("unterminated label value, {ctx}"),
                Some(c) => {
                    value.push(c);
                    k += 1;
                }
            }
        }
        assert!(
            labels.insert(lname.to_string(), value).is_none(),
            "repeated label, {ctx}"
        );
        match chars.get(k).map(|c| c.1) {
            Some(',') => k += 1,
            Some('}') => {}
            _ => panic!("expected ',' or '}}' after a label, {ctx}"),
        }
    }
}

/// The value of a series in parsed output.
pub fn series(
    parsed: &BTreeMap<SampleKey, f64>,
    name: &str,
    labels: &[(&str, &str)],
) -> Option<f64> {
    let l: BTreeMap<String, String> = labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    parsed.get(&(name.to_string(), l)).copied()
}

/// A pra-status run against a cluster (its PG* environment).
pub fn status(c: &PgCluster) -> pra_testkit::Tool {
    tool(env!("CARGO_BIN_EXE_pra-status"))
        .envs(c.env())
        .timeout(Duration::from_secs(60))
}

pub fn checks(run: &ToolRun) -> Vec<(CheckFields, Status, String)> {
    run.events_of(Kind::Check)
        .into_iter()
        .map(|e| {
            (
                e.fields_as::<CheckFields>().unwrap(),
                e.status,
                e.message.clone(),
            )
        })
        .collect()
}

pub fn check(run: &ToolRun, name: &str, target: Option<&str>) -> (CheckFields, Status, String) {
    let found: Vec<_> = checks(run)
        .into_iter()
        .filter(|(f, _, _)| f.name == name && (target.is_none() || f.target.as_deref() == target))
        .collect();
    run.check(
        found.len() == 1,
        &format!("expected one {name} check ({target:?})"),
    );
    found.into_iter().next().unwrap()
}

pub fn overall(run: &ToolRun) -> StatusFields {
    let ev = run.one(Kind::Status);
    run.check(
        run.events.last().map(|e| &e.kind) == Some(&Kind::Status),
        "the status event comes last",
    );
    ev.fields_as().unwrap()
}

/// The measured free ratio of a path, in percent.
pub fn free_percent(p: &Path) -> f64 {
    pra_status::checks::disk::free_space(p).unwrap().ratio() * 100.0
}
