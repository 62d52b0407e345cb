//! How long an agent command waits for a running supervisor to carry it out, and what
//! happens after: by default it is dropped at the deadline (never carried out later);
//! `--wait` moves the deadline, `--queue` leaves it queued with none.

use std::sync::OnceLock;
use std::time::Duration;

/// `--wait` / `--queue` of an agent command.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct QueueArgs {
    /// With a supervisor running: how long to wait for it to carry the command out
    /// (e.g. 30s); past that the command is dropped, never carried out later.
    #[arg(long, value_name = "DURATION", value_parser = crate::fleet::file::parse_duration, conflicts_with = "queue")]
    pub wait: Option<Duration>,
    /// With a supervisor running: leave the command queued with no deadline and return
    /// at once; the supervisor carries it out whenever it gets to it.
    #[arg(long)]
    pub queue: bool,
}

static CHOSEN: OnceLock<QueueArgs> = OnceLock::new();

impl QueueArgs {
    /// Use these for the agent command this process runs.
    pub fn choose(self) {
        let _ = CHOSEN.set(self);
    }
}

/// The `--wait` / `--queue` this process was given (none: the defaults).
pub fn chosen() -> QueueArgs {
    CHOSEN.get().cloned().unwrap_or_default()
}
