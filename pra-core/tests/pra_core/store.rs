//! The shared storage-driver suite (pra-testkit's `store_suite`) on every driver:
//! the local filesystem, S3 (a real moto server) and Azure (Azurite), on 127.0.0.1.

use pra_core::repo::{LocalStorage, Storage};
use pra_testkit::{store_suite, AzuriteServer, S3Server};

#[test]
fn local_driver_passes_the_suite() {
    let dir = tempfile::tempdir().unwrap();
    let st = LocalStorage::new(dir.path().join("repo"));
    assert!(st.capabilities().process_locks);
    store_suite::run_all(&st);
}

#[test]
fn s3_driver_passes_the_suite() {
    let server = S3Server::start();
    let st = server.storage("suite");
    assert!(!st.capabilities().process_locks && st.capabilities().multipart);
    store_suite::run_all(&st);
    store_suite::leases_expire(&st);
}

#[test]
fn s3_prefixes_do_not_see_each_other() {
    let server = S3Server::start();
    let (a, b) = (server.storage("a"), server.storage("ab"));
    a.write("x/f", b"1").unwrap();
    assert!(
        b.list_dirs("").unwrap().is_empty(),
        "prefix ab must not list a/"
    );
    assert_eq!(b.size("x/f").unwrap(), None);
    assert_eq!(a.list_dirs("").unwrap(), vec!["x".to_string()]);
}

#[test]
fn azure_driver_passes_the_suite() {
    let server = AzuriteServer::start();
    let st = server.storage("suite");
    store_suite::run_all(&st);
    store_suite::leases_expire(&st);
}
