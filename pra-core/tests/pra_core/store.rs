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

/// Issue 15: rotate and status list a stanza's backups more than once per run; on a
/// bucket of 2 000 backups each listing is several paginated requests. Within one
/// run the listings are made once, and made again once the run changed the store.
#[test]
fn s3_listings_of_2000_backups_are_made_once_per_run() {
    use pra_core::repo::Repository;
    let server = S3Server::start();
    let st = server.storage("many");
    let repo = Repository::with_storage(Box::new(st.clone())).unwrap();
    repo.init().unwrap();
    let start = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap();
    let ids: Vec<String> = (0..2000)
        .map(|i| {
            (start + chrono::Duration::hours(i))
                .format("%Y%m%dT%H%M%SZ")
                .to_string()
        })
        .collect();
    std::thread::scope(|s| {
        for part in ids.chunks(500) {
            let st = st.clone();
            s.spawn(move || {
                for id in part {
                    st.write(&format!("app/backup/{id}/manifest.json"), b"{}")
                        .unwrap();
                }
            });
        }
    });

    let before = st.list_requests();
    let t = std::time::Instant::now();
    let first = repo.backups("app").unwrap();
    let cold = t.elapsed();
    assert_eq!(first.len(), 2000);
    assert!(first.iter().all(|b| b.complete));
    let listed = st.list_requests() - before;
    assert!(listed <= 2, "{listed} listings for one stanza");
    let t = std::time::Instant::now();
    assert_eq!(repo.backups("app").unwrap().len(), 2000);
    assert_eq!(repo.stanzas().unwrap(), vec!["app".to_string()]);
    let warm = t.elapsed();
    assert_eq!(
        st.list_requests() - before,
        listed + 2,
        "the second listing of the backups came from the cache"
    );
    eprintln!("2000 backups: first listing {cold:?}, again (cached) {warm:?}");

    // A change made by the run is seen by its next listing.
    repo.delete_backup("app", &ids[0]).unwrap();
    let after = repo.backups("app").unwrap();
    assert_eq!(after.len(), 1999);
    assert!(after.iter().all(|b| b.id != ids[0]));
}
