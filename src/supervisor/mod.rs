//! The supervisor: polls tmux, proves life, classifies, escalates stalls, persists.

mod actions;
pub mod command;
mod core;
mod declare;
pub mod detector;
pub mod ladder;
#[cfg(test)]
mod log_tests;
mod output;
mod profiles;
pub mod runner;
#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;
mod tick;

pub use command::{Command, CommandOutcome};
pub use core::{Connector, Settings, Supervisor};
pub use declare::declare;
pub use detector::{Detector, Keys, Observation};
