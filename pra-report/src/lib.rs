//! pra-report: the compliance report of a period, from the event history of the
//! pra tools and, optionally, their repositories.
//!
//! [`run`] reads the history one event at a time into a [`collect::Collector`]
//! (bounded memory: a year of 5-minute status samples is a few counters per
//! host), reads the repositories' manifests and verdicts, computes the
//! [`figures`], writes the HTML ([`html`]) and Markdown ([`markdown`]) reports and
//! emits one `report` event.

pub mod cli;
pub mod collect;
pub mod error;
pub mod figures;
pub mod history;
pub mod html;
pub mod markdown;
pub mod period;
pub mod repo;
pub mod summary;

pub use cli::Args;
pub use error::Error;

use figures::{Report, Targets};
use period::Period;
use pra_core::error_class::ErrorClass;
use pra_core::event::{Event, EventWriter, Kind, Status};
use pra_core::exit::Exit;
use std::path::Path;

/// The tool's name, in events and on stderr.
pub const TOOL: &str = "pra-report";

/// Runs pra-report: read, compute, write the reports, emit the `report` event.
pub fn run(args: Args) -> Result<Exit, Error> {
    args.output.init_logging(TOOL);
    pra_core::signals::install().map_err(Error::Output)?;
    let until = args.until.unwrap_or_else(pra_core::time::now);
    let period = Period::new(args.since, until).ok_or_else(|| Error::Period {
        start: format!("{:?}", args.since),
        end: pra_core::time::format_ts(&until),
    })?;
    let interval = args
        .history_interval
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX).max(1));
    let mut collector = collect::Collector::new(period, args.repo.stanza.clone(), interval);
    let sources = history::sources(&args.files);
    let stats = history::read(&sources, |ev| collector.event(&ev))?;
    pra_core::signals::check()?;
    let repos = repo::read(&args.repo.repos, &mut collector)?;
    pra_core::signals::check()?;
    let targets = Targets {
        rpo_ms: i64::try_from(args.rpo.as_millis()).unwrap_or(i64::MAX),
        rto_s: args.rto.as_secs_f64(),
        availability_percent: args.availability_target,
    };
    let mut report = figures::compute(collector, targets, &stats, repos);
    if let Some(path) = &args.html {
        write(path, &html::render(&report, &args.title))?;
        report.fields.html = Some(path.display().to_string());
    }
    if let Some(path) = &args.markdown {
        write(path, &markdown::render(&report, &args.title))?;
        report.fields.markdown = Some(path.display().to_string());
    }
    let event = report_event(&report);
    EventWriter::stdout(args.output.format)
        .emit(&event)
        .map_err(Error::Output)?;
    Ok(if report.status == Status::Error {
        Exit::Problem
    } else {
        Exit::Ok
    })
}

/// Writes a report: a new file gets 0644 whatever the umask (a report is published, and
/// holds no secret, but never world-writable); an existing file, `/dev/stdout` included,
/// keeps its mode.
fn write(path: &Path, text: &str) -> Result<(), Error> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o644)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|source| Error::Write {
            path: path.to_path_buf(),
            source,
        })
}

/// The `report` event of a computed report.
pub fn report_event(report: &Report) -> Event {
    let event = Event::new(TOOL, Kind::Report, report.status, summary::headline(report))
        .with_fields(&report.fields)
        .with_error_class(ErrorClass::Sla);
    match report.fields.stanzas.as_slice() {
        [one] => event.with_stanza(one.stanza.clone()),
        _ => event,
    }
}
