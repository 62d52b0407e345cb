//! The supervisor: polls tmux, proves life, classifies, escalates stalls, persists.

pub mod command;

pub use command::{Command, CommandOutcome};
