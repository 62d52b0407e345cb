//! Remote hosts that drop: a server whose ssh fails is `unreachable`, its agents read
//! `unknown (host down since HH:MM)` (never dead, so never relaunched), and it is tried
//! again with a growing pause instead of on every tick.

use super::core::Supervisor;
use crate::fleet::AgentView;
use crate::tmux::TmuxError;

/// First pause before trying an unreachable host again; it doubles on every failure.
const FIRST_RETRY_MS: i64 = 1_000;
/// Longest pause between two tries.
const MAX_RETRY_MS: i64 = 60_000;

/// A server whose host did not answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Down {
    /// The host's name.
    pub host: String,
    /// When it first failed.
    pub since_ms: i64,
    /// Tries that failed in a row.
    pub failures: u32,
    /// Not tried again before this.
    pub retry_at_ms: i64,
}

impl Down {
    /// `host down since 12:03` (local time).
    pub fn text(&self) -> String {
        format!("host down since {}", clock(self.since_ms))
    }
}

/// Local wall-clock `HH:MM`.
fn clock(ms: i64) -> String {
    use chrono::{Local, TimeZone};
    match Local.timestamp_millis_opt(ms).single() {
        Some(t) => t.format("%H:%M").to_string(),
        None => "--:--".to_string(),
    }
}

/// The pause after `failures` failed tries in a row.
fn pause_ms(failures: u32) -> i64 {
    FIRST_RETRY_MS
        .saturating_mul(1_i64 << failures.saturating_sub(1).min(16))
        .min(MAX_RETRY_MS)
}

impl Supervisor {
    /// Whether server `idx` waits out its pause after its host failed: not polled now.
    pub(crate) fn host_resting(&self, idx: usize, now_ms: i64) -> bool {
        self.servers
            .down(idx)
            .is_some_and(|d| now_ms < d.retry_at_ms)
    }

    /// Fails while server `idx`'s host rests after failing: a start waits for it
    /// rather than failing the agent.
    pub(crate) fn host_gate(&self, idx: usize, now_ms: i64) -> Result<(), TmuxError> {
        match self.servers.down(idx) {
            Some(d) if now_ms < d.retry_at_ms => Err(TmuxError::Unreachable {
                host: d.host.clone(),
                message: format!("{}; tried again in a moment", d.text()),
            }),
            _ => Ok(()),
        }
    }

    /// Server `idx` answered: its host is back.
    pub(crate) fn host_reached(&mut self, idx: usize) {
        if self.servers.down_mut(idx).take().is_some() {
            self.changed = true;
        }
    }

    /// Server `idx` failed with `err`: an unreachable host is marked down (its agents
    /// keep their state) and tried again after a pause that grows with each failure.
    pub(crate) fn host_failed(&mut self, idx: usize, err: &TmuxError, now_ms: i64) {
        let TmuxError::Unreachable { host, .. } = err else {
            return;
        };
        let slot = self.servers.down_mut(idx);
        let down = slot.get_or_insert_with(|| Down {
            host: host.clone(),
            since_ms: now_ms,
            failures: 0,
            retry_at_ms: now_ms,
        });
        down.failures += 1;
        down.retry_at_ms = now_ms + pause_ms(down.failures);
        self.changed = true;
    }

    /// `gpu1 unreachable since 12:03` for every host that is down, once each (what
    /// ssh said is the tick's error), then every removed host kept for its agents.
    pub(crate) fn unreachable_hosts(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for idx in 0..self.servers.len() {
            if let Some(d) = self.servers.down(idx) {
                let line = format!("{} unreachable since {}", d.host, clock(d.since_ms));
                if !out.iter().any(|l| l.starts_with(&format!("{} ", d.host))) {
                    out.push(line);
                }
            }
        }
        out.extend(self.retiring_hosts());
        out
    }

    /// Whether agent `i` runs on a server whose host is down: nothing is done to it.
    pub(crate) fn on_down_host(&self, i: usize) -> bool {
        let Some(server) = self.agents[i].att.server.as_deref() else {
            return false;
        };
        (0..self.servers.len())
            .any(|s| self.servers.socket(s) == server && self.servers.down(s).is_some())
    }

    /// Agents on a server whose host is down are not known to be doing anything.
    pub(crate) fn decorate_hosts(&self, views: &mut [AgentView]) {
        for (agent, view) in self.agents.iter().zip(views.iter_mut()) {
            if !agent.is_live() {
                continue;
            }
            let Some(server) = agent.att.server.as_deref() else {
                continue;
            };
            let Some(down) = (0..self.servers.len())
                .find(|&i| self.servers.socket(i) == server)
                .and_then(|i| self.servers.down(i))
            else {
                continue;
            };
            view.activity = crate::fleet::Activity::Unknown;
            view.lineage.host_down = Some(down.text());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pause_doubles_up_to_a_minute() {
        let pauses: Vec<i64> = (1..=9).map(pause_ms).collect();
        assert_eq!(
            pauses,
            [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]
        );
    }
}
