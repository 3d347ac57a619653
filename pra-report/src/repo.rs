//! Reading repositories: every complete backup's manifest and its `verify.json`,
//! so that a report can be made from the repository alone.

use crate::collect::Collector;
use crate::error::Error;
use pra_core::repo::Repository;

/// Reads each repository into the collection; returns their redacted locations.
pub fn read(locations: &[String], c: &mut Collector) -> Result<Vec<String>, Error> {
    let mut names = Vec::new();
    for location in locations {
        let repo = Repository::open(location)?;
        names.push(repo.location());
        let stanzas = match &c.only {
            Some(s) => vec![s.clone()],
            None => repo.stanzas()?,
        };
        for stanza in stanzas {
            for m in repo.complete_backups(&stanza)? {
                c.manifest(&m);
                if let Some(v) = repo.read_verify(&stanza, &m.id)? {
                    c.verify_record(&stanza, &v);
                }
            }
        }
    }
    Ok(names)
}
