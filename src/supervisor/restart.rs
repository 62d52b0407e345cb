//! The restart policy as pure decisions: how an attempt ended, whether that calls for a
//! new attempt, after how long (exponential backoff with jitter), and whether the
//! restart intensity limit (`max_restarts` in `restart_window`) is spent. No tmux, no
//! store, no clock: the supervisor passes `now` and carries the decisions out.

use crate::fleet::{LifeState, RestartMode, RestartNote, RestartSettings};
use serde::{Deserialize, Serialize};

/// How an attempt ended, as the restart policy sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// Exit status 0, or signalled done.
    Clean,
    /// A non-zero exit, a vanished pane or server, a failed start, a stall-ladder kill.
    Failure,
    /// The operator (or an ancestor) killed or cancelled it: never restarted.
    Operator,
}

impl Ended {
    /// Classify an ended attempt in `state`; `by_operator` says a kill was asked for.
    /// `None` while the attempt has not ended.
    pub fn of(state: LifeState, by_operator: bool) -> Option<Ended> {
        Some(match state {
            LifeState::Queued | LifeState::Starting | LifeState::Running => return None,
            LifeState::Done => Ended::Clean,
            LifeState::Cancelled => Ended::Operator,
            // Its pane belongs to another process now and shoal cannot prove the old one
            // gone: starting it again could run it twice.
            LifeState::Lost => Ended::Operator,
            LifeState::Killed if by_operator => Ended::Operator,
            LifeState::Killed | LifeState::Failed => Ended::Failure,
        })
    }
}

/// What to do about an ended attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// It stays ended.
    Stay,
    /// Start a new attempt at `at_ms`, the `n`th restart of at most `of` in the window.
    Restart {
        /// When (unix ms).
        at_ms: i64,
        /// Its number within the window.
        n: u32,
        /// `max_restarts`.
        of: u32,
    },
    /// The policy wants a restart, but the window's restarts are spent.
    Limit,
}

/// Decide about an attempt that ended as `ended` at `now_ms`, given the times of the
/// restarts already made (`history`). `jitter` in `[0, 1)` spreads restarts of many
/// agents that failed together over an extra tenth of the delay.
pub fn decide(
    policy: &RestartSettings,
    ended: Ended,
    history: &[i64],
    now_ms: i64,
    jitter: f64,
) -> Decision {
    let wanted = match (policy.restart, ended) {
        (_, Ended::Operator) | (RestartMode::Never, _) => false,
        (RestartMode::OnFailure, e) => e == Ended::Failure,
        (RestartMode::Always, _) => true,
    };
    if !wanted {
        return Decision::Stay;
    }
    let recent = in_window(policy, history, now_ms);
    if recent >= policy.max_restarts as usize {
        return Decision::Limit;
    }
    let delay = backoff_ms(policy, recent, jitter);
    Decision::Restart {
        at_ms: now_ms.saturating_add(delay),
        n: u32::try_from(recent + 1).unwrap_or(u32::MAX),
        of: policy.max_restarts,
    }
}

/// Restarts in `history` that fall within the window ending at `now_ms`.
pub fn in_window(policy: &RestartSettings, history: &[i64], now_ms: i64) -> usize {
    let window = crate::fleet::units::ms(policy.restart_window);
    history
        .iter()
        .filter(|&&t| now_ms.saturating_sub(t) < window)
        .count()
}

/// The wait before the restart that follows `earlier` restarts in the window:
/// `restart_delay` doubled for each, at most `restart_delay_max`, plus up to a tenth
/// for jitter.
pub fn backoff_ms(policy: &RestartSettings, earlier: usize, jitter: f64) -> i64 {
    let base = crate::fleet::units::ms(policy.restart_delay);
    let cap = crate::fleet::units::ms(policy.restart_delay_max).max(base);
    let shift = u32::try_from(earlier).unwrap_or(u32::MAX).min(40);
    let doubled = base.saturating_mul(1_i64 << shift).min(cap);
    // Jitter is a fraction of the delay: at most a tenth, never negative.
    let extra = (doubled as f64 * jitter.clamp(0.0, 1.0) / 10.0) as i64;
    doubled.saturating_add(extra)
}

/// A jitter in `[0, 1)` that differs between agents and attempts but is the same every
/// time it is asked for one of them (so a test can predict nothing but the bounds).
pub fn jitter_for(agent: &str, attempt: u32) -> f64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (agent, attempt).hash(&mut h);
    (h.finish() % 1000) as f64 / 1000.0
}

/// What the supervisor remembers of one agent's restarts, kept in the store so a
/// supervisor that restarts carries on where the last one stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RestartState {
    /// When each automatic restart was made (unix ms), oldest first; only those still
    /// inside the window are kept.
    pub history: Vec<i64>,
    /// The last attempt whose ending has been decided.
    pub judged: u32,
    /// The decision on attempt `judged`, while it stands.
    pub pending: Option<Pending>,
    /// The last attempt counted as a rapid failure (an attempt counts once).
    pub rapid_counted: u32,
    /// The CLI session shoal assigned at the last fresh launch, to resume.
    pub session: Option<String>,
}

/// A standing decision about the ended attempt `judged`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Pending {
    /// A restart is due at `at_ms`.
    Restart {
        /// When (unix ms).
        at_ms: i64,
        /// Its number within the window.
        n: u32,
        /// `max_restarts`.
        of: u32,
    },
    /// The limit was reached: it stays failed until the operator acts.
    Limit {
        /// `max_restarts`.
        max: u32,
        /// `restart_window` in ms.
        window_ms: i64,
    },
}

impl RestartState {
    /// Record `decision` about attempt `attempt`.
    pub fn judge(&mut self, attempt: u32, decision: Decision, policy: &RestartSettings) {
        self.judged = attempt;
        self.pending = match decision {
            Decision::Stay => None,
            Decision::Restart { at_ms, n, of } => Some(Pending::Restart { at_ms, n, of }),
            Decision::Limit => Some(Pending::Limit {
                max: policy.max_restarts,
                window_ms: crate::fleet::units::ms(policy.restart_window),
            }),
        };
    }

    /// A restart is due now (its time has come).
    pub fn due(&self, now_ms: i64) -> bool {
        matches!(self.pending, Some(Pending::Restart { at_ms, .. }) if now_ms >= at_ms)
    }

    /// The restart was made at `now_ms`: it counts against the window from now on.
    pub fn restarted(&mut self, policy: &RestartSettings, now_ms: i64) {
        self.pending = None;
        self.history.push(now_ms);
        let window = crate::fleet::units::ms(policy.restart_window);
        self.history.retain(|&t| now_ms.saturating_sub(t) < window);
    }

    /// The operator started a new attempt (retry): the standing decision is void and
    /// the count starts afresh.
    pub fn operator_started(&mut self, attempt: u32) {
        self.pending = None;
        self.history.clear();
        self.judged = attempt;
    }

    /// How the standing decision reads in the tree.
    pub fn note(&self) -> Option<RestartNote> {
        Some(match self.pending? {
            Pending::Restart { at_ms, n, of } => RestartNote::Restarting { at_ms, n, of },
            Pending::Limit { max, window_ms } => RestartNote::Limit { max, window_ms },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const T0: i64 = 1_700_000_000_000;

    fn policy(mode: RestartMode) -> RestartSettings {
        RestartSettings {
            restart: mode,
            restart_delay: Duration::from_secs(1),
            restart_delay_max: Duration::from_secs(8),
            max_restarts: 3,
            restart_window: Duration::from_secs(60),
            resume: false,
        }
    }

    #[test]
    fn endings_classify_by_state_and_who_asked() {
        assert_eq!(Ended::of(LifeState::Running, false), None);
        assert_eq!(Ended::of(LifeState::Done, false), Some(Ended::Clean));
        assert_eq!(Ended::of(LifeState::Failed, false), Some(Ended::Failure));
        // A stall-ladder kill is a failure; an operator's kill or cancel is not.
        assert_eq!(Ended::of(LifeState::Killed, false), Some(Ended::Failure));
        assert_eq!(Ended::of(LifeState::Killed, true), Some(Ended::Operator));
        assert_eq!(
            Ended::of(LifeState::Cancelled, false),
            Some(Ended::Operator)
        );
    }

    #[test]
    fn each_mode_restarts_what_it_says() {
        use Ended::*;
        use RestartMode::*;
        // (mode, ending, restarts?)
        let cases = [
            (Never, Failure, false),
            (Never, Clean, false),
            (OnFailure, Failure, true),
            (OnFailure, Clean, false),
            (OnFailure, Operator, false),
            (Always, Clean, true),
            (Always, Failure, true),
            (Always, Operator, false),
        ];
        for (mode, ended, want) in cases {
            let d = decide(&policy(mode), ended, &[], T0, 0.0);
            assert_eq!(
                matches!(d, Decision::Restart { .. }),
                want,
                "{mode} {ended:?}: {d:?}"
            );
        }
    }

    #[test]
    fn backoff_doubles_to_its_cap_and_jitter_adds_at_most_a_tenth() {
        let p = policy(RestartMode::OnFailure);
        let delays: Vec<i64> = (0..6).map(|n| backoff_ms(&p, n, 0.0)).collect();
        assert_eq!(delays, [1000, 2000, 4000, 8000, 8000, 8000]);
        assert_eq!(backoff_ms(&p, 0, 0.999), 1099);
        assert_eq!(backoff_ms(&p, 3, 0.5), 8400);
        // A huge count neither overflows nor goes past the cap.
        assert_eq!(backoff_ms(&p, usize::MAX, 0.0), 8000);
        let j = jitter_for("a", 1);
        assert!((0.0..1.0).contains(&j) && j == jitter_for("a", 1));
    }

    #[test]
    fn three_restarts_in_the_window_then_the_limit() {
        let p = policy(RestartMode::OnFailure);
        let mut st = RestartState::default();
        let mut now = T0;
        let mut attempts = 1;
        loop {
            // Attempt `attempts` fails at once.
            let d = decide(&p, Ended::Failure, &st.history, now, 0.0);
            st.judge(attempts, d, &p);
            match d {
                Decision::Restart { at_ms, n, of } => {
                    assert_eq!((n, of), (attempts, 3));
                    assert!(st.note().unwrap().text(now).starts_with("restarting in"));
                    assert!(!st.due(at_ms - 1) && st.due(at_ms));
                    now = at_ms;
                    st.restarted(&p, now);
                    attempts += 1;
                }
                Decision::Limit => break,
                Decision::Stay => panic!("on-failure stays after a failure"),
            }
        }
        assert_eq!(attempts, 4, "one start and three restarts");
        assert_eq!(st.note().unwrap().text(now), "restart limit (3 in 1m)");
        // Once the window has passed the oldest restarts, restarts are allowed again.
        let later = st.history[0] + 60_000;
        assert!(matches!(
            decide(&p, Ended::Failure, &st.history, later, 0.0),
            Decision::Restart { n: 3, .. }
        ));
        // The operator's retry starts the count afresh.
        st.operator_started(5);
        assert!(st.history.is_empty() && st.note().is_none() && st.judged == 5);
    }

    #[test]
    fn a_zero_limit_never_restarts_and_says_so() {
        let p = RestartSettings {
            max_restarts: 0,
            ..policy(RestartMode::Always)
        };
        assert_eq!(decide(&p, Ended::Clean, &[], T0, 0.0), Decision::Limit);
    }
}
