//! Ending an agent's whole process tree: SIGTERM to every member and to the process
//! groups made only of members, a grace period in which anything new that appears is
//! signalled too, SIGKILL to what is left, and a report that names every survivor.

use super::procfs::{self, ProcInfo};
use super::tree::{protected, select, whole_groups, ProcId, Selector};
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

/// How long processes get to disappear after SIGKILL before they count as survivors.
pub const KILL_WAIT: Duration = Duration::from_secs(3);
/// How often the blocking [`kill_tree`] looks again.
const STEP: Duration = Duration::from_millis(25);

/// One process that was ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ended {
    /// Its pid.
    pub pid: u32,
    /// Its name.
    pub comm: String,
}

/// A process of the agent that is still alive, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Survivor {
    /// Its pid.
    pub pid: u32,
    /// Its name.
    pub comm: String,
    /// Why it lives: another user's, uninterruptible sleep, shoal's own, …
    pub reason: String,
}

/// What a tree kill achieved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KillReport {
    /// Processes of the agent that were alive and are gone now.
    pub ended: Vec<Ended>,
    /// Processes of the agent still alive.
    pub survivors: Vec<Survivor>,
    /// SIGKILL was needed (something outlived SIGTERM and the grace period).
    pub forced: bool,
}

impl KillReport {
    /// True when nothing of the agent is left running.
    pub fn is_clean(&self) -> bool {
        self.survivors.is_empty()
    }

    /// One line for an event or a status note: what ended, and every survivor by pid.
    pub fn summary(&self) -> String {
        let mut out = match self.ended.len() {
            0 => "no process was running".to_string(),
            1 => "1 process ended".to_string(),
            n => format!("{n} processes ended"),
        };
        if self.forced {
            out.push_str(" (SIGKILL after the grace period)");
        }
        for s in &self.survivors {
            out.push_str(&format!(
                "; pid {} ({}) survives: {}",
                s.pid, s.comm, s.reason
            ));
        }
        out
    }
}

#[derive(Debug, Clone)]
struct Tracked {
    id: ProcId,
    comm: String,
    /// The last signal was refused with EPERM.
    denied: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Term { kill_at: Instant },
    Kill { give_up_at: Instant },
}

/// A kill in progress, advanced by [`TreeKill::step`] so a caller with other work (the
/// supervisor's tick) need not block for the grace period.
#[derive(Debug)]
pub struct TreeKill {
    selector: Selector,
    own: Vec<u32>,
    tracked: BTreeMap<u32, Tracked>,
    spared: BTreeMap<u32, Survivor>,
    /// Environment verdicts per process and program name, so each environ is read
    /// once, and again after an exec (which may bring a new environment).
    env_seen: HashMap<(ProcId, String), bool>,
    phase: Phase,
}

impl TreeKill {
    /// Find the agent's processes and send them SIGTERM; SIGKILL follows `grace` later
    /// for whatever still lives. A zero grace sends SIGKILL at once.
    pub fn start(selector: Selector, grace: Duration) -> TreeKill {
        let mut kill = TreeKill {
            selector,
            own: procfs::own_lineage(),
            tracked: BTreeMap::new(),
            spared: BTreeMap::new(),
            env_seen: HashMap::new(),
            phase: Phase::Term {
                kill_at: Instant::now() + grace,
            },
        };
        kill.sweep(Instant::now());
        kill
    }

    /// Look again: signal anything new, escalate when the grace is over. Returns the
    /// report once every process is gone or SIGKILL has had [`KILL_WAIT`].
    pub fn step(&mut self) -> Option<KillReport> {
        self.sweep(Instant::now())
    }

    /// Block until the kill is over.
    pub fn finish(mut self) -> KillReport {
        loop {
            if let Some(report) = self.step() {
                return report;
            }
            std::thread::sleep(STEP);
        }
    }

    fn sweep(&mut self, now: Instant) -> Option<KillReport> {
        let scan = procfs::scan();
        let seeds: Vec<ProcId> = self.tracked.values().map(|t| t.id).collect();
        let prot = protected(&scan, &self.own);
        let env = self.selector.env.clone();
        let seen = &mut self.env_seen;
        let mut env_match = |p: &ProcInfo| {
            let id = ProcId {
                pid: p.pid,
                start: p.start,
            };
            *seen
                .entry((id, p.comm.clone()))
                .or_insert_with(|| procfs::environ_has(p.pid, &env))
        };
        let sel = select(&scan, &self.selector, &seeds, &prot, &mut env_match);
        for (&pid, why) in &sel.spared {
            let comm = scan.get(&pid).map(|p| p.comm.clone()).unwrap_or_default();
            self.spared.entry(pid).or_insert(Survivor {
                pid,
                comm,
                reason: (*why).to_string(),
            });
        }
        let fresh: Vec<u32> = sel
            .members
            .iter()
            .copied()
            .filter(
                |pid| !matches!(self.tracked.get(pid), Some(t) if t.id.start == scan[pid].start),
            )
            .collect();
        for pid in &fresh {
            let p = &scan[pid];
            self.tracked.insert(
                *pid,
                Tracked {
                    id: ProcId {
                        pid: *pid,
                        start: p.start,
                    },
                    comm: p.comm.clone(),
                    denied: false,
                },
            );
        }
        let alive: Vec<u32> = self
            .tracked
            .values()
            .filter(|t| t.id.is_alive_in(&scan))
            .map(|t| t.id.pid)
            .collect();
        match self.phase {
            Phase::Term { kill_at } if now < kill_at && !alive.is_empty() => {
                // The first sweep signals everyone; later sweeps only newcomers.
                let targets = if fresh.len() == self.tracked.len() {
                    alive.clone()
                } else {
                    fresh.clone()
                };
                self.signal(&scan, &sel.members, &targets, libc::SIGTERM);
                None
            }
            Phase::Term { .. } if !alive.is_empty() => {
                self.signal(&scan, &sel.members, &alive, libc::SIGKILL);
                self.phase = Phase::Kill {
                    give_up_at: now + KILL_WAIT,
                };
                None
            }
            Phase::Kill { give_up_at } if now < give_up_at && !alive.is_empty() => {
                self.signal(&scan, &sel.members, &alive, libc::SIGKILL);
                None
            }
            _ => Some(self.report(&scan, &alive)),
        }
    }

    /// Signal the groups made of members, then each target; a stopped process gets
    /// SIGCONT so it acts on a SIGTERM at once.
    fn signal(
        &mut self,
        scan: &HashMap<u32, ProcInfo>,
        members: &std::collections::BTreeSet<u32>,
        targets: &[u32],
        sig: i32,
    ) {
        for group in whole_groups(scan, members) {
            if targets
                .iter()
                .any(|t| scan.get(t).is_some_and(|p| p.pgid == group))
            {
                send(-(group as i32), sig);
            }
        }
        for &pid in targets {
            let denied = send(pid as i32, sig) == Some(libc::EPERM);
            if sig == libc::SIGTERM {
                send(pid as i32, libc::SIGCONT);
            }
            if let Some(t) = self.tracked.get_mut(&pid) {
                t.denied = denied;
            }
        }
    }

    fn report(&self, scan: &HashMap<u32, ProcInfo>, alive: &[u32]) -> KillReport {
        let me = procfs::uid_of(std::process::id());
        let mut report = KillReport {
            forced: matches!(self.phase, Phase::Kill { .. }),
            ..KillReport::default()
        };
        for t in self.tracked.values() {
            if !alive.contains(&t.id.pid) {
                report.ended.push(Ended {
                    pid: t.id.pid,
                    comm: t.comm.clone(),
                });
                continue;
            }
            let state = scan.get(&t.id.pid).map_or('?', |p| p.state);
            let owner = procfs::uid_of(t.id.pid);
            let reason = if t.denied || (owner.is_some() && owner != me && me != Some(0)) {
                format!(
                    "belongs to uid {}; shoal may not signal it",
                    owner.map_or("?".into(), |u| u.to_string())
                )
            } else if state == 'D' {
                "in uninterruptible sleep (D state, usually stuck I/O); it ends when the I/O does"
                    .to_string()
            } else {
                format!(
                    "still running {}s after SIGKILL (state {state})",
                    KILL_WAIT.as_secs()
                )
            };
            report.survivors.push(Survivor {
                pid: t.id.pid,
                comm: t.comm.clone(),
                reason,
            });
        }
        report.survivors.extend(self.spared.values().cloned());
        report
    }
}

/// `kill(2)`; the errno when it failed.
fn send(pid: i32, sig: i32) -> Option<i32> {
    // SAFETY: kill(2) takes plain integers and touches no memory of ours.
    let rc = unsafe { libc::kill(pid, sig) };
    (rc != 0).then(|| std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
}

/// End every process of the selection and block until done: SIGTERM, `grace`,
/// SIGKILL, then up to [`KILL_WAIT`] for them to go. The caller closes the window after.
pub fn kill_tree(selector: &Selector, grace: Duration) -> KillReport {
    TreeKill::start(selector.clone(), grace).finish()
}

/// The selection's processes now, to keep as [`Selector::known`]: a later kill then
/// finds children that have since left the session and lost their parent.
pub fn snapshot(selector: &Selector) -> Vec<ProcId> {
    let scan = procfs::scan();
    let prot = protected(&scan, &procfs::own_lineage());
    let env = selector.env.clone();
    let sel = select(&scan, selector, &[], &prot, &mut |p| {
        procfs::environ_has(p.pid, &env)
    });
    sel.members
        .iter()
        .map(|pid| ProcId {
            pid: *pid,
            start: scan[pid].start,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn summary_names_every_survivor() {
        let report = KillReport {
            ended: vec![
                Ended {
                    pid: 10,
                    comm: "bash".into(),
                },
                Ended {
                    pid: 11,
                    comm: "sleep".into(),
                },
            ],
            survivors: vec![Survivor {
                pid: 12,
                comm: "nfs-cp".into(),
                reason: "in uninterruptible sleep".into(),
            }],
            forced: true,
        };
        assert!(!report.is_clean());
        assert_eq!(
            report.summary(),
            "2 processes ended (SIGKILL after the grace period); \
             pid 12 (nfs-cp) survives: in uninterruptible sleep"
        );
        assert_eq!(KillReport::default().summary(), "no process was running");
    }

    /// A child that ignores SIGTERM is ended by SIGKILL after the grace; the report
    /// says so. The child is ours, so it is reaped by a waiting thread.
    #[test]
    fn a_process_ignoring_term_is_killed_after_the_grace() {
        let mut child = Command::new("sh")
            .args(["-c", "trap '' TERM; exec sleep 1000"])
            .spawn()
            .unwrap();
        let pid = child.id();
        let waiter = std::thread::spawn(move || child.wait());
        std::thread::sleep(Duration::from_millis(200));
        let selector = Selector {
            known: vec![ProcId::of(pid).expect("child runs")],
            ..Selector::default()
        };
        let t0 = Instant::now();
        let report = kill_tree(&selector, Duration::from_millis(300));
        let status = waiter.join().unwrap().unwrap();
        assert!(report.is_clean(), "{}", report.summary());
        assert!(report.forced, "TERM is ignored, so KILL was needed");
        assert_eq!(
            report.ended.iter().map(|e| e.pid).collect::<Vec<_>>(),
            [pid]
        );
        assert!(t0.elapsed() >= Duration::from_millis(300));
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(libc::SIGKILL));
    }
}
