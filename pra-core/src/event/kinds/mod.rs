//! The fields of each event kind, as serde types.
//!
//! One module per kind, owned by the tool that emits it. Tools build events with
//! [`Event::with_fields`](super::Event::with_fields) and read them back with
//! [`Event::fields_as`](super::Event::fields_as). Every field that may be absent
//! is an `Option` or has a default, so a reader accepts events from older and
//! newer tools alike. docs/PROTOCOL.md documents the same fields for people.

mod backup;
mod check;
mod drill;
mod info;
mod input;
mod notify;
mod report;
mod restore;
mod rotate;
mod verify;
mod wal;

pub use backup::{BackupFields, FileSummary};
pub use check::{AvailabilityFields, CheckFields, StatusFields};
pub use drill::{DrillFields, LoadPhase, SlaCheck, TimelinePoint};
pub use info::{InfoFields, InfoItem, InfoVerdict};
pub use input::InputFields;
pub use notify::NotifyFields;
pub use report::{
    CoverageFigures, HostAvailability, IncidentGroup, ReportFields, RpoFigures, RtoFigures,
    StanzaFigures, TrendFigures, Verdict,
};
pub use restore::{RestoreCheck, RestoreFields};
pub use rotate::{FailedDelete, KeptBackup, RotateFields};
pub use verify::VerifyFields;
pub use wal::WalFields;
