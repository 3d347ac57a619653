//! Every duration flag of every tool refuses a value too large for a deadline, and
//! every worker count has a range (issue 22, item 13). Found by asking each flag's
//! own value parser, so that a flag added later with its own parser is caught too.

/// Whether `arg`'s value parser takes `value` (asked through a command of its own, so
/// that the tool's required flags and conflicts play no part).
fn accepts(arg: &clap::Arg, value: &str) -> bool {
    let probe = clap::Arg::new("v")
        .long("v")
        .value_parser(arg.get_value_parser().clone());
    clap::Command::new("t")
        .arg(probe)
        .try_get_matches_from(["t", "--v", value])
        .is_ok()
}

#[test]
fn every_duration_flag_refuses_huge_values() {
    let mut durations = Vec::new();
    for mut cmd in pra_docgen::commands() {
        cmd.build();
        for arg in cmd.get_arguments() {
            // A duration parser: takes `90s` and `1h`, refuses words.
            if !(accepts(arg, "90s") && accepts(arg, "1h")) || accepts(arg, "soonish") {
                continue;
            }
            let name = format!("{} --{}", cmd.get_name(), arg.get_id());
            for huge in ["9999999999999999999s", "18446744073709551615s", "36501d"] {
                assert!(!accepts(arg, huge), "{name} accepts {huge}");
            }
            assert!(accepts(arg, "30d"), "{name} refuses 30d");
            durations.push(name);
        }
    }
    // The detection must find the flags the issue named, or it proves nothing.
    for named in [
        "pra-backup --wait",
        "pra-rotate --lock_wait",
        "pra-notify --max_wait",
        "pra-status --timeout",
        "pra-backup --stall_timeout",
        "pra-restore --since",
        "pra-loadtest --duration",
        "pra-report --rpo",
    ] {
        assert!(
            durations.iter().any(|d| d == named),
            "{named} not found in {durations:?}"
        );
    }
}

#[test]
fn worker_counts_are_range_checked() {
    let counts = [
        ("pra-backup", "threads"),
        ("pra-verify", "jobs"),
        ("pra-restore", "jobs"),
        ("pra-loadtest", "clients"),
    ];
    for (tool, flag) in counts {
        let mut cmd = pra_docgen::commands()
            .into_iter()
            .find(|c| c.get_name() == tool)
            .unwrap();
        cmd.build();
        let arg = cmd.get_arguments().find(|a| a.get_id() == flag).unwrap();
        assert!(accepts(arg, "2"), "{tool} --{flag} 2");
        assert!(!accepts(arg, "100000"), "{tool} --{flag} 100000");
    }
}
