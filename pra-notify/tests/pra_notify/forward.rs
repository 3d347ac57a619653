//! Forwarding: 10,000 events with malformed lines mixed in come out in the same order,
//! byte for byte, each malformed line followed by an `input` error event.

use pra_core::event::kinds::InputFields;
use pra_core::event::{Event, Kind, Status};
use pra_testkit::{tool, HttpServer};

const BIN: &str = env!("CARGO_BIN_EXE_pra-notify");

#[test]
fn ten_thousand_events_with_malformed_lines_are_forwarded_byte_for_byte() {
    let rx = HttpServer::scripted(vec![]);
    let mut lines: Vec<Vec<u8>> = Vec::new();
    let mut bad = Vec::new();
    for i in 0..10_000u32 {
        let ev = Event::new("pra-backup", Kind::Backup, Status::Ok, format!("event {i}"))
            .with_stanza(format!("s{}", i % 7))
            .with_field("n", i);
        lines.push(ev.to_json_line().into_bytes());
        if i % 1000 == 500 {
            let junk: Vec<u8> = match (i / 1000) % 3 {
                0 => b"not json at all".to_vec(),
                1 => b"\xff\xfe binary \x00".to_vec(),
                _ => br#"{"schema":"pra.v0","kind":"backup"}"#.to_vec(),
            };
            lines.push(junk);
            bad.push(lines.len()); // 1-based line number of the junk
        }
    }
    let input: Vec<u8> = lines
        .iter()
        .flat_map(|l| [&l[..], b"\n"].concat())
        .collect();
    let run = tool(BIN)
        .args(["--webhook", &rx.url("/hook")])
        .stdin(input)
        .run();
    run.success();

    let out: Vec<&[u8]> = run.stdout.split(|&b| b == b'\n').collect();
    let mut o = 0;
    for (n, line) in lines.iter().enumerate() {
        assert_eq!(out[o], &line[..], "line {} changed or moved", n + 1);
        o += 1;
        if bad.contains(&(n + 1)) {
            let ev = Event::parse_line(out[o]).unwrap();
            assert_eq!((ev.kind.clone(), ev.status), (Kind::Input, Status::Error));
            let f: InputFields = ev.fields_as().unwrap();
            assert_eq!(f.line, n as u64 + 1);
            o += 1;
        }
    }
    assert_eq!(out[o], b"", "nothing else but the final newline");
    assert_eq!(o + 1, out.len());
    assert_eq!(bad.len(), 10);
    assert!(rx.requests().is_empty(), "ok events are not alerts");
}
