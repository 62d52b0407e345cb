//! Which pane is provably an attempt's. A pane id alone proves nothing: a tmux server
//! that restarts (or a reboot) numbers panes from `%0` again, so a stale record would
//! type into, or kill, whatever now has that id. Each attempt is bound at start to its
//! server, pane id, the pid of the pane's first process, and a mark unique to the
//! attempt set as a pane option; every listing checks pid and mark, and a pane that
//! differs ends the attempt `lost` without anything being done to it.
//!
//! Starting an agent looks at the fleet's live servers first: a live window marked as
//! that agent (a store that was lost or replaced, an attempt recorded ended while its
//! window lives on) is adopted instead of starting a second copy.

use super::core::Supervisor;
use crate::fleet::{EventKind, LifeState};
use crate::store::{AttemptRecord, NewEvent};
use crate::tmux::{sockets, PaneInfo, PaneState, ATTEMPT_OPTION, MARK_OPTION};
use std::sync::atomic::{AtomicU64, Ordering};

/// A mark no other attempt's pane carries: this process, the time, a counter.
pub(crate) fn new_mark(agent: &str, attempt: u32) -> String {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    let seed = format!("{}/{nanos}/{seq}/{agent}/{attempt}", std::process::id());
    format!("{:x}", md5::compute(seed))[..16].to_string()
}

/// Why the listed pane is not the attempt's, if it is not: another first process, or
/// another mark. An attempt recorded before shoal kept these is taken on trust.
pub(crate) fn mismatch(att: &AttemptRecord, pane: &PaneState) -> Option<String> {
    if let Some(pid) = att.pane_pid {
        if pane.pid != pid {
            return Some(format!(
                "its first process is pid {}, not the attempt's pid {pid}",
                pane.pid
            ));
        }
    }
    if let Some(mark) = &att.pane_mark {
        if pane.mark.as_deref() != Some(mark.as_str()) {
            return Some(match &pane.mark {
                Some(other) => format!("it carries mark {other}, not the attempt's {mark}"),
                None => format!("it does not carry the attempt's mark {mark}"),
            });
        }
    }
    None
}

/// Whether `socket` names one of `fleet`'s servers (`shoal-<fleet>`, `-2`, …).
fn is_fleet_socket(fleet: &str, socket: &str) -> bool {
    let base = crate::fleet::file::socket_name(fleet, 0);
    socket == base
        || socket
            .strip_prefix(&format!("{base}-"))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

impl Supervisor {
    /// Mark agent `i`'s new pane as its attempt's and record the mark. A backend that
    /// cannot mark leaves the attempt bound by its pid alone.
    pub(crate) fn mark_new_pane(&mut self, i: usize) {
        let att = &self.agents[i].att;
        let (Some(server), Some(pane)) = (att.server.clone(), att.pane.clone()) else {
            return;
        };
        let mark = new_mark(&att.agent, att.attempt);
        let Ok(backend) = self.servers.backend(&server) else {
            return;
        };
        if backend.set_pane_option(&pane, MARK_OPTION, &mark).is_ok() {
            self.agents[i].att.pane_mark = Some(mark);
        }
    }

    /// Whether agent `i`'s recorded pane is listed now and is still its attempt's.
    pub(crate) fn pane_is_attempts(&mut self, i: usize) -> bool {
        let att = &self.agents[i].att;
        let (Some(server), Some(pane)) = (att.server.clone(), att.pane.clone()) else {
            return false;
        };
        if att.state == LifeState::Lost {
            return false;
        }
        let Ok(listed) = self
            .servers
            .backend(&server)
            .and_then(super::super::tmux::TmuxBackend::poll_panes)
        else {
            return false;
        };
        listed
            .iter()
            .find(|p| p.pane_id == pane)
            .is_some_and(|p| mismatch(&self.agents[i].att, p).is_none())
    }

    /// Every live pane of the fleet's servers marked as some agent's, with its socket:
    /// the servers this supervisor knows and those found in tmux's socket directory.
    pub(crate) fn marked_panes(&mut self) -> Vec<(String, PaneInfo)> {
        let fleet = self.settings.name.clone();
        for socket in sockets::socket_names(|n| is_fleet_socket(&fleet, n)) {
            self.servers.index(&socket);
        }
        let mut out = Vec::new();
        for idx in 0..self.servers.len() {
            let socket = self.servers.socket(idx).to_string();
            // A host that is down is tried on its own schedule, not on every start.
            if self.servers.down(idx).is_some() {
                continue;
            }
            let Ok(panes) = self
                .servers
                .connect(idx, false)
                .and_then(super::super::tmux::TmuxBackend::list_panes)
            else {
                self.servers.drop_conn(idx);
                continue;
            };
            out.extend(
                panes
                    .into_iter()
                    .filter(|p| !p.dead && p.agent.is_some())
                    .map(|p| (socket.clone(), p)),
            );
        }
        out
    }

    /// A live window marked as agent `i` that no live attempt of this fleet holds.
    fn marked_window(&mut self, i: usize) -> Option<(String, PaneInfo)> {
        let name = self.agents[i].name().to_string();
        let panes = match &self.marked {
            Some(cached) => cached.clone(),
            None => self.marked_panes(),
        };
        panes.into_iter().find(|(socket, p)| {
            p.agent.as_deref() == Some(name.as_str())
                && !self.agents.iter().any(|a| {
                    a.is_live()
                        && a.att.server.as_deref() == Some(socket.as_str())
                        && a.att.pane.as_deref() == Some(p.pane_id.as_str())
                })
        })
    }

    /// Adopt a live window marked as agent `i` as its next attempt instead of starting a
    /// second copy. Returns what was done, or `None` when there is no such window.
    pub(crate) fn adopt_marked(&mut self, i: usize, now_ms: i64) -> Option<String> {
        let (socket, pane) = self.marked_window(i)?;
        let attempt = (self.agents[i].att.attempt + 1).max(pane.attempt.unwrap_or(0));
        let _ = self.agents[i].started(attempt, &socket, &pane.pane_id, now_ms);
        {
            let att = &mut self.agents[i].att;
            // It has been running all along; its task was typed by whoever started it.
            att.state = LifeState::Running;
            att.task_sent = true;
            super::reaper::bind_pane(att, pane.pid);
        }
        if pane.attempt != Some(attempt) {
            if let Ok(b) = self.servers.backend(&socket) {
                let _ = b.set_pane_option(&pane.pane_id, ATTEMPT_OPTION, &attempt.to_string());
            }
        }
        match pane.mark {
            Some(mark) => self.agents[i].att.pane_mark = Some(mark),
            None => self.mark_new_pane(i),
        }
        let event = NewEvent {
            tier: Some(self.agents[i].att.tier),
            ..NewEvent::agent(
                now_ms,
                self.agents[i].name(),
                attempt,
                EventKind::Adopted {
                    pane: pane.pane_id.clone(),
                    server: socket.clone(),
                    pid: pane.pid,
                    cmd: self.agents[i].decl.cmd.clone(),
                },
            )
        };
        let what = event.kind.render();
        self.record([event]);
        Some(what)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pane(pid: u32, mark: Option<&str>) -> PaneState {
        PaneState {
            pane_id: "%1".into(),
            dead: false,
            dead_status: None,
            window_activity: 0,
            history_size: 0,
            height: 50,
            pid,
            mark: mark.map(str::to_string),
            request_len: 0,
            title: String::new(),
        }
    }

    #[test]
    fn a_pane_is_the_attempts_only_with_its_pid_and_its_mark() {
        let att = AttemptRecord {
            pane_pid: Some(40),
            pane_mark: Some("m1".into()),
            ..Default::default()
        };
        assert_eq!(mismatch(&att, &pane(40, Some("m1"))), None);
        let why = mismatch(&att, &pane(41, Some("m1"))).unwrap();
        assert!(why.contains("pid 41") && why.contains("pid 40"), "{why}");
        let why = mismatch(&att, &pane(40, Some("m2"))).unwrap();
        assert!(why.contains("m2") && why.contains("m1"), "{why}");
        assert!(mismatch(&att, &pane(40, None))
            .unwrap()
            .contains("does not carry"));
        // Recorded before pids and marks were kept: taken on trust.
        assert_eq!(mismatch(&AttemptRecord::default(), &pane(9, None)), None);
    }

    #[test]
    fn marks_differ_between_attempts() {
        let a = new_mark("a", 1);
        assert_eq!(a.len(), 16);
        assert_ne!(a, new_mark("a", 1));
    }

    #[test]
    fn fleet_sockets_are_the_base_and_numbered_ones() {
        assert!(is_fleet_socket("f", "shoal-f"));
        assert!(is_fleet_socket("f", "shoal-f-3"));
        assert!(!is_fleet_socket("f", "shoal-f-x"));
        assert!(!is_fleet_socket("f", "shoal-fg"));
    }
}
