//! Which processes belong to one agent attempt: the pane's first process and its
//! session, everything descending from them, processes recorded earlier, and processes
//! that carry the agent's environment marker (a `setsid` grandchild whose parent died
//! has left the session and the tree; its environment still names the agent).

use super::procfs::ProcInfo;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// One process for the machine's uptime: its pid and its start time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProcId {
    /// Process id.
    pub pid: u32,
    /// Start time in clock ticks after boot (`/proc/PID/stat` field 22).
    pub start: u64,
}

impl ProcId {
    /// The process running with this pid now.
    pub fn of(pid: u32) -> Option<ProcId> {
        super::procfs::read(pid).map(|p| ProcId {
            pid,
            start: p.start,
        })
    }

    /// Whether this very process (not a later one with the same pid) still runs.
    pub fn is_alive_in(&self, scan: &HashMap<u32, ProcInfo>) -> bool {
        scan.get(&self.pid)
            .is_some_and(|p| p.start == self.start && !p.is_gone())
    }
}

/// What belongs to one agent attempt, recorded when it started and when it is killed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector {
    /// The pane's first process (`#{pane_pid}` right after `new-window`). tmux starts
    /// it with `forkpty`, so it leads its own session and process group: every process
    /// still in that session or group is the agent's, even once reparented to init.
    pub anchors: Vec<ProcId>,
    /// Processes recorded earlier, e.g. a [`super::snapshot`] of the tree taken while
    /// the parents lived.
    pub known: Vec<ProcId>,
    /// `NAME=value` pairs that all appear in the starting environment of the agent's
    /// processes (`SHOAL_FLEET`, `SHOAL_AGENT`, `SHOAL_HOME`). Empty: no matching by
    /// environment.
    pub env: Vec<(String, String)>,
}

/// The processes a [`Selector`] names in one scan of `/proc`.
#[derive(Debug, Default)]
pub(crate) struct Selection {
    /// pids to signal.
    pub members: BTreeSet<u32>,
    /// pids that matched but are never signalled, with why.
    pub spared: BTreeMap<u32, &'static str>,
}

/// Why a process is never signalled, whatever matched it.
pub(crate) fn protected(scan: &HashMap<u32, ProcInfo>, own: &[u32]) -> HashMap<u32, &'static str> {
    let mut out: HashMap<u32, &'static str> = own
        .iter()
        .map(|&p| {
            (
                p,
                "runs this shoal command (or is its parent); not signalled",
            )
        })
        .collect();
    for p in scan.values() {
        if p.pid <= 1 || p.is_kernel() {
            out.insert(p.pid, "is init or a kernel thread");
        }
    }
    out
}

/// Every process the selector names in `scan`, given an environment test (a function
/// so tests need no real `/proc`) and the protected pids.
pub(crate) fn select(
    scan: &HashMap<u32, ProcInfo>,
    selector: &Selector,
    extra_seeds: &[ProcId],
    protected: &HashMap<u32, &'static str>,
    env_match: &mut dyn FnMut(&ProcInfo) -> bool,
) -> Selection {
    // A pid number stays reserved while any process uses it as a session or group id,
    // so an anchor's number is reused only after all of its session is gone: a live
    // anchor pid with another start time means "nothing left of the old session".
    let sessions: BTreeSet<u32> = selector
        .anchors
        .iter()
        .filter(|a| !matches!(scan.get(&a.pid), Some(p) if p.start != a.start))
        .map(|a| a.pid)
        .collect();
    let mut seeds: BTreeSet<u32> = selector
        .anchors
        .iter()
        .chain(&selector.known)
        .chain(extra_seeds)
        .filter(|id| id.is_alive_in(scan))
        .map(|id| id.pid)
        .collect();
    for p in scan.values() {
        if p.is_gone() || seeds.contains(&p.pid) {
            continue;
        }
        let in_session = sessions.contains(&p.sid) || sessions.contains(&p.pgid);
        // The environment is read only when nothing cheaper already decided.
        if in_session || (!selector.env.is_empty() && !is_tmux_server(p) && env_match(p)) {
            seeds.insert(p.pid);
        }
    }
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for p in scan.values() {
        children.entry(p.ppid).or_default().push(p.pid);
    }
    let mut out = Selection::default();
    let mut todo: Vec<u32> = seeds.into_iter().collect();
    while let Some(pid) = todo.pop() {
        let Some(p) = scan.get(&pid) else { continue };
        if p.is_gone() || out.members.contains(&pid) || out.spared.contains_key(&pid) {
            continue;
        }
        if let Some(why) = protected.get(&pid) {
            // A protected process is not walked through either: its children are
            // shoal's own (control clients) or the system's.
            out.spared.insert(pid, why);
            continue;
        }
        out.members.insert(pid);
        todo.extend(children.get(&pid).into_iter().flatten());
    }
    out
}

/// A tmux server started from inside an agent's pane inherits that agent's
/// environment; it is never the agent's work.
fn is_tmux_server(p: &ProcInfo) -> bool {
    p.comm.starts_with("tmux: server")
}

/// Process groups that hold members only: signalling the group also reaches a child
/// forked between the scan and the signal.
pub(crate) fn whole_groups(scan: &HashMap<u32, ProcInfo>, members: &BTreeSet<u32>) -> Vec<u32> {
    let mut groups: BTreeMap<u32, bool> = BTreeMap::new();
    for p in scan.values().filter(|p| !p.is_gone()) {
        let whole = groups.entry(p.pgid).or_insert(true);
        *whole &= members.contains(&p.pid);
    }
    groups
        .into_iter()
        .filter(|&(g, whole)| whole && g > 1 && members.iter().any(|m| scan[m].pgid == g))
        .map(|(g, _)| g)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pid: u32, ppid: u32, pgid: u32, sid: u32, comm: &str) -> ProcInfo {
        ProcInfo {
            pid,
            ppid,
            pgid,
            sid,
            state: 'S',
            start: 1000 + u64::from(pid),
            comm: comm.into(),
        }
    }

    fn id(pid: u32) -> ProcId {
        ProcId {
            pid,
            start: 1000 + u64::from(pid),
        }
    }

    /// tmux server 50 (its own session) with pane 100; the agent's world below it,
    /// and bystanders around it.
    fn world() -> HashMap<u32, ProcInfo> {
        [
            p(1, 0, 1, 1, "init"),
            p(2, 0, 0, 0, "kthreadd"),
            p(3, 2, 0, 0, "kworker"),
            p(50, 1, 50, 50, "tmux: server"),
            p(100, 50, 100, 100, "bash"),
            p(101, 100, 100, 100, "sleep"),
            // A background job that got its own group, still in the session.
            p(102, 100, 102, 100, "node"),
            // A setsid grandchild whose parent lives: found by the parent link.
            p(103, 102, 103, 103, "setsid-child"),
            p(104, 103, 103, 103, "its-child"),
            // Reparented to init, session kept.
            p(105, 1, 100, 100, "orphan"),
            // Reparented to init in a new session: only the environment names it.
            p(106, 1, 106, 106, "escaped"),
            // Another pane on the same server, and an unrelated user process.
            p(200, 50, 200, 200, "bash"),
            p(300, 1, 300, 300, "editor"),
        ]
        .into_iter()
        .map(|p| (p.pid, p))
        .collect()
    }

    fn selector() -> Selector {
        Selector {
            anchors: vec![id(100)],
            known: vec![],
            env: vec![("SHOAL_AGENT".into(), "a".into())],
        }
    }

    fn members(sel: &Selection) -> Vec<u32> {
        sel.members.iter().copied().collect()
    }

    #[test]
    fn finds_the_session_the_tree_and_the_marked() {
        let scan = world();
        let prot = protected(&scan, &[]);
        let sel = select(&scan, &selector(), &[], &prot, &mut |p| {
            p.pid == 106 || p.pid == 50
        });
        assert_eq!(members(&sel), [100, 101, 102, 103, 104, 105, 106]);
        assert!(sel.spared.is_empty(), "{:?}", sel.spared);
    }

    #[test]
    fn without_an_environment_marker_the_escaped_one_is_not_guessed() {
        let scan = world();
        let mut s = selector();
        s.env.clear();
        let sel = select(&scan, &s, &[], &protected(&scan, &[]), &mut |_| true);
        assert_eq!(members(&sel), [100, 101, 102, 103, 104, 105]);
    }

    #[test]
    fn a_dead_anchor_still_names_its_session_but_a_reused_pid_does_not() {
        let mut scan = world();
        scan.remove(&100);
        let sel = select(&scan, &selector(), &[], &protected(&scan, &[]), &mut |_| {
            false
        });
        // 101 and 102 were reparented in reality; their session is what counts.
        assert_eq!(members(&sel), [101, 102, 103, 104, 105]);

        let mut scan = world();
        scan.retain(|pid, _| ![101, 102, 103, 104, 105, 106].contains(pid));
        scan.get_mut(&100).unwrap().start = 99_999;
        let sel = select(&scan, &selector(), &[], &protected(&scan, &[]), &mut |_| {
            false
        });
        assert!(sel.members.is_empty(), "{:?}", sel.members);
    }

    #[test]
    fn own_lineage_and_kernel_threads_are_spared_and_not_walked_through() {
        let mut scan = world();
        // shoal itself runs inside the agent's pane, with a control client child.
        scan.insert(110, p(110, 100, 110, 100, "shoal"));
        scan.insert(111, p(111, 110, 110, 100, "tmux: client"));
        let prot = protected(&scan, &[110]);
        let sel = select(&scan, &selector(), &[], &prot, &mut |p| p.pid == 3);
        assert!(!sel.members.contains(&110) && sel.spared.contains_key(&110));
        assert!(!sel.members.contains(&3));
        // 111 is in the session: found on its own, not through 110.
        assert!(sel.members.contains(&111));
    }

    #[test]
    fn known_processes_and_their_children_are_kept_after_leaving() {
        let mut scan = world();
        scan.insert(400, p(400, 1, 400, 400, "left"));
        scan.insert(401, p(401, 400, 400, 400, "left-child"));
        let mut s = selector();
        s.known = vec![id(400), ProcId { pid: 300, start: 5 }];
        let sel = select(&scan, &s, &[], &protected(&scan, &[]), &mut |_| false);
        assert!(sel.members.contains(&400) && sel.members.contains(&401));
        assert!(
            !sel.members.contains(&300),
            "a reused pid is not the known one"
        );
    }

    #[test]
    fn only_groups_made_of_members_are_signalled_as_groups() {
        let mut scan = world();
        // 500 joined the agent's group 102 from outside the selection.
        let members: BTreeSet<u32> = [100, 101, 102, 103, 104, 105].into();
        assert_eq!(whole_groups(&scan, &members), [100, 102, 103]);
        scan.insert(500, p(500, 1, 102, 100, "stranger"));
        assert_eq!(whole_groups(&scan, &members), [100, 103]);
    }
}
