//! When to retry a failed tile and how long to wait: bounded exponential backoff with jitter, and
//! one retry budget for a whole layer ([`LayerHealth`]).
//!
//! Every tile makes at most [`RetryPolicy::attempts`] requests, and the delays grow; and the
//! layer as a whole goes down after that many failures in a row, whichever tiles they came from,
//! so a view of 24 tiles costs the server 24 requests when it falls over, not 24 × 4. While the
//! layer is down no tile asks; one probe at a time does, further apart each time (and no sooner
//! than a `Retry-After` says). When the server answers, the tiles come back after a random wait,
//! so the clients that noticed together do not return together (see `src/map/tile_layer.rs`,
//! which drives this with the browser's clock and randomness).

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
        RetryPolicy {
            attempts: 4,
            base_delay_ms: 500,
            max_delay_ms: 10_000,
        }
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

/// The longest a `Retry-After` is honoured for: a server asking for longer is probed then anyway.
pub const MAX_RETRY_AFTER_MS: u32 = 300_000;

/// The longest wait before a layer's tiles come back after an outage (spread over clients).
pub const MAX_RECOVERY_SPREAD_MS: u32 = 2_000;

/// After an outage, this many tile requests go out a few at a time (the tile layer's slots), so
/// a server that just came back is not asked for a whole view at once by every client. In normal
/// operation requests are not held back: that would slow every zoom.
pub const PACED_AFTER_OUTAGE: u32 = 48;

/// A failed request: its HTTP status (`None`: no answer) and `Retry-After`, if the server sent one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure {
    pub status: Option<u16>,
    pub retry_after_ms: Option<u32>,
}

/// What a tile does after a failed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Ask again after this many milliseconds.
    RetryIn(u32),
    /// Stop: asking again gives the same answer (404, not a tile).
    GiveUp,
    /// Stop: the server is down; the layer probes it and redraws when it is back. `newly` for the
    /// failure that took the layer down (it starts the probing).
    Down { newly: bool },
}

/// A layer's view of its tile server, shared by all its tiles: the one retry budget.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerHealth {
    policy: RetryPolicy,
    down: bool,
    /// Failures in a row, from any tiles, since the last answer.
    failures: u32,
    probes: u32,
    /// The server's last `Retry-After`, for the next wait.
    retry_after_ms: Option<u32>,
    /// Requests still to pace after the last outage.
    paced: u32,
}

impl LayerHealth {
    pub fn new(policy: RetryPolicy) -> Self {
        LayerHealth {
            policy,
            down: false,
            failures: 0,
            probes: 0,
            retry_after_ms: None,
            paced: 0,
        }
    }

    pub fn is_down(&self) -> bool {
        self.down
    }

    /// Whether tile requests should go out a few at a time: the layer is coming back from an
    /// outage ([`PACED_AFTER_OUTAGE`]).
    pub fn is_paced(&self) -> bool {
        self.paced > 0
    }

    /// Request number `attempt` (from 1) of a tile failed.
    pub fn tile_failed(&mut self, attempt: u32, failure: Failure, unit_random: f64) -> Next {
        if classify(failure.status) != Outcome::Retry {
            return Next::GiveUp;
        }
        if self.down {
            return Next::Down { newly: false };
        }
        self.failures += 1;
        // Overloaded and saying for how long: the whole layer waits that long.
        let asks_for_a_pause =
            matches!(failure.status, Some(429 | 503)) && failure.retry_after_ms.is_some();
        match self.policy.delay_after(attempt, unit_random) {
            Some(delay) if !asks_for_a_pause && self.failures < self.policy.attempts => {
                Next::RetryIn(delay)
            }
            _ => {
                self.go_down(failure.retry_after_ms);
                Next::Down { newly: true }
            }
        }
    }

    /// How long to wait before the next probe, while down: the backoff curve, never sooner than
    /// the server's last `Retry-After` (up to [`MAX_RETRY_AFTER_MS`]).
    pub fn next_probe_in(&mut self, unit_random: f64) -> u32 {
        let backoff = self.policy.probe_delay(self.probes, unit_random);
        self.probes = self.probes.saturating_add(1);
        backoff.max(
            self.retry_after_ms
                .take()
                .unwrap_or(0)
                .min(MAX_RETRY_AFTER_MS),
        )
    }

    /// A probe failed: still down (a `Retry-After` counts for the next wait). `false` if the
    /// failure says the server answers after all (a 404 is an answer).
    pub fn probe_failed(&mut self, failure: Failure) -> bool {
        if classify(failure.status) != Outcome::Retry {
            return false;
        }
        self.retry_after_ms = failure.retry_after_ms;
        true
    }

    /// The server answered. If the layer was down it is up again, and its tiles come back after
    /// the returned wait: random, up to [`MAX_RECOVERY_SPREAD_MS`] (or the policy's cap).
    pub fn answered(&mut self, unit_random: f64) -> Option<u32> {
        self.failures = 0;
        if !std::mem::replace(&mut self.down, false) {
            self.paced = self.paced.saturating_sub(1);
            return None;
        }
        self.probes = 0;
        self.paced = PACED_AFTER_OUTAGE;
        let spread = MAX_RECOVERY_SPREAD_MS.min(self.policy.max_delay_ms);
        Some((f64::from(spread) * unit_random.clamp(0.0, 1.0)).round() as u32)
    }

    fn go_down(&mut self, retry_after_ms: Option<u32>) {
        self.down = true;
        self.probes = 0;
        self.retry_after_ms = retry_after_ms;
    }
}

/// `Retry-After` as milliseconds: whole seconds (`120`); a date or anything else is ignored.
pub fn parse_retry_after(value: &str) -> Option<u32> {
    let seconds: u32 = value.trim().parse().ok()?;
    Some(seconds.saturating_mul(1000).min(MAX_RETRY_AFTER_MS))
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
        let policy = RetryPolicy {
            attempts: 6,
            base_delay_ms: 500,
            max_delay_ms: 3_000,
        };
        let full: Vec<Option<u32>> = (0..8).map(|a| policy.delay_after(a, 1.0)).collect();
        assert_eq!(
            full,
            vec![
                None,
                Some(500),
                Some(1_000),
                Some(2_000),
                Some(3_000),
                Some(3_000),
                None,
                None
            ]
        );
        let least: Vec<Option<u32>> = (1..6).map(|a| policy.delay_after(a, 0.0)).collect();
        assert_eq!(
            least,
            vec![Some(250), Some(500), Some(1_000), Some(1_500), Some(1_500)]
        );
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
        let delays: Vec<u32> = (0..=10)
            .map(|i| policy.delay_after(2, f64::from(i) / 10.0).unwrap_or(0))
            .collect();
        assert_eq!((delays[0], delays[10]), (500, 1_000));
        assert!(delays.windows(2).all(|w| w[0] <= w[1]));
        // Out-of-range randomness cannot push a delay outside the window.
        assert_eq!(policy.delay_after(2, 7.0), Some(1_000));
        assert_eq!(
            policy.delay_after(2, f64::NAN).map(|d| d <= 1_000),
            Some(true)
        );
    }

    #[test]
    fn probes_never_stop_and_never_exceed_the_cap() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.probe_delay(0, 1.0), 500);
        assert_eq!(policy.probe_delay(50, 1.0), policy.max_delay_ms);
        assert_eq!(policy.probe_delay(u32::MAX, 1.0), policy.max_delay_ms);
    }

    const DOWN: Failure = Failure {
        status: Some(503),
        retry_after_ms: None,
    };

    #[test]
    fn failures_from_any_tiles_share_one_budget() {
        let mut health = LayerHealth::new(RetryPolicy::default());
        // Three tiles fail once each: each may retry.
        for _ in 0..3 {
            assert!(matches!(health.tile_failed(1, DOWN, 0.5), Next::RetryIn(_)));
        }
        // The fourth failure in a row, from yet another tile, takes the layer down...
        assert_eq!(health.tile_failed(1, DOWN, 0.5), Next::Down { newly: true });
        // ...and every other tile stops instead of retrying.
        assert_eq!(
            health.tile_failed(2, DOWN, 0.5),
            Next::Down { newly: false }
        );
        assert!(health.is_down());
        // An answer brings it back (after a spread-out wait), and the budget is whole again.
        assert_eq!(health.answered(0.5), Some(1_000));
        assert_eq!(
            health.answered(0.5),
            None,
            "only the first answer after an outage"
        );
        assert!(matches!(health.tile_failed(1, DOWN, 0.5), Next::RetryIn(_)));
        // Coming back, requests are paced for a while; not before, not for ever.
        let mut paced = 0;
        while health.is_paced() {
            health.answered(0.5);
            paced += 1;
        }
        assert_eq!(paced, PACED_AFTER_OUTAGE - 1);
        assert!(!LayerHealth::new(RetryPolicy::default()).is_paced());
        // A 404 is an answer, not an outage.
        assert_eq!(
            health.tile_failed(
                1,
                Failure {
                    status: Some(404),
                    retry_after_ms: None
                },
                0.5
            ),
            Next::GiveUp
        );
    }

    #[test]
    fn a_retry_after_pauses_the_whole_layer_for_that_long() {
        let mut health = LayerHealth::new(RetryPolicy::default());
        let overloaded = Failure {
            status: Some(429),
            retry_after_ms: Some(30_000),
        };
        assert_eq!(
            health.tile_failed(1, overloaded, 0.5),
            Next::Down { newly: true }
        );
        assert_eq!(
            health.next_probe_in(1.0),
            30_000,
            "not before the server said"
        );
        assert_eq!(health.next_probe_in(1.0), 1_000, "then the backoff curve");
        assert!(health.probe_failed(Failure {
            status: Some(503),
            retry_after_ms: Some(999_999_000)
        }));
        assert_eq!(health.next_probe_in(1.0), MAX_RETRY_AFTER_MS, "capped");
        assert!(
            !health.probe_failed(Failure {
                status: Some(404),
                retry_after_ms: None
            }),
            "a 404 means it answers"
        );
        assert_eq!(parse_retry_after(" 120 "), Some(120_000));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }

    /// A 60 s outage of the server behind a view of 24 tiles, with the user panning to 24 more
    /// tiles every 5 s: every request the layer makes, counted by a discrete-event simulation of
    /// tile_layer.rs's loop (retries after their delay; tiles asked while down do not request;
    /// one probe at a time). Then the server comes back.
    #[test]
    fn a_minute_long_outage_costs_the_server_a_bounded_number_of_requests() {
        let policy = RetryPolicy::default();
        let mut health = LayerHealth::new(policy);
        let outage_ms = 60_000.0;
        let mut seed = 42u64;
        let mut random = move || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        // (time, tile attempt) of each pending request; attempt 0 marks a probe.
        let mut pending: Vec<(f64, u32)> = (0..24).map(|_| (0.0, 1)).collect();
        for pan in 1..12 {
            pending.extend((0..24).map(|_| (f64::from(pan) * 5_000.0, 1)));
        }
        let (mut requests, mut probes, mut probe_times) = (0, 0, Vec::new());
        pending.sort_by(|a, b| b.0.total_cmp(&a.0));
        while let Some((at, attempt)) = pending.pop() {
            if at > outage_ms {
                break;
            }
            if attempt > 0 && health.is_down() {
                continue; // a tile asked while down does not request; it comes back with the layer
            }
            requests += 1;
            if attempt == 0 {
                probes += 1;
                probe_times.push(at);
                health.probe_failed(DOWN);
                pending.push((at + f64::from(health.next_probe_in(random())), 0));
            } else {
                match health.tile_failed(attempt, DOWN, random()) {
                    Next::RetryIn(ms) => pending.push((at + f64::from(ms), attempt + 1)),
                    Next::Down { newly: true } => {
                        pending.push((at + f64::from(health.next_probe_in(random())), 0))
                    }
                    Next::Down { newly: false } | Next::GiveUp => {}
                }
            }
            pending.sort_by(|a, b| b.0.total_cmp(&a.0));
        }
        // The first view's 24 requests, then one probe at a time: (0.5, 1, 2, 4, 8, 10, 10, …) s.
        assert!(
            requests <= 24 + probes,
            "{requests} requests, {probes} probes"
        );
        assert!((6..=12).contains(&probes), "{probes} probes in a minute");
        let gaps: Vec<f64> = probe_times.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(
            gaps.windows(2).take(4).all(|w| w[1] >= w[0]),
            "probes grow apart: {gaps:?}"
        );
        assert!(
            gaps.iter().all(|&g| g <= f64::from(policy.max_delay_ms)),
            "{gaps:?}"
        );
        // Back: the tiles return after a wait that differs from client to client.
        let waits: Vec<u32> = (0..5)
            .map(|i| {
                LayerHealth {
                    down: true,
                    ..health.clone()
                }
                .answered(f64::from(i) / 4.0)
                .unwrap()
            })
            .collect();
        assert_eq!(waits, [0, 500, 1_000, 1_500, 2_000]);
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
