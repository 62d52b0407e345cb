//! What a hot reload hands the console: the theme, the keys, the notification settings,
//! the fleet file as it reads now, and the problems that keep older values in force.

use crate::app::{App, FleetChange, Keymaps};
use crate::config::NotifyConfig;
use crate::fleet::{Fleet, FleetSnapshot};
use crate::supervisor::Update;
use crate::theme::{ColorDepth, Theme};
use std::path::PathBuf;
use std::sync::{mpsc, Arc};

/// Settings the console draws and reacts with; a reload publishes a new one.
#[derive(Debug, Clone)]
pub struct Live {
    /// The theme the config names, fitted to the terminal.
    pub theme: Theme,
    /// Its name.
    pub theme_name: String,
    /// Every theme `:theme` can switch to.
    pub theme_names: Vec<String>,
    /// Where user themes are, for `:theme`.
    pub themes_dir: Option<PathBuf>,
    /// The terminal's colours.
    pub depth: ColorDepth,
    /// The keys of every view.
    pub keymaps: Keymaps,
    /// What to notify about, and how.
    pub notify: NotifyConfig,
    /// The fleet file as last read without error.
    pub fleet: Option<Arc<Fleet>>,
    /// Problems (file:line:col: what) whose files keep their last good values.
    pub problems: Vec<String>,
}

impl Default for Live {
    fn default() -> Self {
        Live {
            theme: Theme::dark(),
            theme_name: "dark".into(),
            theme_names: crate::theme::names(None),
            themes_dir: None,
            depth: ColorDepth::TrueColor,
            keymaps: Keymaps::default(),
            notify: NotifyConfig::default(),
            fleet: None,
            problems: Vec::new(),
        }
    }
}

/// The console's end of hot reload.
pub struct LiveIo {
    /// The latest settings (latest wins).
    pub live: tokio::sync::watch::Receiver<Arc<Live>>,
    /// Where agents a changed fleet file added are sent to start.
    pub updates: mpsc::Sender<Update>,
}

/// Agents the new fleet file adds (not known to the fleet) and removes (declared by the
/// old file, not the new one). Agents that joined otherwise are not "removed".
pub fn fleet_change(old: Option<&Fleet>, new: &Fleet, snapshot: &FleetSnapshot) -> FleetChange {
    FleetChange {
        added: new
            .agents
            .iter()
            .filter(|a| snapshot.agent(&a.name).is_none())
            .map(|a| a.name.clone())
            .collect(),
        removed: old
            .map(|o| {
                o.agents
                    .iter()
                    .filter(|a| new.agent(&a.name).is_none())
                    .filter(|a| snapshot.agent(&a.name).is_some())
                    .map(|a| a.name.clone())
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// Apply new settings to the console state; the theme is the caller's (it may be
/// overridden with `:theme`).
pub fn apply(app: &mut App, old: Option<&Live>, new: &Live) {
    app.set_keymaps(new.keymaps.clone());
    app.set_theme_names(new.theme_names.clone());
    app.set_problems(new.problems.clone());
    if let Some(fleet) = &new.fleet {
        let old_fleet = old.and_then(|o| o.fleet.as_deref());
        if old.is_some() && old_fleet != Some(fleet.as_ref()) {
            let change = fleet_change(old_fleet, fleet, app.snapshot());
            app.set_fleet_change(change);
        }
    }
}
