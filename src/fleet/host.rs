//! Hosts: machines other than this one whose tmux servers run agents, reached over SSH.
//!
//! A server is known everywhere by one string (the attempt's `server`, the supervisor's
//! server slots). A local server is its socket name (`shoal-demo`); a remote one is
//! `HOST:SOCKET` (`gpu1:shoal-demo`). Neither names of hosts nor socket names can hold
//! a `:`, so the split is unambiguous, and every record says where its pane lives.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The host name that means "this machine": an agent with no `host` runs here.
pub const LOCAL: &str = "local";

/// One `[[host]]` of the fleet file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostSpec {
    /// Name agents use in `host = "…"`: letters, digits, `-`, `_`.
    pub name: String,
    /// SSH destination as `ssh` takes it: `user@machine` or a `Host` of ssh_config.
    pub ssh: String,
    /// SSH port, when not ssh's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Private key file (`ssh -i`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<PathBuf>,
    /// Extra `-o KEY=VALUE` options, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ssh_options: Vec<String>,
    /// Where shoal keeps its files on the host (its reply shim in `bin/`); relative
    /// paths are under the remote home. `None`: [`DEFAULT_SHOAL_HOME`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shoal_home: Option<String>,
}

/// Where shoal keeps its files on a host when its `[[host]]` does not say: `~/.shoal`.
pub const DEFAULT_SHOAL_HOME: &str = ".shoal";

impl HostSpec {
    /// The host's shoal directory as the remote shell takes it (relative: under home).
    pub fn shoal_home(&self) -> &str {
        self.shoal_home.as_deref().unwrap_or(DEFAULT_SHOAL_HOME)
    }
}

/// The server string of `socket` on `host` (`None` or [`LOCAL`]: this machine).
pub fn server_id(host: Option<&str>, socket: &str) -> String {
    match host {
        Some(h) if h != LOCAL => format!("{h}:{socket}"),
        _ => socket.to_string(),
    }
}

/// The host (`None`: this machine) and socket name of a server string.
pub fn split_server(server: &str) -> (Option<&str>, &str) {
    match server.split_once(':') {
        Some((host, socket)) => (Some(host), socket),
        None => (None, server),
    }
}

/// Check an ssh destination or option: it reaches `ssh` as one argument, so it must not
/// look like an option of its own or hold characters no destination has.
pub fn check_ssh_word(value: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err("it is empty".into());
    }
    if value.starts_with('-') {
        return Err(format!(
            "{value:?} starts with '-', which ssh would take as an option"
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(format!("{value:?} holds a control character"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_strings_carry_the_host() {
        assert_eq!(server_id(None, "shoal-x"), "shoal-x");
        assert_eq!(server_id(Some(LOCAL), "shoal-x"), "shoal-x");
        assert_eq!(server_id(Some("gpu1"), "shoal-x-2"), "gpu1:shoal-x-2");
        assert_eq!(split_server("gpu1:shoal-x-2"), (Some("gpu1"), "shoal-x-2"));
        assert_eq!(split_server("shoal-x"), (None, "shoal-x"));
    }

    #[test]
    fn ssh_words_that_ssh_would_misread_are_refused() {
        assert!(check_ssh_word("me@gpu1.example").is_ok());
        assert!(check_ssh_word("-oProxyCommand=evil").is_err());
        assert!(check_ssh_word(" ").is_err());
        assert!(check_ssh_word("a\nb").is_err());
    }
}
