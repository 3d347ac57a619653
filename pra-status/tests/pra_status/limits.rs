//! Durations too large for a deadline are usage errors at parse time (issue 22,
//! item 13): `--timeout 9999999999999999999s` panicked with "overflow when adding
//! duration to instant" once the checks started.

use pra_testkit::tool;

#[test]
fn huge_durations_are_usage_errors() {
    for (flag, value) in [
        ("--timeout", "9999999999999999999s"),
        ("--http-timeout", "18446744073709551615s"),
        ("--rpo", "36501d"),
        ("--verify-max-age", "99999999999999999999999s"),
    ] {
        tool(env!("CARGO_BIN_EXE_pra-status"))
            .args(["-d", "app", flag, value])
            .stdin(Vec::new())
            .run()
            .code_is(3) // UNKNOWN: pra-status speaks the monitoring-plugin convention
            .bad_flag(flag);
    }
}
