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
