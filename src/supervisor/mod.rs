//! The supervisor: polls tmux, proves life, classifies, escalates stalls, persists.
//!
//! One agent is one [`Agent`]: a state machine with no tmux and no store that observes
//! captures and asks for [`Step`]s. The tick (`tick.rs`) is orchestration only; `steps.rs`
//! is the only code that writes to tmux.

pub mod agent;
#[cfg(test)]
mod agent_tests;
mod core;
mod declare;
pub mod detector;
mod expired;
mod flood;
mod identity;
mod lineage;
#[cfg(test)]
mod lineage_tests;
#[cfg(test)]
mod log_tests;
mod output;
mod profiles;
pub mod queue;
mod reaper;
mod retention;
pub mod runner;
mod servers;
mod steps;
#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;
mod tick;
pub mod update;

pub use crate::fleet::{Command, CommandOutcome};
pub use agent::{Agent, Step};
pub use core::Supervisor;
pub use declare::{declare, declare_only};
pub use detector::{Detector, Keys, Observation};
pub use servers::Connector;
pub use update::Update;
