//! The keys of an encrypted physical restore: checked against the backup and its WAL
//! before anything is written, and passed to restore_command by path only.

use crate::Error;
use pra_core::crypt::args::DecryptArgs;
use pra_core::manifest::Manifest;
use pra_core::repo::Repository;
use std::path::Path;

/// Checks that the identities of this process open the backup (one file of each
/// distinct encryption: files encrypted alike open alike) and the first WAL segment
/// recovery fetches, which pra-wal may encrypt to other keys than the backup's.
pub(crate) fn check_keys(
    repo: &Repository,
    m: &Manifest,
    stanza: &str,
    start_wal: &str,
) -> Result<(), Error> {
    let mut seen = Vec::new();
    for file in m.files.iter().filter(|f| f.encryption.is_some()) {
        if !seen.contains(&&file.encryption) {
            seen.push(&file.encryption);
            pra_core::fetch::check_key(repo, m, file)?;
        }
    }
    if !start_wal.is_empty() {
        // Not archived yet is recovery's own business (it fails and says so).
        pra_core::wal::check_key(repo.storage(), stanza, start_wal)?;
    }
    Ok(())
}

/// The key flags restore_command passes to pra-wal fetch: the identity and passphrase
/// files' absolute paths (the server runs it in the data directory), never their
/// contents.
pub(crate) fn identity_flags(d: &DecryptArgs) -> Result<Vec<String>, Error> {
    let absolute = |flag: &str, path: &Path| -> Result<[String; 2], Error> {
        let full = std::path::absolute(path)
            .map_err(|e| Error::io(format!("{flag} {}", path.display()), e))?;
        Ok([flag.to_string(), full.display().to_string()])
    };
    let mut words = Vec::new();
    for id in &d.identity {
        words.extend(absolute("--identity", id)?);
    }
    if let Some(pass) = &d.passphrase_file {
        words.extend(absolute("--passphrase-file", pass)?);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// restore_command names the key files, absolute and quoted for the shell and
    /// for postgresql.conf: a path with a space and a quote stays one word.
    #[test]
    fn restore_command_gets_the_identity_paths_quoted_and_never_their_contents() {
        let tmp = tempfile::tempdir().unwrap();
        let keys = DecryptArgs {
            identity: vec!["/k/it's key.txt".into(), "rel.txt".into()],
            passphrase_file: Some("/k/pass".into()),
        };
        let words = identity_flags(&keys).unwrap();
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(words[..2], ["--identity", "/k/it's key.txt"]);
        assert_eq!(words[3], cwd.join("rel.txt").display().to_string());
        assert_eq!(words[4..], ["--passphrase-file", "/k/pass"]);
        let p = crate::Args::parse_from([
            "pra-restore",
            "--repo",
            "/r",
            "--physical",
            "--pgdata",
            "/x",
        ])
        .physical;
        crate::physical::write_recovery_config(tmp.path(), &p, ("/r", "main", &words[..2]), "id")
            .unwrap();
        let auto = std::fs::read_to_string(tmp.path().join("postgresql.auto.conf")).unwrap();
        let line = auto.lines().find(|l| l.starts_with("restore_command"));
        assert_eq!(
            line,
            Some(
                r"restore_command = 'pra-wal fetch --repo /r --stanza main --identity ''/k/it''\''''s key.txt'' %f %p'"
            )
        );
    }
}
