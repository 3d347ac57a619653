//! The drill's encryption: the keys its backup is encrypted to (pra-backup's
//! `--encrypt-to`, `--passphrase-file`) and those its restore opens it with
//! (`--identity`, or the same passphrase), checked against each other before the
//! drill touches the server, so that a drill never loads a database, backs it up and
//! only then finds that it cannot read its own backup.

use crate::{Args, Error};
use pra_core::codec::{Codec, EncodeOptions};
use pra_core::crypt::{args::DecryptArgs, seal, unseal, Recipients};
use pra_core::fetch::FetchError;
use pra_core::manifest::{FileRole, ManifestFile};
use std::io::Write;
use std::sync::Arc;

/// The recipients of the drill's backup (`None`: not encrypted), with the identities
/// of its restore installed for this process. Encrypting without a way to decrypt is
/// a usage error; identities that do not open what the drill encrypts are a key error.
pub fn prepare(args: &Args) -> Result<Option<Arc<Recipients>>, Error> {
    let Some(recipients) = args.encrypt.load()? else {
        // Not encrypted: a PRA_IDENTITY set for pra-restore has nothing to open here.
        return Ok(None);
    };
    // The passphrase of --passphrase-file encrypts and decrypts alike.
    let decrypt = DecryptArgs {
        identity: args.identity.clone(),
        passphrase_file: args.encrypt.passphrase_file.clone(),
    };
    if decrypt.identity.is_empty() && decrypt.passphrase_file.is_none() {
        return Err(Error::Usage(
            "--encrypt-to needs --identity FILE (PRA_IDENTITY): the drill restores the \
             backup it encrypts, so it needs a private key of one of the recipients"
                .into(),
        ));
    }
    decrypt.install()?;
    check_opens(&recipients)?;
    Ok(Some(Arc::new(recipients)))
}

/// Encrypts a few bytes to `recipients` in memory and opens them with the installed
/// identities, as the restore will open the drill's backup.
fn check_opens(recipients: &Recipients) -> Result<(), Error> {
    let failed = |e: std::io::Error| Error::io("checking the drill's keys", e);
    let opts = EncodeOptions {
        codec: Codec::None,
        ..EncodeOptions::default()
    };
    let mut sealed = seal(Vec::new(), opts, Some(recipients)).map_err(failed)?;
    sealed
        .write_all(b"pra-loadtest key check")
        .map_err(failed)?;
    let (stored, digests) = sealed.finish().map_err(failed)?;
    let file = ManifestFile::from_digests(
        "the drill's backup",
        FileRole::Data,
        opts.codec,
        Some(recipients.record()),
        &digests,
    );
    // Opening the age header is where a key that does not match is found.
    match unseal(&file, Box::new(std::io::Cursor::new(stored))) {
        Ok(_) => Ok(()),
        Err(FetchError::Key(e)) => Err(Error::Key(e)),
        Err(e) => Err(Error::Backup(format!("checking the drill's keys: {e}"))),
    }
}
