//! Notices that stay on screen until their cause goes away: problems with the config,
//! themes or fleet file, and the agents a changed fleet file adds or removes.

use super::{Action, App, Effect};

/// Agents a changed fleet file adds and removes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FleetChange {
    /// Declared in the file now, not known to the fleet yet: offered to start.
    pub added: Vec<String>,
    /// Gone from the file; still supervised until they end.
    pub removed: Vec<String>,
}

/// A line that stays on screen until its cause goes away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The text.
    pub text: String,
    /// Shown in the error style.
    pub is_error: bool,
}

impl App {
    /// Problems with the config, themes or fleet file; shown until fixed.
    pub fn set_problems(&mut self, problems: Vec<String>) {
        self.problems = problems;
    }

    /// A changed fleet file: offer its new agents, show its removed ones.
    pub fn set_fleet_change(&mut self, mut change: FleetChange) {
        // What this console wrote itself is no news to its operator.
        change.added.retain(|n| !self.own_edits.contains(n));
        change.removed.retain(|n| !self.own_edits.contains(n));
        self.fleet_change =
            (!change.added.is_empty() || !change.removed.is_empty()).then_some(change);
    }

    /// The fleet change on offer, if any.
    pub fn fleet_change(&self) -> Option<&FleetChange> {
        self.fleet_change.as_ref()
    }

    /// The lines that stay on screen: problems first.
    pub fn notices(&self) -> Vec<Notice> {
        let mut out: Vec<Notice> = self
            .problems
            .iter()
            .map(|p| Notice {
                text: format!("{p} (old settings kept until it is fixed)"),
                is_error: true,
            })
            .collect();
        if let Some(c) = &self.fleet_change {
            let mut parts = Vec::new();
            if !c.added.is_empty() {
                let key = self
                    .keymap
                    .keys_for(Action::StartNewAgents)
                    .first()
                    .map_or_else(
                        || ":start-new-agents".to_string(),
                        std::string::ToString::to_string,
                    );
                parts.push(format!(
                    "new in the fleet file: {} — {key} starts them",
                    c.added.join(", ")
                ));
            }
            if !c.removed.is_empty() {
                parts.push(format!(
                    "removed from the fleet file: {} (still supervised; kill them to stop them)",
                    c.removed.join(", ")
                ));
            }
            out.push(Notice {
                text: parts.join(" · "),
                is_error: false,
            });
        }
        out
    }

    pub(super) fn start_new_agents(&mut self) -> Option<Effect> {
        let names = self
            .fleet_change
            .as_mut()
            .map(|c| std::mem::take(&mut c.added))
            .unwrap_or_default();
        if self
            .fleet_change
            .as_ref()
            .is_some_and(|c| c.removed.is_empty())
        {
            self.fleet_change = None;
        }
        match names {
            names if !names.is_empty() => {
                self.set_info(format!("starting {}…", names.join(", ")));
                Some(Effect::StartAgents(names))
            }
            _ => {
                self.set_info("the fleet file added no agents to start".to_string());
                None
            }
        }
    }
}
