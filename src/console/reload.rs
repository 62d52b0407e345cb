//! The console's side of hot reload: the latest settings, a `:theme` choice that
//! overrides the config's until the config names another, and agents a changed fleet
//! file added, started on request.

use super::live::{self, Live, LiveIo};
use crate::app::App;
use crate::config::NotifyConfig;
use crate::theme::Theme;
use std::sync::Arc;

/// The settings in force and where new ones come from.
pub(crate) struct Reload {
    io: Option<LiveIo>,
    current: Arc<Live>,
    theme_override: Option<String>,
}

impl Reload {
    pub(crate) fn new(io: Option<LiveIo>) -> Reload {
        Reload {
            io,
            current: Arc::new(Live::default()),
            theme_override: None,
        }
    }

    /// The notification settings in force.
    pub(crate) fn notify(&self) -> &NotifyConfig {
        &self.current.notify
    }

    /// Take a new reload result if there is one (or the first one); true if it changed
    /// anything on screen.
    pub(crate) fn check(&mut self, app: &mut App, theme: &mut Theme, first: bool) -> bool {
        let Some(io) = self.io.as_mut() else {
            return false;
        };
        let changed = match io.live.has_changed() {
            Ok(changed) => changed,
            // The watcher stopped; its last value may still be unseen.
            Err(_) => !Arc::ptr_eq(&io.live.borrow(), &self.current),
        };
        if !first && !changed {
            return false;
        }
        let new = Arc::clone(&io.live.borrow_and_update());
        let old = (!first).then(|| Arc::clone(&self.current));
        live::apply(app, old.as_deref(), &new);
        // A `:theme` choice lasts until the config names a theme again.
        if old.as_ref().is_some_and(|o| o.theme_name != new.theme_name) {
            self.theme_override = None;
        }
        if self.theme_override.is_none() {
            *theme = new.theme.clone();
        }
        self.current = new;
        true
    }

    /// Draw with the named theme from now on (`:theme`).
    pub(crate) fn set_theme(&mut self, name: &str, theme: &mut Theme) -> Result<(), String> {
        let live = &self.current;
        match crate::theme::resolve(name, live.themes_dir.as_deref(), None) {
            Ok(t) => {
                *theme = t.for_depth(live.depth);
                self.theme_override = Some(name.to_string());
                Ok(())
            }
            Err(e) => Err(e.one_line()),
        }
    }

    /// Start agents the changed fleet file added.
    pub(crate) fn start(&mut self, names: Vec<String>) -> Result<(), String> {
        let (Some(io), Some(fleet)) = (&self.io, &self.current.fleet) else {
            return Err("this console does not follow a fleet file; use `shoal up`".into());
        };
        io.updates
            .send(crate::supervisor::Update::Fleet {
                fleet: (**fleet).clone(),
                start: names,
            })
            .map_err(|_| "the supervisor is not running; nothing was started".to_string())
    }
}
