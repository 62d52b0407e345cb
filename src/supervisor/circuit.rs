//! The circuit breaker of one agent kind, as a pure state machine: rapid failures of
//! the kind's agents (dying, or showing a fatal error, within `rapid_death` of their
//! start) open it; while open nothing of that kind starts; after the cool-down one start
//! goes through (half-open) and its fate closes or reopens it. No tmux, no store.

use crate::fleet::{CircuitSettings, CircuitState, CircuitView, EventKind};
use serde::{Deserialize, Serialize};

/// One kind's circuit, kept in the store so an open circuit stays open across a
/// supervisor restart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Circuit {
    /// The agent kind (profile name).
    pub kind: String,
    /// Closed, open or half-open.
    pub state: CircuitState,
    /// Times of recent rapid failures (unix ms), oldest first.
    #[serde(default)]
    pub failures: Vec<i64>,
    /// When an open circuit goes half-open (unix ms).
    pub until_ms: Option<i64>,
    /// The attempt let through while half-open: (agent, attempt).
    pub probe: Option<(String, u32)>,
}

/// Whether an attempt that ended or showed a fatal error counts as a rapid failure.
pub fn is_rapid(started_ms: Option<i64>, at_ms: i64, settings: &CircuitSettings) -> bool {
    let Some(started) = started_ms else {
        return false;
    };
    at_ms.saturating_sub(started) < crate::fleet::units::ms(settings.rapid_death)
}

impl Circuit {
    /// A closed circuit for `kind`.
    pub fn new(kind: &str) -> Circuit {
        Circuit {
            kind: kind.to_string(),
            state: CircuitState::Closed,
            failures: Vec::new(),
            until_ms: None,
            probe: None,
        }
    }

    /// Whether an agent of this kind may start now: closed, or half-open with no start
    /// let through yet.
    pub fn admits(&self) -> bool {
        match self.state {
            CircuitState::Closed => true,
            CircuitState::HalfOpen => self.probe.is_none(),
            CircuitState::Open => false,
        }
    }

    /// An agent of this kind started attempt `attempt`; while half-open it is the probe.
    pub fn started(&mut self, agent: &str, attempt: u32) {
        if self.state == CircuitState::HalfOpen && self.probe.is_none() {
            self.probe = Some((agent.to_string(), attempt));
        }
    }

    fn open(&mut self, now_ms: i64, settings: &CircuitSettings) -> EventKind {
        let cooldown = crate::fleet::units::ms(settings.circuit_cooldown);
        self.state = CircuitState::Open;
        self.until_ms = Some(now_ms.saturating_add(cooldown));
        self.probe = None;
        EventKind::CircuitOpened {
            kind: self.kind.clone(),
            failures: u32::try_from(self.failures.len()).unwrap_or(u32::MAX),
            cooldown_ms: cooldown,
        }
    }

    /// An agent of this kind failed rapidly at `now_ms`. Returns the event when that
    /// opens the circuit: the count reached `circuit_failures` within the window, or
    /// the half-open probe failed.
    pub fn rapid_failure(&mut self, now_ms: i64, settings: &CircuitSettings) -> Option<EventKind> {
        if settings.circuit_failures == 0 {
            return None;
        }
        let window = crate::fleet::units::ms(settings.circuit_window);
        self.failures.push(now_ms);
        self.failures.retain(|&t| now_ms.saturating_sub(t) < window);
        match self.state {
            CircuitState::Open => None,
            CircuitState::HalfOpen => Some(self.open(now_ms, settings)),
            CircuitState::Closed => (self.failures.len() >= settings.circuit_failures as usize)
                .then(|| self.open(now_ms, settings)),
        }
    }

    /// Time passed: an open circuit whose cool-down is over goes half-open.
    pub fn tick(&mut self, now_ms: i64) -> Option<EventKind> {
        if self.state == CircuitState::Open && self.until_ms.is_some_and(|u| now_ms >= u) {
            self.state = CircuitState::HalfOpen;
            self.until_ms = None;
            self.probe = None;
            return Some(EventKind::CircuitHalfOpen {
                kind: self.kind.clone(),
            });
        }
        None
    }

    /// The probe lived past `rapid_death` (or ended without failing rapidly): the kind
    /// works again.
    pub fn probe_survived(&mut self) -> Option<EventKind> {
        (self.state == CircuitState::HalfOpen && self.probe.is_some())
            .then(|| self.close(None))
            .flatten()
    }

    /// The probe ended for a reason that proves nothing (the operator stopped it): the
    /// next start tries again.
    pub fn probe_void(&mut self) {
        if self.state == CircuitState::HalfOpen {
            self.probe = None;
        }
    }

    /// Close the circuit (the probe survived, or `by` the operator). `None` when it
    /// was closed already.
    pub fn close(&mut self, by: Option<String>) -> Option<EventKind> {
        let was = self.state;
        self.state = CircuitState::Closed;
        self.failures.clear();
        self.until_ms = None;
        self.probe = None;
        (was != CircuitState::Closed).then(|| EventKind::CircuitClosed {
            kind: self.kind.clone(),
            by,
        })
    }

    /// How the header shows it; `None` while closed.
    pub fn view(&self) -> Option<CircuitView> {
        (self.state != CircuitState::Closed).then(|| CircuitView {
            kind: self.kind.clone(),
            state: self.state,
            until_ms: self.until_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const T0: i64 = 1_700_000_000_000;

    fn settings() -> CircuitSettings {
        CircuitSettings {
            rapid_death: Duration::from_secs(15),
            circuit_failures: 3,
            circuit_window: Duration::from_secs(60),
            circuit_cooldown: Duration::from_secs(240),
        }
    }

    #[test]
    fn rapid_means_within_rapid_death_of_the_start() {
        let s = settings();
        assert!(is_rapid(Some(T0), T0 + 14_999, &s));
        assert!(!is_rapid(Some(T0), T0 + 15_000, &s));
        assert!(!is_rapid(None, T0, &s), "an attempt that never started");
    }

    #[test]
    fn n_failures_in_the_window_open_it_and_the_cooldown_half_opens_it() {
        let s = settings();
        let mut c = Circuit::new("claude");
        assert!(c.rapid_failure(T0, &s).is_none());
        // One failure falls out of the window before the third arrives.
        assert!(c.rapid_failure(T0 + 10_000, &s).is_none());
        assert!(c.rapid_failure(T0 + 61_000, &s).is_none());
        assert!(c.admits());
        let opened = c.rapid_failure(T0 + 62_000, &s).expect("opens");
        assert_eq!(
            opened,
            EventKind::CircuitOpened {
                kind: "claude".into(),
                failures: 3,
                cooldown_ms: 240_000
            }
        );
        assert!(!c.admits());
        assert_eq!(
            c.view().unwrap().text(T0 + 62_000 + 5_000),
            "claude: circuit open, retry in 4m"
        );
        assert!(c.tick(T0 + 62_000 + 239_999).is_none());
        assert!(matches!(
            c.tick(T0 + 62_000 + 240_000),
            Some(EventKind::CircuitHalfOpen { .. })
        ));
        // Half-open lets exactly one start through.
        assert!(c.admits());
        c.started("c1", 4);
        assert!(!c.admits());
        c.started("c2", 2);
        assert_eq!(c.probe, Some(("c1".into(), 4)));
    }

    #[test]
    fn the_probe_closes_or_reopens_it() {
        let s = settings();
        let mut c = Circuit::new("claude");
        for n in 0..3 {
            c.rapid_failure(T0 + n, &s);
        }
        c.tick(T0 + 240_100);
        c.started("c1", 2);
        // The probe fails rapidly: open again for a full cool-down.
        let e = c.rapid_failure(T0 + 241_000, &s);
        assert!(matches!(e, Some(EventKind::CircuitOpened { .. })));
        assert_eq!(c.until_ms, Some(T0 + 241_000 + 240_000));
        c.tick(T0 + 481_000);
        c.started("c2", 3);
        assert!(matches!(
            c.probe_survived(),
            Some(EventKind::CircuitClosed { by: None, .. })
        ));
        assert!(c.admits() && c.failures.is_empty() && c.view().is_none());
        // Closing a closed circuit says nothing.
        assert!(c.close(Some("operator".into())).is_none());
    }

    #[test]
    fn an_operator_reset_closes_an_open_circuit_and_zero_turns_it_off() {
        let s = settings();
        let mut c = Circuit::new("codex");
        for n in 0..3 {
            c.rapid_failure(T0 + n, &s);
        }
        assert_eq!(
            c.close(Some("operator".into())),
            Some(EventKind::CircuitClosed {
                kind: "codex".into(),
                by: Some("operator".into())
            })
        );
        let off = CircuitSettings {
            circuit_failures: 0,
            ..s
        };
        let mut c = Circuit::new("codex");
        for n in 0..10 {
            assert!(c.rapid_failure(T0 + n, &off).is_none());
        }
        assert!(c.admits());
    }
}
