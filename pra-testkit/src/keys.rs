//! A throwaway SSH key pair for the encryption tests (age SSH recipients): generated
//! for these tests with `ssh-keygen -t ed25519 -N ''`, it protects nothing.

/// The private key (OpenSSH format, no passphrase): an age identity.
pub const SSH_TEST_KEY: &str = "-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACBlX8NBklYq9AVS6fYVL69eX32Q4HzYRjT0AYvVw3xhVgAAAJABja5uAY2u
bgAAAAtzc2gtZWQyNTUxOQAAACBlX8NBklYq9AVS6fYVL69eX32Q4HzYRjT0AYvVw3xhVg
AAAEA/cneE8A0zfWLZ6tyxNlhBl3KtC5xlZZ7IjCG98sK3R2Vfw0GSVir0BVLp9hUvr15f
fZDgfNhGNPQBi9XDfGFWAAAACHByYS10ZXN0AQIDBAU=
-----END OPENSSH PRIVATE KEY-----
";

/// Its public key: an age recipient (`pra-backup --encrypt-to`).
pub const SSH_TEST_PUB: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGVfw0GSVir0BVLp9hUvr15ffZDgfNhGNPQBi9XDfGFW pra-test";

/// A new age identity made by age-keygen (as docs/SECURITY.md says) in `dir/name`:
/// its file and public key. Panics when the age tool is missing (Debian package
/// `age`; scripts/test.sh installs it).
pub fn age_keygen(dir: &std::path::Path, name: &str) -> (std::path::PathBuf, String) {
    let path = dir.join(name);
    let run = |args: &[&std::ffi::OsStr]| {
        let out = std::process::Command::new("age-keygen")
            .args(args)
            .output()
            .expect("age-keygen (Debian package age; scripts/test.sh installs it)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    run(&["-o".as_ref(), path.as_os_str()]);
    let public = run(&["-y".as_ref(), path.as_os_str()]);
    (path, String::from_utf8_lossy(&public).trim().to_string())
}
