//! The real-world datasets in `../shared/datasets` (or `$PRA_DATASETS`): Pagila,
//! Chinook and Northwind, loaded into a test cluster for the restore-fidelity tests.
//!
//! Missing datasets fail the test loudly, with where they were looked for. The
//! only way around that is the explicit opt-out `PRA_ALLOW_MISSING_DATASETS=1`,
//! which CI never sets (and which is ignored when `CI` is set).

use crate::PgCluster;
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

/// Where the datasets are: `$PRA_DATASETS`, else `shared/datasets` beside the checkout.
///
/// Panics (the test fails) when they are missing, unless the explicit opt-out is set
/// outside CI, in which case `None` is returned and the caller skips, saying so.
pub fn datasets_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("PRA_DATASETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shared/datasets"
            ))
        });
    if dir.join("pagila-schema.sql").exists() {
        return Some(dir);
    }
    let opted_out = std::env::var("PRA_ALLOW_MISSING_DATASETS").is_ok_and(|v| v == "1");
    if opted_out && std::env::var_os("CI").is_none() {
        eprintln!(
            "pra-testkit: datasets not found in {}; test SKIPPED (PRA_ALLOW_MISSING_DATASETS=1)",
            dir.display()
        );
        return None;
    }
    panic!(
        "the shared datasets are missing: looked for {}/pagila-schema.sql. Put the project's \
         shared/ folder beside the checkout or set PRA_DATASETS to the folder holding \
         pagila-schema.sql, chinook.sql and northwind.sql.",
        dir.display()
    );
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
