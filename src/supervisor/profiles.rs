//! The profile registry as the supervisor's detector.

use super::detector::{Detector, Keys, Observation};
use crate::profile::Registry;

/// The local UTC offset now, for clock-time reset hints ("resets 4:20pm").
fn local_offset_secs() -> i32 {
    chrono::Local::now().offset().local_minus_utc()
}

impl Detector for Registry {
    fn has_kind(&self, kind: &str) -> bool {
        self.get(kind).is_some()
    }

    fn normalize(&self, kind: &str, raw: &str) -> String {
        match self.get(kind) {
            Some(p) => p.normalize(raw),
            None => crate::profile::normalize(raw, &[]),
        }
    }

    fn classify(&self, kind: &str, raw: &str, now_ms: i64) -> Observation {
        let Some(p) = self.get(kind).or_else(|| self.get("shell")) else {
            return Observation::default();
        };
        let d = p.classify(raw);
        Observation {
            activity: d.activity,
            error: d.error,
            reason: d.matched.as_ref().map(|_| d.explain()),
            reset_at_ms: d.reset.map(|r| r.resolve(now_ms, local_offset_secs())),
            ready: None,
        }
    }

    fn keys(&self, kind: &str, which: Keys) -> Vec<String> {
        let Some(p) = self.get(kind) else {
            return match which {
                Keys::Interrupt => vec!["C-c".into()],
                _ => Vec::new(),
            };
        };
        match which {
            Keys::Approve => p.approve_keys().to_vec(),
            Keys::Deny => p.deny_keys().to_vec(),
            Keys::Interrupt => p.interrupt_keys().to_vec(),
        }
    }

    fn continue_message(&self, kind: &str) -> Option<String> {
        self.get(kind)?.continue_message().map(str::to_string)
    }

    fn usage_screen(&self, kind: &str) -> Option<String> {
        self.get(kind)?.usage_screen().map(str::to_string)
    }

    fn guess_kind(&self, cmd: &str) -> String {
        Registry::guess_kind(self, cmd)
    }

    fn session_args(&self, kind: &str) -> Option<crate::profile::SessionArgs> {
        self.get(kind)?.session_args().cloned()
    }

    fn progress_digest(&self, kind: &str, raw: &str) -> String {
        match self.get(kind) {
            Some(p) => p.progress_digest(raw),
            None => super::detector::digest(&self.normalize(kind, raw)),
        }
    }

    fn is_torn(&self, kind: &str, raw: &str) -> bool {
        self.get(kind).is_some_and(|p| p.is_torn(raw))
    }

    fn ready_for_input(&self, kind: &str, raw: &str) -> Option<bool> {
        let p = self.get(kind).filter(|p| p.reads_composer())?;
        Some(p.ready_for_input(raw))
    }

    fn composer_holds(&self, kind: &str, raw: &str, typed: &str) -> Option<bool> {
        self.get(kind)?.composer_holds(raw, typed)
    }

    fn composer_text(&self, kind: &str, raw: &str) -> Option<String> {
        self.get(kind)?.composer_text(raw)
    }

    fn reads_composer(&self, kind: &str) -> bool {
        self.get(kind).is_some_and(|p| p.reads_composer())
    }

    fn bracketed_paste(&self, kind: &str) -> bool {
        self.get(kind).is_some_and(|p| p.bracketed_paste())
    }

    fn hooks_for(&self, kind: &str, cmd: &str) -> Option<crate::profile::Hooks> {
        let p = self.get(kind)?;
        let hooks = p.hooks()?;
        // Arguments must reach the CLI; an environment reaches whatever runs it.
        let reached = if hooks.has_args() {
            p.takes_appended_args(cmd)
        } else {
            p.recognizes(cmd)
        };
        reached.then(|| hooks.clone())
    }

    fn hook_claim(&self, kind: &str, event: &str) -> Option<crate::fleet::Claim> {
        self.get(kind)?.hooks()?.claim(event)
    }

    fn title_claim(&self, kind: &str, title: &str) -> Option<crate::fleet::Claim> {
        self.get(kind)?.title_claim(title)
    }
}
