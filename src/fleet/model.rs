//! Domain types shared by the supervisor, the store, the CLI and the console.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What an agent is doing right now, as observed from its screen and pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Activity {
    /// Doing something: request in flight, streaming, retrying.
    Working,
    /// A live dialog or question waits for a human answer.
    NeedsInput,
    /// Finished its turn; waits at its normal input prompt.
    Idle,
    /// Stopped on an error it shows (rate limit, auth, overload).
    Errored,
    /// The process is gone (dead pane).
    Exited,
    /// Not observed yet, or no rule matched.
    #[default]
    Unknown,
}

/// Which error an errored (or retrying) agent shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    /// HTTP 429 or a usage limit.
    RateLimit,
    /// Bad or missing credentials.
    Auth,
    /// The provider is overloaded or down (529/503).
    Overloaded,
    /// Credit, quota or billing exhausted: no retry helps until someone pays or raises it.
    Quota,
    /// The configured model does not exist or the account has no access to it.
    ModelNotFound,
    /// The agent's program is not installed (the shell found no such command).
    NotInstalled,
}

impl ErrorKind {
    /// True for errors that waiting does not cure: retrying or restarting the agent only
    /// fails again until the operator fixes something (a key, a bill, a model name, an
    /// install). Rate limits and overloads pass with time.
    pub fn is_fatal(self) -> bool {
        match self {
            ErrorKind::RateLimit | ErrorKind::Overloaded => false,
            ErrorKind::Auth
            | ErrorKind::Quota
            | ErrorKind::ModelNotFound
            | ErrorKind::NotInstalled => true,
        }
    }
}

/// Durable lifecycle state of an agent's current attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum LifeState {
    /// Declared, waiting for a slot.
    #[default]
    Queued,
    /// Pane created, task not yet delivered.
    Starting,
    /// Running under supervision.
    Running,
    /// Exited with status 0 (or signalled done).
    Done,
    /// Exited with a non-zero status (or signalled failed).
    Failed,
    /// Ended gracefully at the operator's request.
    Cancelled,
    /// Killed by the stall ladder or the operator.
    Killed,
    /// Its pane now belongs to another process (a restarted tmux server reused the
    /// id): shoal no longer knows what became of it and never acts on that pane.
    Lost,
}

impl LifeState {
    /// True once the attempt has ended and its pane is gone or dead.
    pub fn is_ended(self) -> bool {
        matches!(
            self,
            LifeState::Done
                | LifeState::Failed
                | LifeState::Cancelled
                | LifeState::Killed
                | LifeState::Lost
        )
    }
}

/// Stall tier on the nudge → warn → kill ladder.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "kebab-case")]
pub enum Tier {
    /// Making progress, or not stalled long enough.
    #[default]
    Ok,
    /// 1× stall timeout without progress: a nudge was typed.
    Nudge,
    /// 2×: the operator was warned.
    Warn,
    /// 3×: the pane was killed.
    Kill,
}

impl Tier {
    /// The tier after this one, if any.
    pub fn next(self) -> Option<Tier> {
        match self {
            Tier::Ok => Some(Tier::Nudge),
            Tier::Nudge => Some(Tier::Warn),
            Tier::Warn => Some(Tier::Kill),
            Tier::Kill => None,
        }
    }

    /// How many stall timeouts without progress reach this tier.
    pub fn multiple(self) -> u32 {
        match self {
            Tier::Ok => 0,
            Tier::Nudge => 1,
            Tier::Warn => 2,
            Tier::Kill => 3,
        }
    }
}

macro_rules! kebab_display {
    ($ty:ty { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $ty {
            /// The kebab-case name used in the CLI, JSON and the store.
            pub fn as_str(self) -> &'static str {
                match self { $(<$ty>::$variant => $text),+ }
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl FromStr for $ty {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok(<$ty>::$variant),)+
                    other => Err(format!(
                        "unknown value {other:?}; expected one of: {}",
                        [$($text),+].join(", ")
                    )),
                }
            }
        }
    };
}

kebab_display!(Activity { Working => "working", NeedsInput => "needs-input", Idle => "idle",
    Errored => "errored", Exited => "exited", Unknown => "unknown" });
kebab_display!(ErrorKind { RateLimit => "rate-limit", Auth => "auth", Overloaded => "overloaded",
    Quota => "quota", ModelNotFound => "model-not-found", NotInstalled => "not-installed" });
kebab_display!(LifeState { Queued => "queued", Starting => "starting", Running => "running",
    Done => "done", Failed => "failed", Cancelled => "cancelled", Killed => "killed", Lost => "lost" });
kebab_display!(Tier { Ok => "ok", Nudge => "nudge", Warn => "warn", Kill => "kill" });

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for a in [
            Activity::Working,
            Activity::NeedsInput,
            Activity::Idle,
            Activity::Errored,
            Activity::Exited,
            Activity::Unknown,
        ] {
            assert_eq!(a.as_str().parse::<Activity>().unwrap(), a);
            assert_eq!(serde_json::to_string(&a).unwrap(), format!("\"{a}\""));
        }
        assert_eq!("needs-input".parse::<Activity>(), Ok(Activity::NeedsInput));
        assert!("busy".parse::<Activity>().unwrap_err().contains("working"));
    }

    #[test]
    fn error_kinds_round_trip_and_say_which_are_fatal() {
        let all = [
            ErrorKind::RateLimit,
            ErrorKind::Auth,
            ErrorKind::Overloaded,
            ErrorKind::Quota,
            ErrorKind::ModelNotFound,
            ErrorKind::NotInstalled,
        ];
        for e in all {
            assert_eq!(e.as_str().parse::<ErrorKind>().unwrap(), e);
            assert_eq!(serde_json::to_string(&e).unwrap(), format!("\"{e}\""));
        }
        let fatal: Vec<_> = all
            .iter()
            .filter(|e| e.is_fatal())
            .map(|e| e.as_str())
            .collect();
        assert_eq!(fatal, ["auth", "quota", "model-not-found", "not-installed"]);
    }

    #[test]
    fn ladder_order() {
        assert!(Tier::Ok < Tier::Nudge && Tier::Nudge < Tier::Warn && Tier::Warn < Tier::Kill);
        assert_eq!(Tier::Warn.next(), Some(Tier::Kill));
        assert_eq!(Tier::Kill.next(), None);
        assert_eq!(Tier::Kill.multiple(), 3);
    }
}
