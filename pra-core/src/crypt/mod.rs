//! Encryption at rest with age (docs/SECURITY.md): the keys a backup is encrypted to
//! (pra-backup `--encrypt-to`, `--passphrase-file`) and the identities that read it
//! back (pra-restore, pra-verify, pra-loadtest `--identity`, `--passphrase-file`).
//!
//! A stored file is compressed, then encrypted in the standard age format, so that
//! `age -d -i key.txt FILE | zstd -d` gives the raw bytes. The manifest records only
//! the scheme and the recipients' fingerprints ([`Encryption`]); keys never leave
//! the files the operator named, and no key or passphrase is ever in an event or log.

pub mod args;
mod stream;
#[cfg(test)]
pub(crate) mod tests;

pub use stream::{seal, unseal, Sealed, StoredTap, Unsealed};

use age::secrecy::SecretString;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, RwLock};

/// The scheme recorded in manifests: the age format, version 1.
pub const SCHEME: &str = "age";
/// The fingerprint recorded for passphrase (scrypt) encryption.
pub const PASSPHRASE: &str = "passphrase";

/// What a manifest records of a file's encryption: never a key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Encryption {
    /// `age`: the standard age format.
    pub scheme: String,
    /// Fingerprints of the recipients (`x25519:sha256:…`, `ssh-ed25519:sha256:…`), or
    /// `passphrase`; see [`fingerprint`].
    pub recipients: Vec<String>,
}

/// Why keys cannot be loaded or do not open a file.
#[derive(Debug, thiserror::Error)]
pub enum CryptError {
    /// A recipient, identity or passphrase file that cannot be used (exit 2).
    #[error("{0}")]
    Config(String),
    /// No identity was given for an encrypted backup, or none opens it (exit 3).
    #[error("{0}")]
    Key(String),
}

impl crate::exit::ExitStatus for CryptError {
    fn class(&self) -> crate::error_class::ErrorClass {
        match self {
            CryptError::Config(_) => crate::error_class::ErrorClass::Config,
            CryptError::Key(_) => crate::error_class::ErrorClass::Key,
        }
    }
}

type BoxRecipient = Box<dyn age::Recipient + Send + Sync>;
type BoxIdentity = Box<dyn age::Identity + Send + Sync>;

/// The keys new backups are encrypted to.
pub struct Recipients {
    keys: Vec<BoxRecipient>,
    record: Encryption,
}

impl std::fmt::Debug for Recipients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Public keys only, but the fingerprints say enough.
        f.debug_struct("Recipients")
            .field("recipients", &self.record.recipients)
            .finish()
    }
}

/// The fingerprint of a public key as manifests record it: its kind and the first
/// 16 bytes of the sha256 of its text (for SSH keys, `type base64` without the
/// comment), so that `printf %s 'age1…' | sha256sum | cut -c1-32` finds it.
pub fn fingerprint(kind: &str, canonical: &str) -> String {
    let digest = crate::codec::hex(&Sha256::digest(canonical.as_bytes()));
    format!("{kind}:sha256:{}", &digest[..32])
}

fn parse_recipient(text: &str) -> Result<(BoxRecipient, String), CryptError> {
    let text = text.trim();
    if text.starts_with("age1") {
        let r = age::x25519::Recipient::from_str(text)
            .map_err(|e| CryptError::Config(format!("--encrypt-to: not an age public key: {e}")))?;
        let fp = fingerprint("x25519", &r.to_string());
        return Ok((Box::new(r), fp));
    }
    if text.starts_with("ssh-") {
        let r = age::ssh::Recipient::from_str(text).map_err(|e| {
            CryptError::Config(format!(
                "--encrypt-to: not a usable SSH public key (ssh-ed25519 or ssh-rsa): {e:?}"
            ))
        })?;
        let canonical = r.to_string();
        let kind = canonical.split(' ').next().unwrap_or("ssh").to_string();
        return Ok((Box::new(r), fingerprint(&kind, &canonical)));
    }
    Err(CryptError::Config(format!(
        "--encrypt-to: {:?} is neither an age public key (age1…) nor an SSH public key (ssh-ed25519 …)",
        text.chars().take(12).collect::<String>()
    )))
}

/// Reads a passphrase file: its first line, which must not be empty.
fn read_passphrase(path: &Path) -> Result<SecretString, CryptError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CryptError::Config(format!("--passphrase-file {}: {e}", path.display())))?;
    let line = text.lines().next().unwrap_or("");
    if line.is_empty() {
        return Err(CryptError::Config(format!(
            "--passphrase-file {}: the first line is empty",
            path.display()
        )));
    }
    Ok(SecretString::from(line.to_string()))
}

impl Recipients {
    /// The recipients of `--encrypt-to` (age or SSH public keys) or the passphrase of
    /// `--passphrase-file`; `None` when neither is given (no encryption).
    pub fn load(
        encrypt_to: &[String],
        passphrase_file: Option<&Path>,
    ) -> Result<Option<Recipients>, CryptError> {
        let mut keys: Vec<BoxRecipient> = Vec::new();
        let mut fingerprints = Vec::new();
        if let Some(path) = passphrase_file {
            if !encrypt_to.is_empty() {
                return Err(CryptError::Config(
                    "--passphrase-file and --encrypt-to cannot be combined (age encrypts a file to one or the other)".into(),
                ));
            }
            keys.push(Box::new(age::scrypt::Recipient::new(read_passphrase(
                path,
            )?)));
            fingerprints.push(PASSPHRASE.to_string());
        }
        for text in encrypt_to.iter().filter(|t| !t.trim().is_empty()) {
            let (key, fp) = parse_recipient(text)?;
            keys.push(key);
            fingerprints.push(fp);
        }
        if keys.is_empty() {
            return Ok(None);
        }
        Ok(Some(Recipients {
            keys,
            record: Encryption {
                scheme: SCHEME.to_string(),
                recipients: fingerprints,
            },
        }))
    }

    /// What the manifest records.
    pub fn record(&self) -> Encryption {
        self.record.clone()
    }

    pub(crate) fn encryptor(&self) -> Result<age::Encryptor, std::io::Error> {
        age::Encryptor::with_recipients(self.keys.iter().map(|k| k.as_ref() as &dyn age::Recipient))
            .map_err(|e| std::io::Error::other(format!("cannot encrypt: {e}")))
    }
}

/// The identities that open encrypted backups.
pub struct Identities {
    keys: Vec<BoxIdentity>,
    /// Where they came from, for error messages (paths, never contents).
    sources: Vec<String>,
}

impl std::fmt::Debug for Identities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identities")
            .field("sources", &self.sources)
            .finish()
    }
}

/// Parses an identity file: age identities (`AGE-SECRET-KEY-1…`, one a line, `#`
/// comments) or one unencrypted SSH private key. Errors name the file and a line
/// number, never its contents.
fn read_identity_file(path: &Path) -> Result<Vec<BoxIdentity>, CryptError> {
    let what = format!("--identity {}", path.display());
    let text =
        std::fs::read_to_string(path).map_err(|e| CryptError::Config(format!("{what}: {e}")))?;
    if text.trim_start().starts_with("-----BEGIN") {
        let id = age::ssh::Identity::from_buffer(BufReader::new(text.as_bytes()), None)
            .map_err(|e| CryptError::Config(format!("{what}: {e}")))?;
        return match id {
            age::ssh::Identity::Unencrypted(_) => Ok(vec![Box::new(id)]),
            age::ssh::Identity::Encrypted(_) => Err(CryptError::Config(format!(
                "{what}: the SSH key is protected by a passphrase; pra cannot prompt for it \
                 (use a key without one, kept readable only by the restoring user)"
            ))),
            age::ssh::Identity::Unsupported(_) => Err(CryptError::Config(format!(
                "{what}: unsupported SSH key type (use ssh-ed25519 or ssh-rsa)"
            ))),
        };
    }
    let mut keys: Vec<BoxIdentity> = Vec::new();
    for (n, line) in BufReader::new(text.as_bytes()).lines().enumerate() {
        let line = line.map_err(|e| CryptError::Config(format!("{what}: {e}")))?;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let id = age::x25519::Identity::from_str(line).map_err(|_| {
            CryptError::Config(format!(
                "{what}: line {} is not an age identity (AGE-SECRET-KEY-1…)",
                n + 1
            ))
        })?;
        keys.push(Box::new(id));
    }
    if keys.is_empty() {
        return Err(CryptError::Config(format!(
            "{what}: no identity in the file"
        )));
    }
    Ok(keys)
}

impl Identities {
    /// The identities of `--identity` files and the passphrase of `--passphrase-file`;
    /// `None` when neither is given.
    pub fn load(
        identity_files: &[PathBuf],
        passphrase_file: Option<&Path>,
    ) -> Result<Option<Identities>, CryptError> {
        let mut keys: Vec<BoxIdentity> = Vec::new();
        let mut sources = Vec::new();
        for path in identity_files {
            keys.extend(read_identity_file(path)?);
            sources.push(format!("--identity {}", path.display()));
        }
        if let Some(path) = passphrase_file {
            keys.push(Box::new(age::scrypt::Identity::new(read_passphrase(path)?)));
            sources.push(format!("--passphrase-file {}", path.display()));
        }
        if keys.is_empty() {
            return Ok(None);
        }
        Ok(Some(Identities { keys, sources }))
    }

    pub(crate) fn decrypt<R: Read>(
        &self,
        source: R,
        file: &str,
    ) -> Result<age::stream::StreamReader<R>, DecryptFailure> {
        let decryptor = age::Decryptor::new(source).map_err(DecryptFailure::Format)?;
        decryptor
            .decrypt(self.keys.iter().map(|k| k.as_ref() as &dyn age::Identity))
            .map_err(|e| match e {
                age::DecryptError::NoMatchingKeys
                | age::DecryptError::KeyDecryptionFailed
                | age::DecryptError::DecryptionFailed => {
                    DecryptFailure::Key(CryptError::Key(format!(
                        "{file}: none of the identities given ({}) opens it; it is encrypted to \
                         other keys (see the manifest's recipients)",
                        self.sources.join(", ")
                    )))
                }
                other => DecryptFailure::Format(other),
            })
    }
}

/// Why an age file does not open.
#[derive(Debug)]
pub(crate) enum DecryptFailure {
    /// The identities do not match.
    Key(CryptError),
    /// The file is not a valid age file (damaged header).
    Format(age::DecryptError),
}

/// The identities this process reads encrypted backups with, set once from the
/// command line ([`args::DecryptArgs::install`]); every reader of stored files
/// ([`crate::fetch`], pra-verify) asks here, so that no call chain has to carry keys.
static INSTALLED: RwLock<Option<Arc<Identities>>> = RwLock::new(None);

/// Sets the identities of this process (replacing any earlier ones).
pub fn install(ids: Option<Identities>) {
    if let Ok(mut slot) = INSTALLED.write() {
        *slot = ids.map(Arc::new);
    }
}

/// The identities of this process, if any were given.
pub fn installed() -> Option<Arc<Identities>> {
    INSTALLED.read().ok().and_then(|s| s.clone())
}

/// The error for an encrypted file read without any identity.
pub fn missing_identity(file: &str, enc: &Encryption) -> CryptError {
    CryptError::Key(format!(
        "{file} is encrypted ({} to {}); give the key with --identity FILE (PRA_IDENTITY) or \
         --passphrase-file FILE",
        enc.scheme,
        enc.recipients.join(", ")
    ))
}
