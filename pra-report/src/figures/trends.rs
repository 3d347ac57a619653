//! Backup size and duration over the period: first and last size, growth per day
//! (least-squares slope), mean, longest and last duration.

use pra_core::event::kinds::TrendFigures;

/// One successful backup, as the trends and the charts see it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BackupPoint {
    /// When it completed, in ms.
    pub at: i64,
    /// Stored bytes.
    pub stored_bytes: u64,
    /// Wall time.
    pub duration_s: f64,
}

const DAY_MS: f64 = 86_400_000.0;

/// The trends of backups sorted by time.
pub fn figures(points: &[BackupPoint]) -> TrendFigures {
    let n = points.len();
    let mut f = TrendFigures {
        backups: n as u64,
        first_stored_bytes: points.first().map(|p| p.stored_bytes),
        last_stored_bytes: points.last().map(|p| p.stored_bytes),
        last_duration_s: points.last().map(|p| p.duration_s),
        ..Default::default()
    };
    if n == 0 {
        return f;
    }
    let nf = n as f64;
    f.mean_duration_s = Some(points.iter().map(|p| p.duration_s).sum::<f64>() / nf);
    f.max_duration_s = points.iter().map(|p| p.duration_s).reduce(f64::max);
    if n >= 2 {
        // Days since the first backup keep the sums small and exact enough.
        let t0 = points[0].at;
        let xs: Vec<f64> = points.iter().map(|p| (p.at - t0) as f64 / DAY_MS).collect();
        let ys: Vec<f64> = points.iter().map(|p| p.stored_bytes as f64).collect();
        let (mx, my) = (xs.iter().sum::<f64>() / nf, ys.iter().sum::<f64>() / nf);
        let sxx: f64 = xs.iter().map(|x| (x - mx) * (x - mx)).sum();
        let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
        f.stored_bytes_per_day = (sxx > 0.0).then(|| sxy / sxx);
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_per_day_is_the_slope() {
        let day = 86_400_000;
        let pts: Vec<BackupPoint> = (0..10)
            .map(|i| BackupPoint {
                at: i * day,
                stored_bytes: 1000 + 50 * i as u64,
                duration_s: if i == 3 { 40.0 } else { 10.0 },
            })
            .collect();
        let f = figures(&pts);
        assert_eq!(f.backups, 10);
        assert_eq!(
            (f.first_stored_bytes, f.last_stored_bytes),
            (Some(1000), Some(1450))
        );
        assert!((f.stored_bytes_per_day.unwrap() - 50.0).abs() < 1e-9);
        assert_eq!(
            (f.mean_duration_s, f.max_duration_s, f.last_duration_s),
            (Some(13.0), Some(40.0), Some(10.0))
        );
        assert_eq!(figures(&pts[..1]).stored_bytes_per_day, None);
        assert_eq!(figures(&[]).mean_duration_s, None);
    }
}
