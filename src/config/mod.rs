//! shoal's own configuration: where its files live, `config.toml` with built-in
//! defaults, located errors with suggestions, and the watcher behind hot reload.
//!
//! Settings apply in this order, later winning: built-in < `config.toml` < the fleet
//! file < command-line flags.

pub mod error;
pub mod paths;
pub mod schema;
pub mod watch;

pub use error::{suggest, ConfigError, Locator, Pos};
pub use paths::Paths;
pub use schema::{
    load, parse, Config, Desktop, KeyEntry, NotifyConfig, NotifyOn, OnQuit, DEFAULT_FILE,
};

#[cfg(test)]
mod tests;
