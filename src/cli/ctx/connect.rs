//! Connections to tmux servers: the fleet's own (started when asked, watched control
//! clients for the long-running supervisor) and foreign ones where adopted panes live.

use crate::fleet::file;
use crate::supervisor::Connector;
use crate::tmux::ssh::Hosts;
use crate::tmux::{ForeignBackend, OneShot, Server, TmuxBackend, WatchPolicy, Watched};

/// Pane size of agent windows on shoal's own servers.
pub const PANE_SIZE: (u16, u16) = (200, 50);

/// Connects to a fleet's tmux servers.
pub fn connector(control: bool) -> Connector {
    Box::new(move |server: &Server, start: bool| connect_fleet_server(server, start, control))
}

/// One connection to a server of shoal's own: started first when `start`, reported
/// down otherwise; a watched control-mode client when `control` (one-shot commands
/// while the control client misses its deadlines), else one-shot commands.
pub fn connect_fleet_server(
    server: &Server,
    start: bool,
    control: bool,
) -> Result<Box<dyn TmuxBackend + Send>, crate::tmux::TmuxError> {
    let socket = server.socket();
    if start {
        server.ensure_started(PANE_SIZE.0, PANE_SIZE.1)?;
    } else if !server.running()? {
        return Err(crate::tmux::TmuxError::ServerDown {
            socket: socket.to_string(),
        });
    }
    Ok(if control {
        Box::new(Watched::watch(server, WatchPolicy::default())?)
    } else {
        Box::new(OneShot::new(server))
    })
}

/// Whether `socket` is one of the fleet's own tmux servers (`shoal-<fleet>`, `-2`, …).
pub fn is_fleet_socket(fleet: &str, socket: &str) -> bool {
    let base = file::socket_name(fleet, 0);
    socket == base
        || socket
            .strip_prefix(&format!("{base}-"))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The fleet's `[[host]]`s, sharing one ssh connection per host through sockets in the
/// private directory `HOME/ssh`.
pub fn hosts(settings: &crate::fleet::FleetSettings, home: &std::path::Path) -> Hosts {
    Hosts::for_fleet(&settings.hosts, home)
}

/// Whether `server` is one of the fleet's own servers, here or on a host.
fn is_fleet_server(fleet: &str, server: &str) -> bool {
    is_fleet_socket(fleet, crate::fleet::host::split_server(server).1)
}

/// Connects to a fleet's servers as [`connector`] does, and to any other
/// server (where adopted panes live) with one-shot commands, never starting it.
pub fn connector_for(fleet: &str, control: bool) -> Connector {
    let fleet = fleet.to_string();
    Box::new(move |server: &Server, start: bool| {
        if !is_fleet_server(&fleet, server.socket()) {
            return Ok(Box::new(ForeignBackend::connect(server)?) as Box<dyn TmuxBackend + Send>);
        }
        connect_fleet_server(server, start, control)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fleet_sockets_are_told_from_foreign_ones() {
        assert!(is_fleet_socket("demo", "shoal-demo"));
        assert!(is_fleet_socket("demo", "shoal-demo-3"));
        assert!(!is_fleet_socket("demo", "shoal-demo-x"));
        assert!(!is_fleet_socket("demo", "shoal-demo2"));
        assert!(!is_fleet_socket("demo", "default"));
    }
}
