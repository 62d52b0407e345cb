//! Changes of configuration for a running supervisor: new settings, new screen-reading
//! rules, a changed fleet file. Each is recorded as a fleet event.

use super::core::Supervisor;
use super::detector::Detector;
use crate::fleet::EventKind;
use crate::fleet::Fleet;
use crate::store::NewEvent;

/// A change to apply while the supervisor runs.
pub enum Update {
    /// New settings (the config or the fleet file changed). The fleet name and data
    /// directory stay those the supervisor started with.
    Settings(crate::fleet::FleetSettings),
    /// New screen-reading rules (the user's profiles changed).
    Detector(Box<dyn Detector>),
    /// A changed fleet file: agents the store knows get their new declaration (command,
    /// stall timeout, …); the agents named in `start` are declared too, which starts them.
    Fleet {
        /// The fleet file as it now reads.
        fleet: Fleet,
        /// New agents the operator agreed to start.
        start: Vec<String>,
    },
}

impl std::fmt::Debug for Update {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Update::Settings(s) => f.debug_tuple("Settings").field(s).finish(),
            Update::Detector(_) => f.write_str("Detector"),
            Update::Fleet { fleet, start } => f
                .debug_struct("Fleet")
                .field("fleet", &fleet.settings.name)
                .field("start", start)
                .finish(),
        }
    }
}

impl Supervisor {
    /// Apply a change now; what happened is recorded as a fleet event.
    pub fn apply(&mut self, update: Update, now_ms: i64) {
        let kind = match update {
            Update::Settings(mut s) => {
                s.name = self.settings.name.clone();
                // Hosts are said host by host, not as one long list.
                let (mut was, mut now) = (self.settings.clone(), s.clone());
                was.hosts.clear();
                now.hosts.clear();
                let changes = was.diff(&now);
                let hosts = self.reload_hosts(&s.hosts);
                if !hosts.is_empty() {
                    self.record([NewEvent::fleet(
                        now_ms,
                        EventKind::HostsChanged { changes: hosts },
                    )]);
                }
                self.settings = s;
                if changes.is_empty() {
                    if let Err(e) = self.persist() {
                        self.stats.error = Some(e.to_string());
                    }
                    return;
                }
                EventKind::SettingsReloaded { changes }
            }
            Update::Detector(d) => {
                self.detector = d;
                // Screens are classified afresh with the new rules.
                for agent in &mut self.agents {
                    agent.forget_screen();
                }
                EventKind::ProfilesReloaded
            }
            Update::Fleet { fleet, start } => {
                let result = super::declare_only(
                    &self.store,
                    &fleet,
                    self.detector.as_ref(),
                    now_ms,
                    |name, known| known || start.iter().any(|s| s == name),
                );
                match result.and_then(|new| self.reload().map(|()| new)) {
                    Ok(starting) => EventKind::FleetReloaded { starting },
                    Err(e) => {
                        self.stats.error = Some(e.to_string());
                        EventKind::FleetReloadFailed {
                            error: e.to_string(),
                        }
                    }
                }
            }
        };
        self.record([NewEvent::fleet(now_ms, kind)]);
        if let Err(e) = self.persist() {
            self.stats.error = Some(e.to_string());
        }
    }
}
