//! WAL segment names as numbers: the gaps of an archive and the files retention may
//! delete, from names alone.

use super::is_hex;

/// The default WAL segment size (`initdb --wal-segsize` changes it).
pub const DEFAULT_SEGMENT_SIZE: u64 = 16 << 20;

/// A segment name as (timeline, segment number), for `segment_size`-byte segments.
pub fn parse_segment(name: &str, segment_size: u64) -> Option<(u32, u64)> {
    if !is_hex(name, 24) || segment_size == 0 {
        return None;
    }
    let tli = u32::from_str_radix(&name[..8], 16).ok()?;
    let log = u64::from_str_radix(&name[8..16], 16).ok()?;
    let seg = u64::from_str_radix(&name[16..], 16).ok()?;
    Some((tli, log * (0x1_0000_0000 / segment_size) + seg))
}

/// The name of segment `segno` of timeline `tli`.
pub fn segment_name(tli: u32, segno: u64, segment_size: u64) -> String {
    let per = 0x1_0000_0000 / segment_size.max(1);
    format!("{tli:08X}{:08X}{:08X}", segno / per, segno % per)
}

/// The segments of `from`'s timeline missing from `archived`, from `from` up to `to`
/// (inclusive), or up to the newest archived segment of that timeline when `to` is
/// `None`: the gaps that make a recovery through them stop early.
pub fn gaps(archived: &[String], from: &str, to: Option<&str>, segment_size: u64) -> Vec<String> {
    let Some((tli, first)) = parse_segment(from, segment_size) else {
        return Vec::new();
    };
    let have: std::collections::BTreeSet<u64> = archived
        .iter()
        .filter_map(|n| parse_segment(n, segment_size))
        .filter(|(t, _)| *t == tli)
        .map(|(_, s)| s)
        .collect();
    let last = match to.and_then(|t| parse_segment(t, segment_size)) {
        Some((_, s)) => s,
        None => have.iter().next_back().copied().unwrap_or(first),
    };
    (first..=last)
        .filter(|s| !have.contains(s))
        .map(|s| segment_name(tli, s, segment_size))
        .collect()
}

/// The segment a WAL file name belongs to (a segment, `.partial` or `.backup` file);
/// `None` for a `.history` file, which retention always keeps.
fn segment_of(name: &str) -> Option<&str> {
    let seg = name.get(..24)?;
    (is_hex(seg, 24) && !name.ends_with(".history")).then_some(seg)
}

/// The archived files no kept backup needs: those whose segment comes before the
/// start segment of every kept physical backup (`starts`, as segment names), on the
/// same or an older timeline. Timeline history files are always kept; with no
/// physical backup kept, nothing is prunable.
pub fn prunable(archived: &[String], starts: &[String], segment_size: u64) -> Vec<String> {
    let starts: Vec<(u32, u64)> = starts
        .iter()
        .filter_map(|s| parse_segment(s, segment_size))
        .collect();
    if starts.is_empty() {
        return Vec::new();
    }
    archived
        .iter()
        .filter(|name| {
            segment_of(name)
                .and_then(|seg| parse_segment(seg, segment_size))
                .is_some_and(|(t, s)| starts.iter().all(|&(bt, bs)| t < bt || (t == bt && s < bs)))
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_are_named_on_the_backup_timeline() {
        let mb16 = DEFAULT_SEGMENT_SIZE;
        assert_eq!(
            parse_segment("0000000100000001000000FF", mb16),
            Some((1, 0x1FF))
        );
        assert_eq!(segment_name(1, 0x200, mb16), "000000010000000200000000");
        let archived: Vec<String> = [
            "000000010000000000000002",
            "000000010000000000000003",
            "000000010000000000000005",
            "000000020000000000000009",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let from = "000000010000000000000002";
        assert!(gaps(&archived, from, Some("000000010000000000000003"), mb16).is_empty());
        assert_eq!(
            gaps(&archived, from, None, mb16),
            vec!["000000010000000000000004".to_string()]
        );
        assert_eq!(
            gaps(
                &archived,
                "0000000100000000000000FF",
                Some("000000010000000100000000"),
                mb16
            ),
            vec!["0000000100000000000000FF", "000000010000000100000000"]
        );
    }

    #[test]
    fn retention_keeps_what_the_oldest_kept_backup_needs() {
        let names: Vec<String> = [
            "000000010000000000000001",
            "000000010000000000000002.00000028.backup",
            "000000010000000000000003",
            "000000010000000000000004",
            "00000002.history",
            "000000010000000000000004.partial",
            "000000020000000000000004",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let starts = ["000000010000000000000003".to_string()];
        assert_eq!(
            prunable(&names, &starts, DEFAULT_SEGMENT_SIZE),
            vec![
                "000000010000000000000001".to_string(),
                "000000010000000000000002.00000028.backup".to_string()
            ]
        );
        assert!(
            prunable(&names, &[], DEFAULT_SEGMENT_SIZE).is_empty(),
            "no backup: keep all"
        );
        // A backup on timeline 2 does not need timeline 1 before it, but one on 1 does.
        let both = [
            "000000020000000000000004".to_string(),
            "000000010000000000000003".to_string(),
        ];
        assert_eq!(prunable(&names, &both, DEFAULT_SEGMENT_SIZE).len(), 2);
    }
}
