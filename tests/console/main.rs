//! The real console in a terminal: `shoal` running in a window of a private tmux server
//! (`common::Terminal`), driven with keys and read from the screen as an operator would.
//! Kept apart from `tests/live` because each test runs a whole fleet and a console at
//! once; `cargo test --test console logs` runs the log browser's test.

#[path = "../common/mod.rs"]
mod common;

mod config_e2e;
mod console_e2e;
mod console_handoff;
mod console_logs_e2e;
mod dead_e2e;
mod fleet_edit_e2e;
mod pane_e2e;
mod quiet_e2e;
