//! Why the stall ladder leaves a running agent alone, and when an errored one is tried
//! again. An agent idle at its own prompt waits for work; one that shows an error waits
//! for its reset time or a backoff, or for the operator when the error is fatal. None of
//! them is stalled, so none is nudged: a nudge is a model turn, and into a rate limit it
//! is one more failing request.

use crate::fleet::ErrorKind;

/// First wait before an errored agent whose CLI printed no reset time is tried again.
pub const BACKOFF_BASE_MS: i64 = 30_000;
/// Longest wait between two tries.
pub const BACKOFF_MAX_MS: i64 = 30 * 60_000;

/// The wait before try number `retries + 1` of one error: 30 s, 1 m, 2 m, … up to 30 m.
pub fn backoff_ms(retries: u32) -> i64 {
    BACKOFF_BASE_MS
        .saturating_mul(1_i64 << retries.min(20))
        .min(BACKOFF_MAX_MS)
}

/// How long a CLI whose profile reads readiness may take to show its prompt before the
/// operator is told (its task still waits for it).
pub const NOT_READY_AFTER_MS: i64 = 30_000;

/// A reason the ladder holds off, announced once per episode with an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hold {
    /// Idle at its own prompt with `on_idle = "notify"`: the operator is told it waits
    /// for work; it is never nudged or killed for it.
    WaitingForWork,
    /// Errored with an error that passes with time: the continue message is typed at
    /// `retry_at_ms` (the reset time it showed, or a backoff).
    BackingOff {
        /// The error shown (none when the profile names no kind).
        error: Option<ErrorKind>,
        /// When it is tried again (unix ms).
        retry_at_ms: i64,
        /// Whether the time is the CLI's own reset time rather than a backoff.
        reset_shown: bool,
        /// Tries already made for this error.
        retries: u32,
    },
    /// Errored with an error that waiting does not cure: nothing is typed until the
    /// operator acts.
    Fatal {
        /// The error shown.
        error: ErrorKind,
    },
    /// Its task waits: the CLI has not looked ready for input since it started.
    NotReady {
        /// Seconds since the attempt started.
        waited_s: i64,
    },
}

/// What the agent remembers of its holds between ticks (not stored: a new supervisor
/// announces a hold once more and starts the backoff afresh).
#[derive(Debug, Clone, Default)]
pub(crate) struct Holds {
    /// The hold last announced; a new episode (another activity) clears it.
    pub announced: Option<Hold>,
    /// When the current error was first seen, or the last try was typed.
    pub errored_since_ms: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_up_to_its_cap() {
        assert_eq!(backoff_ms(0), 30_000);
        assert_eq!(backoff_ms(1), 60_000);
        assert_eq!(backoff_ms(3), 240_000);
        assert_eq!(backoff_ms(6), BACKOFF_MAX_MS);
        assert_eq!(backoff_ms(u32::MAX), BACKOFF_MAX_MS);
    }
}
