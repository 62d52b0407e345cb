//! A fleet's settings as one type: built-in values, laid over by the user's config, laid
//! over by the fleet file's `[fleet]` table, laid over by command-line flags. The same
//! value is what the supervisor acts on and what the store records (as one JSON value),
//! and what changed between two of them is derived, not listed by hand.

use super::Escalation;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Default stall timeout when neither the fleet file nor the config sets one.
pub const DEFAULT_STALL_TIMEOUT: Duration = Duration::from_secs(300);
/// Default poll interval.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(1);
/// Default grace period between a cancel's interrupt and the kill.
pub const DEFAULT_CANCEL_GRACE: Duration = Duration::from_secs(10);
/// Default number of agent windows per tmux server before another server is used.
pub const DEFAULT_AGENTS_PER_SERVER: usize = 100;
/// Default text typed into a stalled agent's pane.
pub const DEFAULT_NUDGE: &str = "You seem stalled. Report your status, then continue.";

/// Everything fleet-wide that shoal acts on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FleetSettings {
    /// Fleet name; names the tmux socket `shoal-<name>` and the store file.
    pub name: String,
    /// Default stall timeout of its agents.
    #[serde(with = "humantime_serde")]
    pub stall_timeout: Duration,
    /// How often the supervisor ticks.
    #[serde(with = "humantime_serde")]
    pub poll_interval: Duration,
    /// Text typed (then Enter) at the nudge tier.
    pub nudge_message: String,
    /// Wait between a cancel's interrupt and the kill.
    #[serde(with = "humantime_serde")]
    pub cancel_grace: Duration,
    /// Agents per tmux server before the next server is used.
    pub agents_per_server: usize,
    /// Type the profile's continue message once a shown rate-limit reset time has passed.
    pub resume_after_reset: bool,
    /// Most agents running at once; the rest wait `queued` and start in FIFO order.
    pub max_running: Option<usize>,
    /// Retention cap of the fleet's store in bytes: past it the oldest log entries are
    /// deleted, output lines first.
    pub log_max_size: u64,
    /// Which stall tiers act.
    pub escalation: Escalation,
    /// Events and captures older than this are deleted; `None` keeps everything.
    #[serde(with = "humantime_serde")]
    pub log_retention: Option<Duration>,
    /// Type the task after this long even if the agent never looked ready, for kinds whose
    /// profile cannot read readiness from the screen (the others wait for their prompt).
    #[serde(with = "humantime_serde")]
    pub task_ready_timeout: Duration,
    /// Every pane is recaptured at least once per this many ticks, active or not.
    pub recapture_ticks: u32,
    /// The agents' default restart policy.
    #[serde(flatten)]
    pub restart: super::RestartSettings,
    /// Rapid death and the circuit breaker.
    #[serde(flatten)]
    pub circuit: super::CircuitSettings,
    /// What happens to an agent idle at its own prompt (agents may say otherwise).
    pub on_idle: super::OnIdle,
    /// Launch agent CLIs with shoal's hooks where their profile knows how (agents may
    /// say otherwise).
    pub hooks: bool,
    /// The `[[host]]` tables: machines reached over SSH.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<super::host::HostSpec>,
    /// Dollars the whole fleet may spend; `None`: no fleet budget.
    pub budget: Option<super::Usd>,
    /// What a spent budget does: the fleet's, and agents' budgets that name none.
    pub budget_action: super::BudgetAction,
}

impl Default for FleetSettings {
    fn default() -> Self {
        FleetSettings {
            name: String::new(),
            stall_timeout: DEFAULT_STALL_TIMEOUT,
            poll_interval: DEFAULT_POLL_INTERVAL,
            nudge_message: DEFAULT_NUDGE.to_string(),
            cancel_grace: DEFAULT_CANCEL_GRACE,
            agents_per_server: DEFAULT_AGENTS_PER_SERVER,
            resume_after_reset: false,
            max_running: None,
            log_max_size: super::units::DEFAULT_MAX_BYTES,
            escalation: Escalation::default(),
            log_retention: None,
            task_ready_timeout: Duration::from_secs(10),
            recapture_ticks: 30,
            restart: super::RestartSettings::default(),
            circuit: super::CircuitSettings::default(),
            on_idle: super::OnIdle::default(),
            hooks: true,
            hosts: Vec::new(),
            budget: None,
            budget_action: super::BudgetAction::default(),
        }
    }
}

impl FleetSettings {
    /// The fleet's budget, if it has one.
    pub fn fleet_budget(&self) -> Option<super::Budget> {
        self.budget.map(|limit| super::Budget {
            limit,
            action: self.budget_action,
        })
    }
}

impl FleetSettings {
    /// What changed from `self` to `new`, one short phrase per setting in name
    /// order (`poll_interval 1s → 500ms`, `escalation kill off`, `nudge_message
    /// changed`); empty when nothing did.
    pub fn diff(&self, new: &FleetSettings) -> Vec<String> {
        let (Ok(old), Ok(now)) = (serde_json::to_value(self), serde_json::to_value(new)) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        diff_values("", &old, &now, &mut out);
        out
    }
}

fn diff_values(key: &str, old: &serde_json::Value, new: &serde_json::Value, out: &mut Vec<String>) {
    use serde_json::Value;
    if old == new {
        return;
    }
    let shown = |v: &Value| match v {
        Value::Null => "off".to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, was) in a {
                if let Some(is) = b.get(k) {
                    let name = if key.is_empty() {
                        k.clone()
                    } else {
                        format!("{key} {k}")
                    };
                    diff_values(&name, was, is, out);
                }
            }
        }
        (_, Value::Bool(b)) => out.push(format!("{key} {}", if *b { "on" } else { "off" })),
        // Free text (a message) is too long to quote in one line.
        (_, Value::String(s)) if s.contains(char::is_whitespace) => {
            out.push(format!("{key} changed"));
        }
        _ => out.push(format!("{key} {} → {}", shown(old), shown(new))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_as_json_with_readable_durations() {
        let s = FleetSettings {
            name: "f".into(),
            poll_interval: Duration::from_millis(250),
            max_running: Some(3),
            log_retention: Some(Duration::from_secs(3600)),
            ..FleetSettings::default()
        };
        let json = serde_json::to_string(&s).unwrap();
        assert!(json.contains(r#""poll_interval":"250ms""#), "{json}");
        assert!(json.contains(r#""log_retention":"1h""#), "{json}");
        let back: FleetSettings = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
        // A value written by an older shoal lacks newer keys: they take their defaults.
        let old: FleetSettings = serde_json::from_str(r#"{"name":"f"}"#).unwrap();
        assert_eq!(old.poll_interval, DEFAULT_POLL_INTERVAL);
    }

    #[test]
    fn the_diff_names_each_changed_setting() {
        let old = FleetSettings::default();
        assert!(old.diff(&old.clone()).is_empty());
        let mut new = old.clone();
        new.poll_interval = Duration::from_millis(500);
        new.escalation.kill = false;
        new.nudge_message = "Please report your status and carry on with the task at hand.".into();
        new.log_retention = Some(Duration::from_secs(7 * 24 * 3600));
        new.resume_after_reset = true;
        assert_eq!(
            old.diff(&new),
            [
                "escalation kill off",
                "log_retention off → 7days",
                "nudge_message changed",
                "poll_interval 1s → 500ms",
                "resume_after_reset on",
            ]
        );
    }
}
