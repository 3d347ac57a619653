//! The third-party datasets in `../shared/datasets` (or `$PRA_DATASETS`): Pagila,
//! Chinook and Northwind, loaded into a test cluster as additional restore-fidelity
//! cases. The project's own generators (`sql/fidelity.sql`, `sql/sample.sql`) cover
//! what a fresh clone must pass; these add real-world schemas when they are there.
//!
//! When they are missing: under CI (`CI` set, other than `false` or `0`) the test
//! fails; elsewhere it says so on stderr, records the skipped case in the file named
//! by `$PRA_SKIPPED_LOG` (scripts/test.sh prints that list after the run, so it is
//! never silent) and the caller skips the dataset part.

use crate::PgCluster;
use std::io::Write;
use std::path::PathBuf;

/// One of the shared datasets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dataset {
    /// Pagila: partitions, triggers, functions, domains, enum, views, matview, full-text search.
    Pagila,
    /// Chinook: a music store.
    Chinook,
    /// Northwind: classic orders, bytea pictures.
    Northwind,
}

impl Dataset {
    /// All datasets.
    pub const ALL: [Dataset; 3] = [Dataset::Pagila, Dataset::Chinook, Dataset::Northwind];

    /// The database name the dataset is loaded into.
    pub fn dbname(self) -> &'static str {
        match self {
            Dataset::Pagila => "pagila",
            Dataset::Chinook => "chinook",
            Dataset::Northwind => "northwind",
        }
    }
}

/// The files a complete datasets folder holds.
pub const DATASET_FILES: [&str; 4] = [
    "pagila-schema.sql",
    "pagila-data.sql",
    "chinook.sql",
    "northwind.sql",
];

/// How to get the datasets, for the messages of a run without them.
pub const HOW_TO_ENABLE: &str =
    "put the project's shared/ folder beside the checkout (shared/datasets), \
     or set PRA_DATASETS to a folder holding pagila-schema.sql and pagila-data.sql \
     (github.com/devrimgunduz/pagila), chinook.sql (github.com/lerocha/chinook-database) \
     and northwind.sql (github.com/pthom/northwind_psql)";

/// Whether this run is CI's: `CI` set to anything but empty, `false` or `0`.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.as_str(), "" | "false" | "0"))
}

/// The root of the checkout the tests run from. Found from the `CARGO_MANIFEST_DIR`
/// Cargo gives the running test (every crate sits one level below the root) rather
/// than the one compiled in: Cargo does not rebuild a copy of the clone that shares
/// the target directory (CI's second run), and that copy must look at itself.
pub fn checkout_root() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .join("..")
}

/// Where the datasets are looked for: `$PRA_DATASETS`, else `shared/datasets` beside
/// the checkout.
pub fn datasets_location() -> PathBuf {
    match std::env::var_os("PRA_DATASETS") {
        Some(dir) => PathBuf::from(dir),
        None => checkout_root().join("../shared/datasets"),
    }
}

/// The datasets folder when it holds every dataset; `None` (reported) when it does not.
///
/// Panics (the test fails) when they are missing under CI.
pub fn datasets_dir() -> Option<PathBuf> {
    let dir = datasets_location();
    let missing: Vec<&str> = DATASET_FILES
        .into_iter()
        .filter(|f| !dir.join(f).is_file())
        .collect();
    if missing.is_empty() {
        return Some(dir);
    }
    let what = format!(
        "the third-party datasets are missing from {} ({})",
        dir.display(),
        missing.join(", ")
    );
    if under_ci() {
        panic!("{what}; under CI they are required: {HOW_TO_ENABLE}.");
    }
    let case = std::thread::current()
        .name()
        .unwrap_or("unnamed test")
        .to_string();
    eprintln!(
        "pra-testkit: NOT RUN: the Pagila/Chinook/Northwind part of {case}: {what}. To run it, {HOW_TO_ENABLE}."
    );
    record_skip(&case);
    None
}

/// Appends the skipped case to `$PRA_SKIPPED_LOG` (one line, one write, so that
/// concurrent tests do not interleave).
fn record_skip(case: &str) {
    let Some(log) = std::env::var_os("PRA_SKIPPED_LOG") else {
        return;
    };
    let binary = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .map(|s| {
            s.rsplit_once('-')
                .map_or(s.clone(), |(name, _)| name.to_string())
        })
        .unwrap_or_default();
    let line = format!("{binary}: {case}\n");
    let appended = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .and_then(|mut f| f.write_all(line.as_bytes()));
    if let Err(e) = appended {
        eprintln!("pra-testkit: cannot record the skipped case in {log:?}: {e}");
    }
}

/// Loads a dataset into its database on the cluster; returns the database name.
pub fn load_dataset(cluster: &PgCluster, dataset: Dataset) -> String {
    let dir = datasets_dir().expect("datasets present (checked by the caller)");
    match dataset {
        Dataset::Pagila => {
            cluster.create_db("pagila");
            cluster.psql_file("pagila", &dir.join("pagila-schema.sql"), &[]);
            cluster.psql_file("pagila", &dir.join("pagila-data.sql"), &[]);
        }
        Dataset::Chinook => {
            // The script drops and creates its own database.
            cluster.psql_file("postgres", &dir.join("chinook.sql"), &[]);
        }
        Dataset::Northwind => {
            cluster.create_db("northwind");
            cluster.psql_file("northwind", &dir.join("northwind.sql"), &[]);
        }
    }
    dataset.dbname().to_string()
}
