//! shoal: a terminal console that supervises a fleet of AI coding agents in tmux panes.

pub mod app;
pub mod cli;
pub mod config;
pub mod console;
pub mod fleet;
pub mod logs;
pub mod notify;
pub mod process;
pub mod profile;
pub mod sim;
pub mod store;
pub mod supervisor;
pub mod theme;
pub mod tmux;
pub mod ui;
pub mod usage;
pub mod worktree;
