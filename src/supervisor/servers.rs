//! The tmux servers a supervisor talks to: one slot per server, connected on first use
//! and dropped when it fails, so the next use reconnects. Each slot's [`Server`]
//! carries its host's ssh transport, taken from the fleet's [`Hosts`], which the slots
//! own: a reload that changes a host re-resolves its servers here.

use crate::tmux::ssh::Hosts;
use crate::tmux::{Server, TmuxBackend, TmuxError};

/// Opens a connection to a tmux server (local, or remote with its host's transport);
/// with `start` true it starts the server first if it is not running. Polling connects
/// without starting, so a server that died is reported, not silently replaced by an
/// empty one.
pub type Connector =
    Box<dyn FnMut(&Server, bool) -> Result<Box<dyn TmuxBackend + Send>, TmuxError> + Send>;

struct Slot {
    server: Server,
    conn: Option<Box<dyn TmuxBackend + Send>>,
    /// Seconds value of the previous successful list on this server.
    prev_list_sec: i64,
    /// Its host did not answer (a remote server only).
    down: Option<super::hosts::Down>,
}

/// Every server of the fleet, by socket name.
pub(crate) struct Servers {
    connector: Connector,
    hosts: Hosts,
    slots: Vec<Slot>,
    /// Hosts removed from the fleet file that still run live agents: reachable until
    /// those end (see `host_reload.rs`).
    pub(crate) retiring: Vec<crate::fleet::host::HostSpec>,
}

impl Servers {
    pub fn new(connector: Connector, hosts: Hosts) -> Servers {
        Servers {
            connector,
            hosts,
            slots: Vec::new(),
            retiring: Vec::new(),
        }
    }

    /// The slot for a server string, created (not yet connected) if new.
    pub fn index(&mut self, socket: &str) -> usize {
        if let Some(i) = self.slots.iter().position(|s| s.server.socket() == socket) {
            return i;
        }
        self.slots.push(Slot {
            server: self.hosts.server(socket),
            conn: None,
            prev_list_sec: 0,
            down: None,
        });
        self.slots.len() - 1
    }

    /// How many servers are known.
    /// Each connected server working in a slower fallback mode, with why:
    /// `shoal-f: one-shot commands for 42s more after …`.
    pub fn degraded(&self) -> Vec<String> {
        self.slots
            .iter()
            .filter_map(|s| {
                let why = s.conn.as_ref()?.degraded()?;
                Some(format!("{}: {why}", s.server.socket()))
            })
            .collect()
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// The server string of slot `idx`.
    pub fn socket(&self, idx: usize) -> &str {
        self.slots[idx].server.socket()
    }

    /// Slot `idx`'s server, with its host's transport.
    pub fn server(&self, idx: usize) -> &Server {
        &self.slots[idx].server
    }

    /// The fleet's hosts as this supervisor reaches them.
    pub fn hosts(&self) -> &Hosts {
        &self.hosts
    }

    /// Take new hosts (a reloaded fleet file): every server whose transport changed is
    /// resolved again, its connection dropped (the next use reconnects with the new
    /// settings) and its host's pause forgotten. Returns the indices of those slots.
    pub fn set_hosts(&mut self, hosts: Hosts) -> Vec<usize> {
        self.hosts = hosts;
        let mut changed = Vec::new();
        for (i, slot) in self.slots.iter_mut().enumerate() {
            let server = self.hosts.server(slot.server.socket());
            if server != slot.server {
                slot.server = server;
                slot.conn = None;
                slot.down = None;
                changed.push(i);
            }
        }
        changed
    }

    /// A connected backend for slot `idx`; `start` starts the server if it is down.
    pub fn connect(
        &mut self,
        idx: usize,
        start: bool,
    ) -> Result<&mut (dyn TmuxBackend + Send), TmuxError> {
        let slot = &mut self.slots[idx];
        if slot.conn.is_none() {
            slot.conn = Some((self.connector)(&slot.server, start)?);
        }
        Ok(slot.conn.as_deref_mut().expect("just connected"))
    }

    /// A connected backend for the server at `socket`, never starting it.
    pub fn backend(&mut self, socket: &str) -> Result<&mut (dyn TmuxBackend + Send), TmuxError> {
        let idx = self.index(socket);
        self.connect(idx, false)
    }

    /// Forget slot `idx`'s connection: the next use reconnects.
    pub fn drop_conn(&mut self, idx: usize) {
        self.slots[idx].conn = None;
    }

    /// Whether slot `idx`'s host is down, and since when.
    pub fn down(&self, idx: usize) -> Option<&super::hosts::Down> {
        self.slots[idx].down.as_ref()
    }

    /// Slot `idx`'s host state, to mark it down or up.
    pub fn down_mut(&mut self, idx: usize) -> &mut Option<super::hosts::Down> {
        &mut self.slots[idx].down
    }

    /// The second of the previous successful list of slot `idx`, and record `now_sec`.
    pub fn swap_list_sec(&mut self, idx: usize, now_sec: i64) -> i64 {
        std::mem::replace(&mut self.slots[idx].prev_list_sec, now_sec)
    }
}
