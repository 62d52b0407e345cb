//! Telling the operator about agents that newly need them: the bell, a desktop
//! notification written to the terminal, and the configured command, run off the loop.

use super::terminal::Screen;
use super::wake::Bell;
use crate::config::NotifyConfig;
use crate::notify::{desktop_escape, Notifier, NotifyEvent};
use std::io;

/// The notification command runner, started the first time a command is configured.
pub(crate) struct Alerts {
    notifier: Option<Notifier>,
    /// Rung when a command fails, so the failure shows without waiting for a key.
    bell: Bell,
}

impl Alerts {
    pub(crate) fn new(bell: Bell) -> Alerts {
        Alerts {
            notifier: None,
            bell,
        }
    }

    /// Failed notification commands since the last call, one line each.
    pub(crate) fn failures(&self) -> Vec<String> {
        self.notifier
            .as_ref()
            .map_or_else(Vec::new, super::super::notify::Notifier::failures)
    }

    /// Ring, show and run what `cfg` asks for; returns bells rung.
    pub(crate) fn notify_all(
        &mut self,
        cfg: &NotifyConfig,
        news: &[NotifyEvent],
        bell_allowed: bool,
        screen: &mut dyn Screen,
    ) -> io::Result<u64> {
        let mut bells = 0;
        if cfg.bell && bell_allowed {
            screen.bell()?;
            bells = 1;
        }
        let in_tmux = crate::tmux::inside_tmux();
        for ev in news {
            if let Some(esc) = desktop_escape(cfg.desktop, "shoal", &ev.summary(), in_tmux) {
                screen.desktop(&esc)?;
            }
            if let Some(cmd) = &cfg.command {
                if self.notifier.is_none() {
                    let bell = self.bell.clone();
                    self.notifier = Notifier::spawn_waking(Box::new(move || bell.ring())).ok();
                }
                if let Some(n) = &self.notifier {
                    n.send(cmd, ev.clone());
                }
            }
        }
        Ok(bells)
    }
}
