//! The encryption flags as clap groups: [`EncryptArgs`] for pra-backup, [`DecryptArgs`]
//! for the tools that read backups back. Keys are named by file, never given on the
//! command line (where `ps` shows them): a passphrase always comes from a file.

use super::{install, CryptError, Identities, Recipients};
use clap::Args;
use std::path::PathBuf;

/// How pra-backup encrypts the stored files (docs/SECURITY.md).
#[derive(Debug, Clone, Default, Args)]
pub struct EncryptArgs {
    /// Encrypt the stored files to this public key: an age X25519 key (age1…) or an SSH
    /// public key (ssh-ed25519 or ssh-rsa). Repeatable (any one matching identity
    /// decrypts); the manifest records the keys' fingerprints. The backup host needs
    /// no private key.
    #[arg(
        long = "encrypt-to",
        env = "PRA_ENCRYPT_TO",
        value_name = "RECIPIENT",
        value_delimiter = ','
    )]
    pub encrypt_to: Vec<String>,

    /// Encrypt the stored files with the passphrase on the first line of FILE (age's
    /// scrypt mode) instead of public keys. Whoever reads the file can read the backups.
    #[arg(
        long = "passphrase-file",
        env = "PRA_PASSPHRASE_FILE",
        value_name = "FILE",
        conflicts_with = "encrypt_to"
    )]
    pub passphrase_file: Option<PathBuf>,
}

impl EncryptArgs {
    /// The recipients (`None`: no encryption).
    pub fn load(&self) -> Result<Option<Recipients>, CryptError> {
        Recipients::load(&self.encrypt_to, self.passphrase_file.as_deref())
    }
}

/// The keys that open encrypted backups (docs/SECURITY.md).
#[derive(Debug, Clone, Default, Args)]
pub struct DecryptArgs {
    /// Identity file that opens encrypted backups: age identities (AGE-SECRET-KEY-1…,
    /// as age-keygen writes them) or an unencrypted SSH private key. Repeatable. Not
    /// needed for unencrypted backups.
    #[arg(
        long = "identity",
        env = "PRA_IDENTITY",
        value_name = "FILE",
        value_delimiter = ','
    )]
    pub identity: Vec<PathBuf>,

    /// Open backups encrypted with a passphrase (pra-backup --passphrase-file): the
    /// passphrase is the first line of FILE.
    #[arg(
        long = "passphrase-file",
        env = "PRA_PASSPHRASE_FILE",
        value_name = "FILE"
    )]
    pub passphrase_file: Option<PathBuf>,
}

impl DecryptArgs {
    /// Loads the identities and makes them this process's ([`super::install`]).
    pub fn install(&self) -> Result<(), CryptError> {
        install(Identities::load(
            &self.identity,
            self.passphrase_file.as_deref(),
        )?);
        Ok(())
    }
}
