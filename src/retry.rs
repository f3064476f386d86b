//! When to retry a failed tile and how long to wait: bounded exponential backoff with jitter.
//!
//! Every tile makes at most [`RetryPolicy::attempts`] requests, and the delays grow, so a tile
//! server that falls over is never hit by a retry storm; while it is down, one probe at a time
//! checks whether it is back (see `src/map/tile_layer.rs`).

/// How a layer retries tile requests. Set in config.json under `tiles.retry`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Requests per tile, the first included.
    pub attempts: u32,
    /// The wait before the first retry, doubled for each further one.
    pub base_delay_ms: u32,
    /// No wait is longer than this (also the slowest probe rate while the server is down).
    pub max_delay_ms: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { attempts: 4, base_delay_ms: 500, max_delay_ms: 10_000 }
    }
}

impl RetryPolicy {
    /// The wait before request number `attempt + 1` of a tile (`attempt` requests have failed),
    /// or `None` when the tile has used all its attempts. `unit_random` in 0..1 spreads the
    /// retries of many tiles over the second half of the backoff window ("equal jitter"), so they
    /// do not arrive together.
    pub fn delay_after(&self, attempt: u32, unit_random: f64) -> Option<u32> {
        if attempt == 0 || attempt >= self.attempts {
            return None;
        }
        Some(self.backoff(attempt - 1, unit_random))
    }

    /// The wait before probe number `probe` (from 0) while the server is down: the same curve,
    /// never giving up, never faster than the cap allows.
    pub fn probe_delay(&self, probe: u32, unit_random: f64) -> u32 {
        self.backoff(probe, unit_random)
    }

    fn backoff(&self, step: u32, unit_random: f64) -> u32 {
        let window = u64::from(self.base_delay_ms)
            .saturating_mul(1u64 << step.min(20))
            .min(u64::from(self.max_delay_ms));
        let jitter = unit_random.clamp(0.0, 1.0);
        (window as f64 * (0.5 + 0.5 * jitter)).round() as u32
    }
}

/// What a tile response means for retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx: drawn (204 is an empty tile).
    Loaded,
    /// No response, a timeout, overload or a server error: may work later.
    Retry,
    /// A 4xx such as 404: asking again gives the same answer.
    GiveUp,
}

pub fn classify(status: Option<u16>) -> Outcome {
    match status {
        None => Outcome::Retry,
        Some(200..=299) => Outcome::Loaded,
        Some(408 | 425 | 429 | 500..=599) => Outcome::Retry,
        Some(_) => Outcome::GiveUp,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_and_attempts_are_bounded() {
        let policy = RetryPolicy { attempts: 6, base_delay_ms: 500, max_delay_ms: 3_000 };
        let full: Vec<Option<u32>> = (0..8).map(|a| policy.delay_after(a, 1.0)).collect();
        assert_eq!(full, vec![None, Some(500), Some(1_000), Some(2_000), Some(3_000), Some(3_000), None, None]);
        let least: Vec<Option<u32>> = (1..6).map(|a| policy.delay_after(a, 0.0)).collect();
        assert_eq!(least, vec![Some(250), Some(500), Some(1_000), Some(1_500), Some(1_500)]);
    }

    #[test]
    fn a_tile_never_makes_more_requests_than_its_attempts() {
        let policy = RetryPolicy::default();
        let mut requests = 1;
        while policy.delay_after(requests, 0.5).is_some() {
            requests += 1;
        }
        assert_eq!(requests, policy.attempts);
    }

    #[test]
    fn jitter_spreads_retries_within_the_window() {
        let policy = RetryPolicy::default();
        let delays: Vec<u32> = (0..=10).map(|i| policy.delay_after(2, f64::from(i) / 10.0).unwrap_or(0)).collect();
        assert_eq!((delays[0], delays[10]), (500, 1_000));
        assert!(delays.windows(2).all(|w| w[0] <= w[1]));
        // Out-of-range randomness cannot push a delay outside the window.
        assert_eq!(policy.delay_after(2, 7.0), Some(1_000));
        assert_eq!(policy.delay_after(2, f64::NAN).map(|d| d <= 1_000), Some(true));
    }

    #[test]
    fn probes_never_stop_and_never_exceed_the_cap() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.probe_delay(0, 1.0), 500);
        assert_eq!(policy.probe_delay(50, 1.0), policy.max_delay_ms);
        assert_eq!(policy.probe_delay(u32::MAX, 1.0), policy.max_delay_ms);
    }

    #[test]
    fn statuses_are_classified() {
        assert_eq!(classify(Some(200)), Outcome::Loaded);
        assert_eq!(classify(Some(204)), Outcome::Loaded);
        assert_eq!(classify(None), Outcome::Retry);
        for status in [408, 429, 500, 502, 503, 504] {
            assert_eq!(classify(Some(status)), Outcome::Retry, "{status}");
        }
        for status in [400, 401, 403, 404, 410] {
            assert_eq!(classify(Some(status)), Outcome::GiveUp, "{status}");
        }
    }
}
