//! The shared driver test suite (DESIGN.md, Repository, layer 1): the same cases on
//! every storage driver, so that a repository behaves alike on a path and in a bucket.
//! Each case works under its own prefix; call [`run_all`] on an empty storage.

use pra_core::repo::{LockHolder, LockMode, RepoError, Storage};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::time::Duration;

/// Runs every case on `storage` (empty), naming the driver in failures.
pub fn run_all(storage: &dyn Storage) {
    commit_makes_visible(storage);
    dropped_upload_leaves_nothing(storage);
    large_file_round_trips(storage);
    put_if_absent_has_one_winner(storage);
    ranged_get(storage);
    listing_is_complete_past_a_page(storage);
    delete_and_head(storage);
    reserve_dir_once(storage);
    locks_exclude(storage);
}

/// Nothing appears before the commit; after it, the object is complete.
pub fn commit_makes_visible(st: &dyn Storage) {
    let mut f = st.create("visible/b/data").unwrap();
    f.write_all(b"hello").unwrap();
    assert_eq!(
        st.size("visible/b/data").unwrap(),
        None,
        "{}",
        st.describe()
    );
    assert!(st.list_files("visible/b").unwrap().is_empty());
    assert_eq!(f.commit().unwrap(), 5);
    assert_eq!(st.size("visible/b/data").unwrap(), Some(5));
    assert_eq!(st.read("visible/b/data").unwrap(), b"hello");
    let names: Vec<_> = st.list_files("visible/b").unwrap();
    assert_eq!(names.len(), 1);
    assert_eq!((names[0].name.as_str(), names[0].size), ("data", 5));
    assert_eq!(st.list_dirs("visible").unwrap(), vec!["b".to_string()]);
    let tree: Vec<_> = st.list_tree("visible").unwrap();
    assert_eq!(tree.len(), 1);
    assert_eq!((tree[0].name.as_str(), tree[0].size), ("b/data", 5));
}

/// An upload dropped without a commit (an error, a kill) leaves no object.
pub fn dropped_upload_leaves_nothing(st: &dyn Storage) {
    let mut f = st.create("dropped/data").unwrap();
    // Past one multipart part, so object storage has started a multipart upload.
    let block = vec![7u8; 1 << 20];
    for _ in 0..17 {
        f.write_all(&block).unwrap();
    }
    drop(f);
    assert_eq!(st.size("dropped/data").unwrap(), None);
    assert!(st.list_files("dropped").unwrap().is_empty());
}

/// A file of several parts comes back byte for byte.
pub fn large_file_round_trips(st: &dyn Storage) {
    let mut f = st.create("large/data").unwrap();
    let mut want = Sha256::new();
    let mut len = 0u64;
    for i in 0..40u32 {
        // Not a multiple of any part size, and different in every block.
        let block: Vec<u8> = (0..(1 << 20) + 17)
            .map(|j: u32| (j.wrapping_mul(31) ^ i) as u8)
            .collect();
        want.update(&block);
        len += block.len() as u64;
        f.write_all(&block).unwrap();
    }
    assert_eq!(f.commit().unwrap(), len);
    let mut got = Sha256::new();
    let mut r = st.open("large/data").unwrap();
    let mut buf = vec![0u8; 64 << 10];
    let mut read = 0u64;
    loop {
        let n = r.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        read += n as u64;
        got.update(&buf[..n]);
    }
    assert_eq!(read, len);
    assert_eq!(got.finalize(), want.finalize(), "{}", st.describe());
}

/// Of several concurrent put-if-absent of one key, exactly one wins.
pub fn put_if_absent_has_one_winner(st: &dyn Storage) {
    let wins: Vec<bool> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|i| s.spawn(move || st.put_if_absent("pia/key", format!("{i}").as_bytes())))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap().unwrap())
            .collect()
    });
    assert_eq!(wins.iter().filter(|w| **w).count(), 1, "{wins:?}");
    let winner = wins.iter().position(|w| *w).unwrap();
    assert_eq!(st.read("pia/key").unwrap(), format!("{winner}").as_bytes());
    assert!(!st.put_if_absent("pia/key", b"again").unwrap());
}

/// A range inside, one past the end (clamped), one of a missing object.
pub fn ranged_get(st: &dyn Storage) {
    st.write("range/data", b"0123456789").unwrap();
    assert_eq!(st.read_range("range/data", 2..5).unwrap(), b"234");
    assert_eq!(st.read_range("range/data", 8..50).unwrap(), b"89");
    assert!(st.read_range("range/data", 20..30).unwrap().is_empty());
    assert!(matches!(
        st.read_range("range/missing", 0..1),
        Err(RepoError::NotFound(_))
    ));
}

/// A listing longer than one page of S3 (1000 keys) is complete; hidden names are not listed.
pub fn listing_is_complete_past_a_page(st: &dyn Storage) {
    std::thread::scope(|s| {
        for t in 0..4 {
            s.spawn(move || {
                for i in (t..1003).step_by(4) {
                    st.write(&format!("many/f{i:05}"), b"x").unwrap();
                }
            });
        }
    });
    st.write("many/.hidden", b"x").unwrap();
    let files = st.list_files("many").unwrap();
    assert_eq!(files.len(), 1003, "{}", st.describe());
    assert_eq!(files[0].name, "f00000");
    assert_eq!(files[1002].name, "f01002");
    assert_eq!(
        st.list_tree("")
            .unwrap()
            .iter()
            .filter(|f| f.name.starts_with("many/"))
            .count(),
        1003
    );
    assert_eq!(st.delete_prefix("many").unwrap(), 1004);
    assert!(st.list_files("many").unwrap().is_empty());
}

/// Delete is idempotent; head says present or not.
pub fn delete_and_head(st: &dyn Storage) {
    st.write("del/a", b"abc").unwrap();
    assert_eq!(st.size("del/a").unwrap(), Some(3));
    assert!(st.modified("del/a").unwrap().is_some());
    assert!(
        st.modified("del").unwrap().is_some(),
        "a prefix with objects has a time"
    );
    st.delete("del/a").unwrap();
    st.delete("del/a").unwrap();
    assert_eq!(st.size("del/a").unwrap(), None);
    assert!(matches!(st.open("del/a"), Err(RepoError::NotFound(_))));
}

/// A backup id is reserved once.
pub fn reserve_dir_once(st: &dyn Storage) {
    assert!(st
        .create_dir_exclusive("dirs/backup/20260101T000000Z")
        .unwrap());
    assert!(!st
        .create_dir_exclusive("dirs/backup/20260101T000000Z")
        .unwrap());
    assert_eq!(
        st.list_dirs("dirs/backup").unwrap(),
        vec!["20260101T000000Z".to_string()]
    );
    assert!(st
        .list_files("dirs/backup/20260101T000000Z")
        .unwrap()
        .is_empty());
}

/// Exclusive excludes everyone, shared excludes writers; the refusal names the holder;
/// a released lock is free again.
pub fn locks_exclude(st: &dyn Storage) {
    let a = LockHolder::this_process("pra-test-a");
    let b = LockHolder::this_process("pra-test-b");
    let w = st
        .lock("locks/s.lock", &a, LockMode::Exclusive, Duration::ZERO)
        .unwrap();
    match st.lock("locks/s.lock", &b, LockMode::Exclusive, Duration::ZERO) {
        Err(RepoError::Locked { holder, .. }) => assert!(holder.contains("pra-test-a"), "{holder}"),
        other => panic!("second writer: {:?}", other.map(|_| ())),
    }
    assert!(st
        .lock("locks/s.lock", &b, LockMode::Shared, Duration::ZERO)
        .is_err());
    drop(w);
    let r1 = st
        .lock("locks/s.lock", &a, LockMode::Shared, Duration::ZERO)
        .unwrap();
    let r2 = st
        .lock("locks/s.lock", &b, LockMode::Shared, Duration::ZERO)
        .unwrap();
    assert!(st
        .lock("locks/s.lock", &a, LockMode::Exclusive, Duration::ZERO)
        .is_err());
    drop((r1, r2));
    drop(
        st.lock("locks/s.lock", &b, LockMode::Exclusive, Duration::ZERO)
            .unwrap(),
    );
}

/// Object storage only: a live lease planted by another host is respected and named;
/// an expired one is taken over.
pub fn leases_expire(st: &dyn Storage) {
    use pra_core::repo::lease::Lease;
    let other = LockHolder {
        tool: "pra-backup".to_string(),
        pid: 4242,
        host: "elsewhere".to_string(),
        since: pra_core::time::now(),
    };
    let mut lease = Lease::new(&other, LockMode::Exclusive);
    st.write("leases/s.lock", &lease.to_json()).unwrap();
    let me = LockHolder::this_process("pra-test");
    match st.lock("leases/s.lock", &me, LockMode::Exclusive, Duration::ZERO) {
        Err(RepoError::Locked { holder, .. }) => {
            assert!(
                holder.contains("elsewhere") && holder.contains("4242"),
                "{holder}"
            )
        }
        other => panic!("a live lease was not respected: {:?}", other.map(|_| ())),
    }
    lease.expires_at = pra_core::time::now() - chrono::Duration::minutes(1);
    st.write("leases/s.lock", &lease.to_json()).unwrap();
    let g = st
        .lock("leases/s.lock", &me, LockMode::Exclusive, Duration::ZERO)
        .unwrap();
    let held: Lease = serde_json::from_slice(&st.read("leases/s.lock").unwrap()).unwrap();
    assert_eq!(held.holder, me, "the expired lease was taken over");
    drop(g);
    assert_eq!(st.size("leases/s.lock").unwrap(), None, "released on drop");
}
