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
    /// The regex of the kind's usage lines on screen, if its profile names one.
    fn usage_screen(&self, _kind: &str) -> Option<String> {
        None
    }
}

/// md5 hex digest of a text.
pub fn digest(text: &str) -> String {
    format!("{:x}", md5::compute(text.as_bytes()))
}
