//! Hostile input (issue 22, items 13 and 14): a delivery budget too large for a
//! deadline is a usage error at parse time, and a 64 MiB input line costs bounded
//! memory (it is replaced by an `input` error event, not held twice).

use pra_core::event::kinds::InputFields;
use pra_core::event::{Event, Kind, Status};
use pra_testkit::{tool, HttpServer};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_pra-notify");

#[test]
fn huge_delivery_budgets_are_usage_errors() {
    for (flag, value) in [
        ("--max-wait", "9999999999999999999s"),
        ("--timeout", "36501d"),
    ] {
        tool(BIN)
            .args(["--webhook", "http://127.0.0.1:9/hook", flag, value])
            .stdin(Vec::new())
            .run()
            .usage_error(flag);
    }
}

/// The peak resident memory of a running process (`VmHWM`), in bytes.
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kib * 1024
}

#[test]
fn a_64_mib_line_is_replaced_by_an_input_error_in_bounded_memory() {
    const LINE: usize = 64 * 1024 * 1024;
    let rx = HttpServer::scripted(vec![]);
    let mut child = Command::new(BIN)
        .args(["--webhook", &rx.url("/hook"), "--max-wait", "5s"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let before = Event::new("pra-backup", Kind::Backup, Status::Ok, "before").to_json_line();
    let after = Event::new("pra-backup", Kind::Backup, Status::Ok, "after").to_json_line();
    let mut stdin = child.stdin.take().unwrap();
    let (b, a) = (before.clone(), after.clone());
    // Fed from a thread; the handle comes back open, so the tool is still running
    // (waiting for more input) when its memory is read.
    let feeder = std::thread::spawn(move || {
        stdin.write_all(format!("{b}\n").as_bytes()).unwrap();
        let chunk = vec![b'x'; 1024 * 1024];
        for _ in 0..LINE / chunk.len() {
            stdin.write_all(&chunk).unwrap();
        }
        stdin.write_all(format!("\n{a}\n").as_bytes()).unwrap();
        stdin
    });
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    while lines.len() < 3 {
        let mut line = String::new();
        assert!(
            out.read_line(&mut line).unwrap() > 0,
            "stdout ended early: {lines:?}"
        );
        lines.push(line.trim_end().to_string());
    }
    let peak = peak_rss(pid);
    drop(feeder.join().unwrap());
    let status = child.wait().unwrap();
    assert_eq!(lines[0], before, "the line before is forwarded unchanged");
    let input = Event::parse_line(lines[1].as_bytes()).unwrap();
    assert_eq!((&input.kind, input.status), (&Kind::Input, Status::Error));
    let f: InputFields = input.fields_as().unwrap();
    assert_eq!(f.line, 2);
    assert!(f.reason.contains(&LINE.to_string()), "{}", f.reason);
    assert_eq!(lines[2], after, "the line after is forwarded unchanged");
    assert!(
        peak < 48 * 1024 * 1024,
        "peak RSS {} MiB for a 64 MiB line: not bounded",
        peak / (1024 * 1024)
    );
    assert!(status.code().is_some(), "{status:?}");
}
