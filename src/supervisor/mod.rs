//! The supervisor: polls tmux, proves life, classifies, escalates stalls, persists.

mod actions;
mod core;
mod declare;
pub mod detector;
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

pub use crate::fleet::{Command, CommandOutcome};
pub use core::{Connector, Settings, Supervisor};
pub use declare::{declare, declare_only};
pub use detector::{Detector, Keys, Observation};
pub use update::Update;
