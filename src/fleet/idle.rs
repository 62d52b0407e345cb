//! What the supervisor does with an agent that finished its turn and waits at its own
//! prompt: that is waiting for work, not a stall.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// `on_idle`: what happens to an agent idle at its own prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnIdle {
    /// Tell the operator once that it waits for work; never nudged, never killed.
    #[default]
    Notify,
    /// Treat it as a stall: the ladder nudges, warns and kills it (each nudge is a model
    /// turn, which costs money with a real model).
    Nudge,
    /// Leave it alone, without a word.
    None,
}

impl OnIdle {
    /// Every value, as the fleet file spells them.
    pub const ALL: [OnIdle; 3] = [OnIdle::Notify, OnIdle::Nudge, OnIdle::None];

    /// The fleet file's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            OnIdle::Notify => "notify",
            OnIdle::Nudge => "nudge",
            OnIdle::None => "none",
        }
    }
}

impl fmt::Display for OnIdle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OnIdle {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OnIdle::ALL
            .into_iter()
            .find(|v| v.as_str() == s.trim())
            .ok_or_else(|| format!("{s:?} is not one of \"notify\", \"nudge\" or \"none\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_idle_reads_its_three_words_and_names_a_bad_one() {
        for v in OnIdle::ALL {
            assert_eq!(v.as_str().parse::<OnIdle>(), Ok(v));
        }
        assert_eq!(OnIdle::default(), OnIdle::Notify);
        let e = "kill".parse::<OnIdle>().unwrap_err();
        assert!(e.contains("\"kill\"") && e.contains("\"notify\""), "{e}");
    }
}
