//! Ending an attempt's whole process tree without holding up the tick.
//!
//! Closing a tmux window only sends SIGHUP: an agent that ignores it, or a `setsid`
//! grandchild, would outlive a `killed` record. A kill (the operator's, the ladder's
//! last tier, a cancel whose grace ran out) therefore sends SIGTERM to every process of
//! the attempt (the pane's session and group, their descendants, everything carrying
//! the agent's environment marker), gives them a grace period across ticks, SIGKILLs
//! what is left, and only then closes the window and ends the attempt: `killed` when
//! nothing is left, `failed` naming every survivor by pid when something is.

use super::agent::Ending;
use super::core::Supervisor;
use crate::fleet::LifeState;
use crate::process::{self, KillReport, ProcId, Selector, TreeKill};
use crate::store::AttemptRecord;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How long an attempt's processes get to act on SIGTERM before SIGKILL.
pub const KILL_GRACE: Duration = Duration::from_secs(3);
/// How long starting a kill waits for processes that end at once, so a cooperative
/// agent is recorded killed in the same tick.
const SETTLE: Duration = Duration::from_millis(150);

/// Record the pane's first process on a new attempt: its pid and start time. A pid
/// that is not a real process of ours (a scripted backend reports init) is not kept.
pub(crate) fn bind_pane(att: &mut AttemptRecord, pid: u32) {
    if pid <= 1 {
        return;
    }
    if let Some(id) = ProcId::of(pid) {
        att.pane_pid = Some(id.pid);
        att.pane_start = Some(id.start);
    }
}

/// One kill under way.
#[derive(Debug)]
struct PendingKill {
    attempt: u32,
    ending: Ending,
    kill: TreeKill,
    screen: Option<String>,
}

/// The kills under way, by agent name.
#[derive(Debug, Default)]
pub(crate) struct Reaper {
    pending: BTreeMap<String, PendingKill>,
    /// Kills under way on other hosts.
    pub(super) remote: BTreeMap<String, super::remote_kill::RemoteKill>,
}

impl Reaper {
    /// Whether a kill of this agent is under way: its pane is not judged meanwhile
    /// (the processes dying are the kill, not the agent exiting by itself).
    pub(crate) fn is_killing(&self, agent: &str) -> bool {
        self.pending.contains_key(agent) || self.remote.contains_key(agent)
    }
}

impl Supervisor {
    /// Every process of agent `i`'s current attempt, as recorded at its start.
    fn selector(&self, i: usize) -> Selector {
        let att = &self.agents[i].att;
        let anchors = match (att.pane_pid, att.pane_start) {
            (Some(pid), Some(start)) if pid > 1 => vec![ProcId { pid, start }],
            _ => Vec::new(),
        };
        Selector {
            anchors,
            known: Vec::new(),
            env: process::agent_marker(&self.settings.name, self.agents[i].name(), &self.home),
        }
    }

    /// Start killing agent `i`'s attempt for `ending`: keep its final screen, send
    /// SIGTERM to its processes, and finish at once if they all end within a moment.
    /// A kill already under way is left to run.
    pub(crate) fn begin_kill(&mut self, i: usize, ending: Ending, now_ms: i64) {
        let name = self.agents[i].name().to_string();
        if self.reaper.is_killing(&name) {
            return;
        }
        let screen = self.final_screen(i);
        let Some(screen) = self.keep_local(i, &ending, screen) else {
            return;
        };
        let kill = TreeKill::start(self.selector(i), KILL_GRACE);
        let attempt = self.agents[i].att.attempt;
        let mut pending = PendingKill {
            attempt,
            ending,
            kill,
            screen,
        };
        let t0 = Instant::now();
        loop {
            if let Some(report) = pending.kill.step() {
                self.finish_kill(i, pending, report, now_ms);
                return;
            }
            if t0.elapsed() >= SETTLE {
                break;
            }
            std::thread::sleep(Duration::from_millis(15));
        }
        self.reaper.pending.insert(name, pending);
        self.changed = true;
    }

    /// Advance every kill under way (SIGKILL once the grace is over) and end the
    /// attempts whose processes are gone. Nothing is signalled without the lease.
    pub(crate) fn reap(&mut self, now_ms: i64) {
        if !self.reaper.remote.is_empty() && self.may_act() {
            self.reap_remote(now_ms);
        }
        if self.reaper.pending.is_empty() || !self.may_act() {
            return;
        }
        let names: Vec<String> = self.reaper.pending.keys().cloned().collect();
        for name in names {
            let Some(report) = self
                .reaper
                .pending
                .get_mut(&name)
                .and_then(|p| p.kill.step())
            else {
                continue;
            };
            let Some(pending) = self.reaper.pending.remove(&name) else {
                continue;
            };
            if let Some(i) = self.find(&name) {
                self.finish_kill(i, pending, report, now_ms);
            }
        }
    }

    /// Agent `i`'s pane died while the ladder's kill was on record but not under way
    /// here: the supervisor that began it died during the grace, and the pane's first
    /// process went on the SIGTERM it sent. The rest of the tree (a `setsid` child that
    /// ignores SIGTERM) would outlive an attempt recorded `failed`, so the kill is
    /// finished instead: the same kill, recorded `killed` once nothing is left. Only a
    /// supervisor holding the lease does this; a command that merely looks (`status`
    /// with no supervisor) leaves the attempt as it is for the next supervisor, `kill`
    /// or `down` to finish. Returns whether the death is left unrecorded.
    pub(crate) fn finish_kill_on_record(&mut self, i: usize, now_ms: i64) -> bool {
        let agent = &self.agents[i];
        if agent.att.tier != crate::fleet::Tier::Kill || self.reaper.is_killing(agent.name()) {
            return false;
        }
        let stalled_s = now_ms.saturating_sub(agent.att.last_progress_ms) / 1000;
        if self.lease.is_some() && self.may_act() {
            self.begin_kill(i, Ending::Ladder { stalled_s }, now_ms);
        }
        true
    }

    /// The processes are gone (or SIGKILL had its time): close the window and end the
    /// attempt, `killed` only when nothing of it is left.
    fn finish_kill(&mut self, i: usize, pending: PendingKill, report: KillReport, now_ms: i64) {
        let agent = &self.agents[i];
        if agent.att.attempt != pending.attempt || !agent.is_live() {
            return;
        }
        let mut note = report.summary();
        if let Some(e) = self.close_window(i) {
            note.push_str(&format!("; {e}"));
        }
        let mut event = self.agents[i].killed(&pending.ending, pending.screen, Some(note), now_ms);
        if !report.is_clean() {
            let pids: Vec<String> = report
                .survivors
                .iter()
                .map(|s| format!("pid {} ({}): {}", s.pid, s.comm, s.reason))
                .collect();
            let att = &mut self.agents[i].att;
            att.state = LifeState::Failed;
            att.reason = Some(format!(
                "the kill left processes running: {}",
                pids.join("; ")
            ));
            event.rule = att.reason.clone();
        }
        self.record([event]);
        self.changed = true;
    }

    /// Agent `i`'s screen as it stands, to keep as the attempt's final capture.
    fn final_screen(&mut self, i: usize) -> Option<String> {
        let (server, pane) = (
            self.agents[i].att.server.clone()?,
            self.agents[i].att.pane.clone()?,
        );
        let backend = self.servers.backend(&server).ok()?;
        backend
            .capture_panes(std::slice::from_ref(&pane))
            .ok()
            .and_then(|mut s| s.pop().flatten())
    }

    /// Close agent `i`'s window, now that its processes are gone; what went wrong. A
    /// pane that is no longer the attempt's (its server restarted meanwhile) is left.
    pub(super) fn close_window(&mut self, i: usize) -> Option<String> {
        let (server, pane) = (
            self.agents[i].att.server.clone()?,
            self.agents[i].att.pane.clone()?,
        );
        let backend = match self.servers.backend(&server) {
            Ok(b) => b,
            Err(e) => return Some(format!("kill-pane: {e}")),
        };
        let listed = backend.poll_panes().ok()?;
        let info = listed.iter().find(|p| p.pane_id == pane)?;
        if let Some(why) = super::identity::mismatch(&self.agents[i].att, info) {
            return Some(format!("window not closed: pane {pane} {why}"));
        }
        let backend = self.servers.backend(&server).ok()?;
        backend
            .kill_pane(&pane)
            .err()
            .map(|e| format!("kill-pane: {e}"))
    }
}

impl Supervisor {
    /// The screen back when agent `i` is local; `None` once a remote agent's kill has
    /// been handed to its host.
    fn keep_local(
        &mut self,
        i: usize,
        ending: &Ending,
        screen: Option<String>,
    ) -> Option<Option<String>> {
        let remote = self.agents[i]
            .att
            .server
            .as_deref()
            .is_some_and(|s| crate::fleet::host::split_server(s).0.is_some());
        if remote {
            self.begin_remote_kill(i, ending, screen);
            return None;
        }
        Some(screen)
    }
}

/// What `shoal kill` reports once the kill began: the outcome when it finished at
/// once, or that the processes have had SIGTERM and are being waited for.
pub(crate) fn kill_outcome(agent: &super::Agent, under_way: bool) -> String {
    let name = agent.name();
    if under_way {
        return format!(
            "sent SIGTERM to {name}'s processes; SIGKILL follows in {}s for any left, and {name} is recorded killed once none is",
            KILL_GRACE.as_secs()
        );
    }
    match &agent.att.reason {
        Some(r) if agent.att.state != LifeState::Killed => {
            format!("{name}: {}: {r}", agent.att.state)
        }
        _ => format!("killed {name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{FakeDetector, FakeTmux};
    use super::*;
    use crate::fleet::file;
    use crate::process::{Ended, Survivor};
    use crate::store::Store;

    const T0: i64 = 1_000_000;

    #[test]
    fn a_kill_that_leaves_a_process_running_is_failed_naming_the_survivor() {
        let dir = tempfile::tempdir().unwrap();
        let text = "[fleet]\nname = \"t\"\n[[agent]]\nname = \"a\"\ncmd = \"agent-a\"\n";
        let fleet = file::parse(std::path::Path::new("t.toml"), text).unwrap();
        let store = Store::open(&dir.path().join("t.sqlite")).unwrap();
        super::super::declare(&store, &fleet, &FakeDetector, T0).unwrap();
        let tmux = FakeTmux::default();
        let mut sup = Supervisor::new(
            fleet.settings.clone(),
            dir.path().to_path_buf(),
            store,
            Box::new(FakeDetector),
            tmux.connector(),
        )
        .unwrap();
        sup.tick(T0);
        let i = sup.find("a").unwrap();
        let pending = PendingKill {
            attempt: 1,
            ending: Ending::Request,
            kill: TreeKill::start(Selector::default(), KILL_GRACE),
            screen: Some("last words".into()),
        };
        let report = KillReport {
            ended: vec![Ended {
                pid: 4242,
                comm: "node".into(),
            }],
            survivors: vec![Survivor {
                pid: 4243,
                comm: "build".into(),
                reason: "uninterruptible sleep (D)".into(),
            }],
            forced: true,
        };
        sup.finish_kill(i, pending, report, T0 + 500);
        sup.persist().unwrap();
        let a = sup.snapshot(T0 + 500).agent("a").cloned().unwrap();
        assert_eq!(a.state, LifeState::Failed, "never `killed` with a survivor");
        let note = a.reason.clone().unwrap_or_default();
        assert!(
            note.contains("the kill left processes running: pid 4243 (build): uninterruptible"),
            "{note}"
        );
        let events = sup.store().events(Some("a"), 0, 100).unwrap();
        let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        let kill = events
            .iter()
            .rev()
            .find(|e| e.kind == "kill")
            .unwrap_or_else(|| panic!("{kinds:?}"));
        assert!(kill.detail.contains("4243"), "{}", kill.detail);
        assert!(
            kill.rule
                .as_deref()
                .unwrap_or_default()
                .contains("pid 4243"),
            "{:?}",
            kill.rule
        );
        assert_eq!(tmux.pane_count(), 0, "the window is closed all the same");
    }
}
