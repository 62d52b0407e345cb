//! The tmux servers a supervisor talks to: one slot per socket, connected on first use
//! and dropped when it fails, so the next use reconnects.

use crate::tmux::{TmuxBackend, TmuxError};

/// Opens a connection to the tmux server with this socket name; with `start` true it
/// starts the server first if it is not running. Polling connects without starting, so a
/// server that died is reported, not silently replaced by an empty one.
pub type Connector =
    Box<dyn FnMut(&str, bool) -> Result<Box<dyn TmuxBackend + Send>, TmuxError> + Send>;

struct Slot {
    socket: String,
    conn: Option<Box<dyn TmuxBackend + Send>>,
    /// Seconds value of the previous successful list on this server.
    prev_list_sec: i64,
    /// Its host did not answer (a remote server only).
    down: Option<super::hosts::Down>,
}

/// Every server of the fleet, by socket name.
pub(crate) struct Servers {
    connector: Connector,
    slots: Vec<Slot>,
}

impl Servers {
    pub fn new(connector: Connector) -> Servers {
        Servers {
            connector,
            slots: Vec::new(),
        }
    }

    /// The slot for a socket, created (not yet connected) if new.
    pub fn index(&mut self, socket: &str) -> usize {
        if let Some(i) = self.slots.iter().position(|s| s.socket == socket) {
            return i;
        }
        self.slots.push(Slot {
            socket: socket.to_string(),
            conn: None,
            prev_list_sec: 0,
            down: None,
        });
        self.slots.len() - 1
    }

    /// How many servers are known.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// The socket name of slot `idx`.
    pub fn socket(&self, idx: usize) -> &str {
        &self.slots[idx].socket
    }

    /// A connected backend for slot `idx`; `start` starts the server if it is down.
    pub fn connect(
        &mut self,
        idx: usize,
        start: bool,
    ) -> Result<&mut (dyn TmuxBackend + Send), TmuxError> {
        let slot = &mut self.slots[idx];
        if slot.conn.is_none() {
            slot.conn = Some((self.connector)(&slot.socket, start)?);
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
