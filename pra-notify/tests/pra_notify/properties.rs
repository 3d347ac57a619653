//! Property tests of the `--only-changes` state file (issue 22, "Must show"): any
//! bytes in the file load without a panic, and what `save` writes `load` reads back.

use pra_core::event::Status;
use pra_notify::state::{Problem, State};
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn problem() -> impl Strategy<Value = Problem> {
    (
        prop_oneof![Just(Status::Ok), Just(Status::Warn), Just(Status::Error)],
        any::<String>(),
        any::<String>(),
    )
        .prop_map(|(status, since, message)| Problem {
            status,
            since,
            message,
        })
}

/// A JSON-ish text: mostly valid state shapes with damaged values, sometimes noise.
fn state_text() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..400),
        (any::<u32>(), "[a-z/:-]{0,12}", any::<String>(), any::<i64>()).prop_map(
            |(v, key, s, n)| format!(
                r#"{{"version":{v},"problems":{{"{key}":{{"status":{s:?},"since":{n},"message":null}}}}}}"#
            )
            .into_bytes()
        ),
        Just(b"{\"problems\":[]}".to_vec()),
        Just(b"null".to_vec()),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_state_file_loads_or_is_refused_without_a_panic(text in state_text()) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify.state");
        std::fs::write(&path, &text).unwrap();
        let _ = State::load(&path);
    }

    #[test]
    fn saved_state_loads_back_equal(
        problems in prop::collection::btree_map(any::<String>(), problem(), 0..6)
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify.state");
        let state = State { version: 1, problems };
        state.save(&path).unwrap();
        let back = State::load(&path).unwrap();
        prop_assert_eq!(back.problems, state.problems);
    }
}
