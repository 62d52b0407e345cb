//! The supervisor: polls tmux, proves life, classifies, escalates stalls, persists.
//!
//! One agent is one [`Agent`]: a state machine with no tmux and no store that observes
//! captures and asks for [`Step`]s. The tick (`tick.rs`) is orchestration only; `steps.rs`
//! is the only code that writes to tmux.

pub mod agent;
#[cfg(test)]
mod agent_tests;
mod budget;
pub mod circuit;
mod core;
mod declare;
pub mod delivery;
#[cfg(test)]
mod delivery_tests;
pub mod detector;
mod expired;
mod flood;
pub mod hold;
#[cfg(test)]
mod hold_tests;
#[cfg(test)]
mod hook_tests;
mod host_reload;
#[cfg(test)]
mod host_reload_tests;
mod hosts;
mod identity;
mod lineage;
mod lineage_state;
#[cfg(test)]
mod lineage_tests;
#[cfg(test)]
mod log_tests;
mod output;
mod output_log;
#[cfg(test)]
mod pane_request_tests;
mod pane_requests;
mod pane_spawn;
mod profiles;
#[cfg(test)]
mod proof_tests;
pub mod queue;
mod reaper;
mod remote_kill;
mod remote_shim;
pub mod restart;
mod restart_store;
#[cfg(test)]
mod restart_tests;
mod restart_tick;
mod retention;
pub mod runner;
mod servers;
mod session;
#[cfg(test)]
mod signal_tests;
mod signals;
mod steps;
#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;
mod tick;
mod typing;
#[cfg(test)]
mod typing_tests;
pub mod update;
mod usage;
mod worktree;

pub use crate::fleet::{Command, CommandOutcome};
pub use agent::{Agent, Step};
pub use core::Supervisor;
pub use declare::{declare, declare_only};
pub use detector::{Detector, Keys, Observation};
pub use restart_store::{recorded_circuits, reset_recorded_circuit};
pub use servers::Connector;
pub use update::Update;
