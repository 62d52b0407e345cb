//! Finding tmux servers by their sockets: every `tmux -L NAME` server of this user
//! listens on `$TMUX_TMPDIR/tmux-UID/NAME` (`/tmp` when `TMUX_TMPDIR` is unset). A socket
//! file outlives a server that crashed, so each one found is probed.

use super::Server;
use std::path::PathBuf;

/// The directory tmux keeps this user's sockets in.
pub fn socket_dir() -> PathBuf {
    let base = std::env::var_os("TMUX_TMPDIR")
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "/tmp".into());
    // SAFETY: getuid(2) cannot fail and touches no memory.
    let uid = unsafe { libc::getuid() };
    PathBuf::from(base).join(format!("tmux-{uid}"))
}

/// Names of the sockets in [`socket_dir`] that `keep` accepts, sorted.
pub fn socket_names(keep: impl Fn(&str) -> bool) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(socket_dir()) else {
        return Vec::new();
    };
    let mut names: Vec<String> = dir
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| keep(n))
        .collect();
    names.sort();
    names
}

/// [`socket_names`] whose server answers now.
pub fn live_servers(keep: impl Fn(&str) -> bool) -> Vec<String> {
    socket_names(keep)
        .into_iter()
        .filter(|n| Server::new(n.clone()).is_running())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_socket_dir_is_per_user() {
        let dir = socket_dir();
        // SAFETY: as above.
        let uid = unsafe { libc::getuid() };
        assert!(dir.ends_with(format!("tmux-{uid}")), "{dir:?}");
    }
}
