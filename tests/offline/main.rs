//! Integration tests that need neither tmux nor the `shoal` binary: console views drawn
//! into a TestBackend, themes, config and fleet files, hot reload, and detection against
//! recorded screens. One module per subject, so `cargo test --test offline console_views`
//! runs one file's tests. The end-to-end tests are in `tests/live` and `tests/console`.

#[path = "../common/mod.rs"]
mod common;

mod config_files;
mod console_logs;
mod console_views;
mod dead_views;
mod edit_views;
mod fixtures_detect;
mod fleet_file;
mod hot_reload;
mod import_cycles;
mod lineage_views;
mod narrow_views;
mod readme_keys;
mod restart_views;
mod theme_render;
mod usage_views;
