//! How the supervisor reads a screen: normalization for proof of life, classification
//! into an activity, and the keys of each kind's dialogs. The profile registry is the
//! real implementation; tests script their own.

use crate::fleet::{Activity, ErrorKind};

/// What a screen says about an agent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Observation {
    /// The activity.
    pub activity: Activity,
    /// The error shown, if any.
    pub error: Option<ErrorKind>,
    /// Which rule decided, in which region (one line, for events and the console).
    pub reason: Option<String>,
    /// When a shown error says it resets (unix ms).
    pub reset_at_ms: Option<i64>,
    /// The CLI waits at its prompt with an empty composer (the moment to type a task);
    /// `None` when the profile cannot tell.
    pub ready: Option<bool>,
}

/// Which of a kind's key sequences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keys {
    /// Answers yes to a live dialog.
    Approve,
    /// Answers no to a live dialog.
    Deny,
    /// Interrupts the agent's current work.
    Interrupt,
}

/// Screen reading for the supervisor.
pub trait Detector: Send {
    /// The capture with everything that animates without progress masked.
    fn normalize(&self, kind: &str, raw: &str) -> String;
    /// Classify a capture (ANSI allowed). `now_ms` resolves relative reset times.
    fn classify(&self, kind: &str, raw: &str, now_ms: i64) -> Observation;
    /// tmux key names for approve / deny / interrupt.
    fn keys(&self, kind: &str, which: Keys) -> Vec<String>;
    /// What to type to resume after an error's reset time.
    fn continue_message(&self, kind: &str) -> Option<String>;
    /// Guess a kind from a command line.
    fn guess_kind(&self, cmd: &str) -> String;
    /// Whether `kind` names a profile (a detector that cannot tell says yes).
    fn has_kind(&self, _kind: &str) -> bool {
        true
    }
    /// How a kind's CLI session gets its id and is resumed; `None` when the CLI
    /// cannot resume one.
    fn session_args(&self, _kind: &str) -> Option<crate::profile::SessionArgs> {
        None
    }
    /// Proof of life: equal digests mean no progress. The default digests the whole
    /// normalized screen; a profile digests only its content region (the transcript
    /// above the chrome), so a footer timer gaining a digit is not progress.
    fn progress_digest(&self, kind: &str, raw: &str) -> String {
        digest(&self.normalize(kind, raw))
    }
    /// True when the capture caught the CLI mid-redraw: evidence of nothing, neither
    /// progress nor a change of activity.
    fn is_torn(&self, _kind: &str, _raw: &str) -> bool {
        false
    }
    /// Whether the CLI waits at its prompt with an empty composer; `None` when the kind's
    /// profile cannot tell (it names no composer).
    fn ready_for_input(&self, _kind: &str, _raw: &str) -> Option<bool> {
        None
    }
    /// Whether the composer shows `typed`; `None` when no composer is drawn or the kind
    /// names none (typing cannot be confirmed).
    fn composer_holds(&self, _kind: &str, _raw: &str, _typed: &str) -> Option<bool> {
        None
    }
    /// What the composer holds (`Some("")` when empty); `None` when none is drawn.
    fn composer_text(&self, _kind: &str, _raw: &str) -> Option<String> {
        None
    }
    /// The kind's profile reads its composer: typing can be confirmed and readiness is
    /// read from the screen.
    fn reads_composer(&self, _kind: &str) -> bool {
        false
    }
    /// The CLI takes a bracketed paste as text (pasted newlines do not submit).
    fn bracketed_paste(&self, _kind: &str) -> bool {
        false
    }
    /// The regex of the kind's usage lines on screen, if its profile names one.
    fn usage_screen(&self, _kind: &str) -> Option<String> {
        None
    }
    /// How to launch `cmd` of this kind with shoal's hooks; `None` when the profile has
    /// none, or `cmd` does not run its CLI where they would reach it.
    fn hooks_for(&self, _kind: &str, _cmd: &str) -> Option<crate::profile::Hooks> {
        None
    }
    /// What the kind's CLI event `event` (`PermissionRequest`, `Stop`) claims.
    fn hook_claim(&self, _kind: &str, _event: &str) -> Option<crate::fleet::Claim> {
        None
    }
    /// What a pane title the kind's CLI set claims.
    fn title_claim(&self, _kind: &str, _title: &str) -> Option<crate::fleet::Claim> {
        None
    }
}

pub use crate::profile::digest;

/// What a fresh, changed capture proves: its proof-of-life digest and what it shows, or
/// `None` when it was caught mid-redraw (torn) and proves nothing.
pub fn judge(
    det: &dyn Detector,
    kind: &str,
    raw: &str,
    now_ms: i64,
) -> Option<(String, Observation)> {
    if det.is_torn(kind, raw) {
        return None;
    }
    let mut obs = det.classify(kind, raw, now_ms);
    obs.ready = det.ready_for_input(kind, raw);
    Some((det.progress_digest(kind, raw), obs))
}
