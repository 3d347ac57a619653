//! The Prometheus exposition parser the status tests read `--prometheus` files with
//! is strict: what it accepts is what node_exporter's textfile collector accepts.

use crate::common::*;

#[test]
fn the_exposition_parser_is_strict() {
    let ok = "# HELP a x\n# TYPE a gauge\na{l=\"q\\\"\\\\\\n\"} 1.5\na 2\n";
    let p = parse_exposition(ok);
    assert_eq!(series(&p, "a", &[("l", "q\"\\\n")]), Some(1.5));
    for bad in [
        "# TYPE a gauge\na 1\n",                        // no HELP
        "# HELP a x\na 1\n",                            // no TYPE
        "# HELP a x\n# TYPE a gauge\na 1\na 2\n",       // duplicate series
        "# HELP a x\n# TYPE a gauge\na{l=q} 1\n",       // unquoted value
        "# HELP a x\n# TYPE a gauge\na{l=\"\\x\"} 1\n", // bad escape
        "# HELP a x\n# TYPE a gauge\na one\n",          // bad value
        "# HELP a x\n# TYPE a gauge\na 1",              // no final newline
        "# HELP a x\n# TYPE a gauge\n# HELP b y\n# TYPE b gauge\nb 1\na 1\n", // a not together
        "# HELP 1a x\n# TYPE 1a gauge\n1a 1\n",         // bad name
    ] {
        assert!(
            std::panic::catch_unwind(|| parse_exposition(bad)).is_err(),
            "accepted {bad:?}"
        );
    }
}
