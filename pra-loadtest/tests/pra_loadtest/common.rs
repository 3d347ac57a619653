//! Helpers shared by the drill tests: running pra-loadtest on a cluster, decoding its
//! `drill` event, a loopback "application", and what a drill must leave behind.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use pra_core::event::kinds::DrillFields;
use pra_core::event::Kind;
use pra_testkit::{tool, PgCluster, ToolRun};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The drills measure throughput: one at a time, or they would measure each other.
pub static SERIAL: Mutex<()> = Mutex::new(());

pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub fn drill(c: &PgCluster, args: &[&str]) -> ToolRun {
    tool(env!("CARGO_BIN_EXE_pra-loadtest"))
        .args(args)
        .envs(c.env())
        .timeout(std::time::Duration::from_secs(180))
        .run()
}

pub fn fields(run: &ToolRun) -> DrillFields {
    run.one(Kind::Drill).fields_as().unwrap()
}

/// A loopback "application" answering every request with `status`.
pub struct App {
    pub url: String,
    pub hits: Arc<AtomicU64>,
}

pub fn app(status: u16) -> App {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://{}/health?token=s3cret",
        listener.local_addr().unwrap()
    );
    let hits = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&hits);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            counter.fetch_add(1, Ordering::SeqCst);
            let _ = write!(
                stream,
                "HTTP/1.1 {status} Status\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
            );
        }
    });
    App { url, hits }
}

pub fn schema_exists(c: &PgCluster, db: &str) -> bool {
    c.psql(
        db,
        "SELECT count(*) FROM pg_namespace WHERE nspname = 'pra_loadtest'",
    ) == "1"
}

pub fn drill_databases(c: &PgCluster) -> Vec<String> {
    c.databases()
        .into_iter()
        .filter(|d| d.starts_with("pra_drill_"))
        .collect()
}
