//! What an agent-native signal says about an agent: a CLI's own hook ("a permission
//! dialog is up", "the turn is over") or the pane title it sets. A claim is checked
//! against the screen, never taken on its word: the screen wins.

use super::Activity;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a signal claims the agent is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Claim {
    /// A dialog or question waits for the operator.
    NeedsInput,
    /// The turn is over; the CLI waits at its prompt.
    Idle,
    /// The CLI waits for a person, at its prompt or at a dialog (it does not say which).
    Waiting,
    /// The CLI is busy with a turn.
    Working,
}

impl Claim {
    /// Every claim, as profiles spell them.
    pub const ALL: [Claim; 4] = [
        Claim::NeedsInput,
        Claim::Idle,
        Claim::Waiting,
        Claim::Working,
    ];

    /// The profile's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Claim::NeedsInput => "needs-input",
            Claim::Idle => "idle",
            Claim::Waiting => "waiting",
            Claim::Working => "working",
        }
    }

    /// Whether a screen showing `activity` bears the claim out. A turn that ended on an
    /// error also waits at the prompt, so "the turn is over" agrees with an error screen.
    pub fn agrees(self, activity: Activity) -> bool {
        match self {
            Claim::NeedsInput => activity == Activity::NeedsInput,
            Claim::Idle => matches!(activity, Activity::Idle | Activity::Errored),
            Claim::Waiting => matches!(
                activity,
                Activity::Idle | Activity::NeedsInput | Activity::Errored
            ),
            Claim::Working => activity == Activity::Working,
        }
    }
}

impl fmt::Display for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Claim {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Claim::ALL
            .into_iter()
            .find(|c| c.as_str() == s.trim())
            .ok_or_else(|| {
                format!("{s:?} is not one of \"needs-input\", \"idle\", \"waiting\" or \"working\"")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_agree_only_with_the_screens_that_bear_them_out() {
        use Activity as A;
        let screens = [
            A::Working,
            A::NeedsInput,
            A::Idle,
            A::Errored,
            A::Exited,
            A::Unknown,
        ];
        let table = [
            (Claim::NeedsInput, [false, true, false, false, false, false]),
            (Claim::Idle, [false, false, true, true, false, false]),
            (Claim::Waiting, [false, true, true, true, false, false]),
            (Claim::Working, [true, false, false, false, false, false]),
        ];
        for (claim, want) in table {
            for (screen, want) in screens.iter().zip(want) {
                assert_eq!(claim.agrees(*screen), want, "{claim} vs {screen}");
            }
        }
    }

    #[test]
    fn claims_read_their_words_and_name_a_bad_one() {
        for c in Claim::ALL {
            assert_eq!(c.as_str().parse::<Claim>(), Ok(c));
        }
        let e = "busy".parse::<Claim>().unwrap_err();
        assert!(e.contains("\"busy\"") && e.contains("needs-input"), "{e}");
    }
}
