//! Token usage of agent attempts, read from what each agent CLI writes itself: Claude
//! Code's session transcripts, Codex rollouts, Gemini CLI's chat files, and a screen
//! line (aider's `Tokens: … Cost: …`, or a profile's regex) as the fallback.
//!
//! Readers are incremental: each file keeps its byte offset, so a transcript is read
//! once however long it grows; a malformed line is skipped and counted, never fatal.
//! Nothing here touches tmux or the store: the supervisor feeds in what it knows (the
//! attempt, its start, its last capture) and takes totals out.

pub mod claude;
pub mod codex;
pub mod gemini;
pub mod jsonl;
pub mod ledger;
pub mod locate;
pub mod meter;
pub mod prices;
pub mod screen;
pub mod worker;

pub use ledger::{FileLedger, Totals};
pub use meter::{AttemptMeter, Source};
pub use prices::{PriceError, PriceTable};

use serde::{Deserialize, Serialize};

/// Token counts of one or more model calls.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokens {
    /// Input tokens billed at the full rate (cache reads and writes not included).
    pub input: u64,
    /// Output tokens (reasoning included).
    pub output: u64,
    /// Input tokens read from the prompt cache.
    pub cache_read: u64,
    /// Input tokens written to the prompt cache.
    pub cache_write: u64,
}

impl Tokens {
    /// Add `other` into these counts.
    pub fn add(&mut self, other: &Tokens) {
        self.input += other.input;
        self.output += other.output;
        self.cache_read += other.cache_read;
        self.cache_write += other.cache_write;
    }

    /// What `self` has more than `before`, per field (never below zero: a rewritten
    /// transcript must not count negative usage).
    #[must_use]
    pub fn minus(&self, before: &Tokens) -> Tokens {
        Tokens {
            input: self.input.saturating_sub(before.input),
            output: self.output.saturating_sub(before.output),
            cache_read: self.cache_read.saturating_sub(before.cache_read),
            cache_write: self.cache_write.saturating_sub(before.cache_write),
        }
    }

    /// Every token, whatever its rate.
    pub fn total(&self) -> u64 {
        self.input + self.output + self.cache_read + self.cache_write
    }

    /// No token at all.
    pub fn is_zero(&self) -> bool {
        self.total() == 0
    }
}

/// One usage record found in a transcript line.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The message id, when the CLI may write the same message more than once
    /// (streaming, tool calls): the last record of an id replaces the earlier ones.
    pub id: Option<String>,
    /// The model that answered, when the line says.
    pub model: Option<String>,
    /// The tokens of this record.
    pub tokens: Tokens,
    /// Whether `tokens` are the session's running total (Codex) rather than one call's.
    pub cumulative: bool,
}

/// What one transcript line holds: usage, a model name for the records after it
/// (Codex names the model in a turn header), or nothing of interest.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    /// A usage record.
    Usage(Entry),
    /// The model the next records belong to.
    Model(String),
    /// Anything else.
    Other,
}

#[cfg(test)]
mod tests;
