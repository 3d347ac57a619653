//! Encrypted stored files end to end through a local repository: the three kinds of
//! keys, wrong and missing keys, a flipped ciphertext byte, and the age CLI.

use super::*;
use crate::codec::{Codec, EncodeOptions};
use crate::exit::ExitStatus;
use crate::fetch::{check_key, fetch_file, FetchError};
use crate::manifest::{FileRole, Manifest, ManifestFile};
use crate::repo::Repository;
use age::secrecy::ExposeSecret;
use pra_testkit::keys::{SSH_TEST_KEY as SSH_KEY, SSH_TEST_PUB as SSH_PUB};
use std::io::Write;
use std::process::Command;
use std::sync::Mutex;

/// The identities are process-wide: tests that install them take turns.
pub(crate) static KEYS: Mutex<()> = Mutex::new(());

fn data() -> Vec<u8> {
    (0..(crate::codec::frames::FRAME + 300_000) as u32)
        .map(|i| ((i / 7) ^ (i >> 11)) as u8)
        .collect()
}

struct Stored {
    _dir: tempfile::TempDir,
    repo: Repository,
    manifest: Manifest,
    path: std::path::PathBuf,
}

/// One file encoded with `opts`, encrypted to `to`, as a complete backup.
fn store(data: &[u8], opts: EncodeOptions, to: &Recipients) -> Stored {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::open(dir.path().to_str().unwrap()).unwrap();
    let id = repo.new_backup("app", crate::time::now()).unwrap();
    let name = "dump.pgc.zst.age";
    let mut enc = seal(repo.create_file("app", &id, name).unwrap(), opts, Some(to)).unwrap();
    enc.write_all(data).unwrap();
    let (staged, d) = enc.finish().unwrap();
    staged.commit().unwrap();
    let mut m = crate::manifest::tests::sample(&id);
    m.files = vec![ManifestFile::from_digests(
        name,
        FileRole::Dump,
        opts.codec,
        Some(to.record()),
        &d,
    )];
    repo.write_manifest(&m).unwrap();
    let path = dir.path().join(format!("app/backup/{id}/{name}"));
    Stored {
        _dir: dir,
        repo,
        manifest: m,
        path,
    }
}

fn fetch(s: &Stored) -> Result<Vec<u8>, FetchError> {
    let mut out = Vec::new();
    fetch_file(&s.repo, &s.manifest, &s.manifest.files[0], &mut out).map(|_| out)
}

/// An age identity file in `dir`, and its public key.
pub(crate) fn age_key(dir: &Path) -> (PathBuf, String) {
    let id = age::x25519::Identity::generate();
    let path = dir.join(format!("key-{}.txt", &id.to_public().to_string()[4..16]));
    std::fs::write(
        &path,
        format!("# test\n{}\n", id.to_string().expose_secret()),
    )
    .unwrap();
    (path, id.to_public().to_string())
}

fn install_files(ids: &[PathBuf], pass: Option<&Path>) {
    install(Identities::load(ids, pass).unwrap());
}

#[test]
fn x25519_ssh_and_passphrase_round_trip_in_framed_and_stream_files() {
    let _g = KEYS.lock().unwrap_or_else(|e| e.into_inner());
    let keys = tempfile::tempdir().unwrap();
    let (age_id, age_pub) = age_key(keys.path());
    let ssh_id = keys.path().join("id_ed25519");
    std::fs::write(&ssh_id, SSH_KEY).unwrap();
    let pass = keys.path().join("pass");
    std::fs::write(&pass, "correct horse battery staple\n").unwrap();
    let raw = data();
    let cases: [(Vec<String>, Option<&Path>, Vec<PathBuf>); 3] = [
        (vec![age_pub.clone()], None, vec![age_id.clone()]),
        (
            vec![SSH_PUB.to_string(), age_pub.clone()],
            None,
            vec![ssh_id.clone()],
        ),
        (vec![], Some(&pass), vec![]),
    ];
    for (to, pass_file, ids) in cases {
        let recipients = Recipients::load(&to, pass_file).unwrap().unwrap();
        for threads in [2, 0] {
            let opts = EncodeOptions {
                threads,
                ..EncodeOptions::default()
            };
            let s = store(&raw, opts, &recipients);
            let stored = std::fs::read(&s.path).unwrap();
            assert!(stored.starts_with(b"age-encryption.org/v1\n"), "{to:?}");
            assert!(zstd::stream::decode_all(&stored[..]).is_err(), "not zstd");
            install_files(&ids, pass_file);
            check_key(&s.repo, &s.manifest, &s.manifest.files[0]).unwrap();
            assert!(fetch(&s).unwrap() == raw, "{to:?} threads {threads}");
            install(None);
        }
        let record = recipients.record();
        assert_eq!(record.scheme, "age");
        assert_eq!(record.recipients.len(), to.len().max(1));
        let json = serde_json::to_string(&record).unwrap();
        assert!(
            !json.contains("AGE-SECRET") && !json.contains("horse"),
            "{json}"
        );
    }
    let fp = fingerprint("x25519", &age_pub);
    assert!(fp.starts_with("x25519:sha256:") && fp.len() == "x25519:sha256:".len() + 32);
    let ssh = Recipients::load(&[SSH_PUB.into()], None).unwrap().unwrap();
    assert!(ssh.record().recipients[0].starts_with("ssh-ed25519:sha256:"));
}

#[test]
fn wrong_and_missing_identity_are_key_errors_and_a_flipped_byte_is_corrupt() {
    let _g = KEYS.lock().unwrap_or_else(|e| e.into_inner());
    let keys = tempfile::tempdir().unwrap();
    let (_, right_pub) = age_key(keys.path());
    let (wrong_id, _) = age_key(keys.path());
    let to = Recipients::load(&[right_pub], None).unwrap().unwrap();
    let s = store(&data(), EncodeOptions::default(), &to);
    let file = &s.manifest.files[0];

    install(None);
    let e = check_key(&s.repo, &s.manifest, file).unwrap_err();
    assert_eq!(e.class(), crate::error_class::ErrorClass::Key, "{e}");
    assert!(e.to_string().contains("--identity"), "{e}");

    install_files(&[wrong_id], None);
    let e = fetch(&s).unwrap_err();
    assert_eq!(e.class(), crate::error_class::ErrorClass::Key, "{e}");
    assert!(e.to_string().contains("none of the identities"), "{e}");
    assert!(!e.to_string().contains("AGE-SECRET"), "{e}");
    install(None);

    // A flipped ciphertext byte: with the right key it fails to decrypt, and the
    // stored sha256 names the cause.
    let (right_id, right_pub) = age_key(keys.path());
    let to = Recipients::load(&[right_pub], None).unwrap().unwrap();
    let s = store(&data(), EncodeOptions::default(), &to);
    let mut bytes = std::fs::read(&s.path).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x01;
    std::fs::write(&s.path, &bytes).unwrap();
    install_files(&[right_id], None);
    let e = fetch(&s).unwrap_err();
    install(None);
    assert_eq!(e.class(), crate::error_class::ErrorClass::Corrupt, "{e}");
    assert!(e.to_string().contains("stored sha256"), "{e}");
}

#[test]
fn bad_key_files_are_configuration_errors_naming_no_secret() {
    let keys = tempfile::tempdir().unwrap();
    let bad = keys.path().join("bad");
    std::fs::write(&bad, "AGE-SECRET-KEY-1NOTAKEY\n").unwrap();
    let e = Identities::load(&[bad], None).unwrap_err();
    assert!(
        e.to_string().contains("line 1") && !e.to_string().contains("NOTAKEY"),
        "{e}"
    );
    assert_eq!(e.class(), crate::error_class::ErrorClass::Config);
    assert!(Recipients::load(&["age1nope".into()], None).is_err());
    assert!(Recipients::load(&["hello".into()], None).is_err());
    let pass = keys.path().join("pass");
    std::fs::write(&pass, "x\n").unwrap();
    assert!(Recipients::load(&[SSH_PUB.into()], Some(&pass)).is_err());
    std::fs::write(&pass, "\n").unwrap();
    assert!(Recipients::load(&[], Some(&pass)).is_err());
    assert!(Recipients::load(&[], None).unwrap().is_none());
}

/// pra's files are standard age: the age command-line tool decrypts ours, and a
/// file the age tool encrypted is read by pra.
#[test]
fn age_cli_reads_what_pra_writes_and_pra_reads_what_age_writes() {
    let _g = KEYS.lock().unwrap_or_else(|e| e.into_inner());
    let keys = tempfile::tempdir().unwrap();
    let (id, public) = age_key(keys.path());
    let to = Recipients::load(std::slice::from_ref(&public), None)
        .unwrap()
        .unwrap();
    let raw = data();
    let s = store(&raw, EncodeOptions::default(), &to);
    let out = Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(&id)
        .arg(&s.path)
        .output()
        .expect("the age command-line tool (Debian package age; scripts/test.sh installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(zstd::stream::decode_all(&out.stdout[..]).unwrap() == raw);

    // The other way: zstd by pra's encoder, encrypted by the age tool.
    let compressed = zstd::stream::encode_all(&raw[..], 3).unwrap();
    let plain = keys.path().join("plain.zst");
    std::fs::write(&plain, &compressed).unwrap();
    let status = Command::new("age")
        .args(["-e", "-r", &public, "-o"])
        .arg(&s.path)
        .arg(&plain)
        .status()
        .unwrap();
    assert!(status.success());
    let mut m = s.manifest.clone();
    let d = crate::codec::digest_of(std::fs::File::open(&s.path).unwrap()).unwrap();
    m.files[0].stored_bytes = d.bytes;
    m.files[0].stored_sha256 = d.sha256;
    m.files[0].codec = Codec::Zstd;
    let s = Stored { manifest: m, ..s };
    install_files(&[id], None);
    let got = fetch(&s);
    install(None);
    assert!(got.unwrap() == raw);
}

/// Decoding does not hash the ciphertext (see stream.rs): a flipped byte in a file
/// whose manifest was edited to match it is still found, by age's authentication,
/// framed or not.
#[test]
fn a_flipped_byte_matching_an_edited_manifest_fails_authentication() {
    let _g = KEYS.lock().unwrap_or_else(|e| e.into_inner());
    let keys = tempfile::tempdir().unwrap();
    let (id, public) = age_key(keys.path());
    let to = Recipients::load(&[public], None).unwrap().unwrap();
    install_files(&[id], None);
    for threads in [2, 0] {
        let opts = EncodeOptions {
            threads,
            ..EncodeOptions::default()
        };
        let s = store(&data(), opts, &to);
        let d = fetch_file(
            &s.repo,
            &s.manifest,
            &s.manifest.files[0],
            &mut std::io::sink(),
        )
        .unwrap();
        assert!(d.stored.sha256.is_empty(), "the ciphertext was hashed");
        assert_eq!(d.stored.bytes, s.manifest.files[0].stored_bytes);
        // Without the stored sha256, the raw one is the content check, framed or not.
        assert_eq!(d.raw.sha256, s.manifest.files[0].raw_sha256, "{threads}");
        let mut bytes = std::fs::read(&s.path).unwrap();
        let at = bytes.len() / 3;
        bytes[at] ^= 0x04;
        std::fs::write(&s.path, &bytes).unwrap();
        let mut m = s.manifest.clone();
        m.files[0].stored_sha256 = crate::codec::digest_of(&bytes[..]).unwrap().sha256;
        let s = Stored { manifest: m, ..s };
        let e = fetch(&s).unwrap_err();
        assert_eq!(e.class(), crate::error_class::ErrorClass::Corrupt, "{e}");
        let e = e.to_string();
        assert!(
            e.starts_with("dump.pgc.zst.age: ") && e.contains("age decryption failed"),
            "threads {threads}: {e}"
        );
    }
    install(None);
}
