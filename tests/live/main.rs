//! Integration tests that run the real `shoal` binary or a real tmux server on private
//! sockets: the tmux layer, the simulated agent, the supervisor, logs, lineage, detection
//! and bad surroundings end to end. One module per subject, so `cargo test --test live
//! lineage` runs the lineage tests. Waits poll for what the operator would see, or for
//! supervisor ticks (`Rig::wait_ticks`), never for a fixed time when a tick is meant.
//! The console in a terminal is in `tests/console`; tests without tmux in `tests/offline`.

#[path = "../common/mod.rs"]
mod common;

mod bad_input;
mod budget_e2e;
mod command_deadline_e2e;
mod config_cli;
mod detect_e2e;
mod down_e2e;
mod env_secrets;
mod faults;
mod first_day;
mod fleet_edit_cli;
mod hooks_e2e;
mod kill_tree_e2e;
mod lab_e2e;
mod lab_hooks_e2e;
mod lineage_e2e;
mod logs_e2e;
mod output_faults_e2e;
mod pane_identity_e2e;
mod process_kill;
mod pulse;
mod reboot_resume_e2e;
mod remote_e2e;
mod remote_reply_e2e;
mod remote_sshd_e2e;
mod remote_two_hosts_e2e;
mod restart_e2e;
mod security_e2e;
mod send_e2e;
mod sim_agent;
mod store_damaged_e2e;
mod supervisor_detach;
mod supervisor_e2e;
mod tmux_faults;
mod tmux_layer;
mod usage_e2e;
