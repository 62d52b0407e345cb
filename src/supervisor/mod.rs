//! The supervisor: polls tmux, proves life, classifies, escalates stalls, persists.

mod actions;
pub mod command;
mod core;
mod declare;
pub mod detector;
pub mod ladder;
mod lineage;
#[cfg(test)]
mod lineage_tests;
#[cfg(test)]
mod log_tests;
mod output;
mod profiles;
pub mod queue;
mod retention;
pub mod runner;
#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;
mod tick;
pub mod update;

pub use command::{Command, CommandOutcome};
pub use core::{Connector, Settings, Supervisor};
pub use declare::{declare, declare_only};
pub use detector::{Detector, Keys, Observation};
pub use update::Update;
