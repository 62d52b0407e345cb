//! The start queue as a pure function: which queued agents may start now under the
//! fleet's `max_running` and each parent's `max_children`, in FIFO order.

use crate::fleet::LifeState;
use std::collections::HashMap;

/// One agent as the queue sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    /// Agent name.
    pub name: &'a str,
    /// Parent's name.
    pub parent: Option<&'a str>,
    /// Lifecycle state of its current attempt.
    pub state: LifeState,
    /// Left the fleet: never started from the queue.
    pub removed: bool,
    /// FIFO key: when it was recorded, then declaration order.
    pub order: (i64, i64),
}

/// What the queue decides.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Indices to start now, in FIFO order.
    pub start: Vec<usize>,
    /// Every startable queued index in FIFO order (those starting now included): the
    /// 1-based position in this list is what a queued agent shows.
    pub fifo: Vec<usize>,
}

impl Plan {
    /// 1-based position of entry `i` in the queue, if it is queued.
    pub fn position(&self, i: usize) -> Option<usize> {
        self.fifo.iter().position(|&q| q == i).map(|p| p + 1)
    }
}

fn is_live(s: LifeState) -> bool {
    matches!(s, LifeState::Starting | LifeState::Running)
}

/// Decide which queued agents start now. Running agents (adopted ones too) fill slots
/// first. Queued agents are taken oldest first; once the fleet is full nobody else
/// starts, but an agent held only by its own parent's `max_children` is passed over so
/// one busy parent cannot block the rest of the fleet.
pub fn plan(
    entries: &[Entry<'_>],
    max_running: Option<usize>,
    max_children: &dyn Fn(&str) -> Option<usize>,
) -> Plan {
    let mut running = entries.iter().filter(|e| is_live(e.state)).count();
    let mut children: HashMap<&str, usize> = HashMap::new();
    for e in entries.iter().filter(|e| is_live(e.state)) {
        if let Some(p) = e.parent {
            *children.entry(p).or_default() += 1;
        }
    }
    let mut fifo: Vec<usize> = (0..entries.len())
        .filter(|&i| entries[i].state == LifeState::Queued && !entries[i].removed)
        .collect();
    fifo.sort_by_key(|&i| (entries[i].order, i));
    let mut start = Vec::new();
    for &i in &fifo {
        if max_running.is_some_and(|m| running >= m) {
            break;
        }
        let parent = entries[i].parent;
        if let Some(p) = parent {
            let cap = max_children(p);
            if cap.is_some_and(|m| children.get(p).copied().unwrap_or(0) >= m) {
                continue;
            }
            *children.entry(p).or_default() += 1;
        }
        running += 1;
        start.push(i);
    }
    Plan { start, fifo }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e<'a>(
        name: &'a str,
        parent: Option<&'static str>,
        state: LifeState,
        order: i64,
    ) -> Entry<'a> {
        Entry {
            name,
            parent,
            state,
            removed: false,
            order: (0, order),
        }
    }

    fn names<'a>(entries: &[Entry<'a>], idx: &[usize]) -> Vec<&'a str> {
        idx.iter().map(|&i| entries[i].name).collect()
    }

    const Q: LifeState = LifeState::Queued;
    const R: LifeState = LifeState::Running;

    #[test]
    fn no_cap_starts_every_queued_agent_oldest_first() {
        let entries = [e("b", None, Q, 2), e("a", None, Q, 1), e("c", None, R, 0)];
        let p = plan(&entries, None, &|_| None);
        assert_eq!(names(&entries, &p.start), ["a", "b"]);
        assert_eq!(p.position(1), Some(1));
        assert_eq!(p.position(2), None, "running agents have no place");
    }

    #[test]
    fn the_fleet_cap_counts_running_agents_and_keeps_fifo() {
        // (states, max_running, expected starts)
        let cases: [(&[LifeState], usize, &[&str]); 4] = [
            (&[Q, Q, Q, Q, Q], 2, &["a0", "a1"]),
            (&[R, Q, Q, Q, Q], 2, &["a1"]),
            (&[R, R, Q, Q, Q], 2, &[]),
            (&[LifeState::Done, R, Q, Q, Q], 2, &["a2"]),
        ];
        let names_all = ["a0", "a1", "a2", "a3", "a4"];
        for (states, cap, want) in cases {
            let entries: Vec<Entry> = states
                .iter()
                .zip(names_all)
                .enumerate()
                .map(|(n, (s, name))| e(name, None, *s, n as i64))
                .collect();
            let p = plan(&entries, Some(cap), &|_| None);
            assert_eq!(names(&entries, &p.start), want, "{states:?}");
        }
    }

    #[test]
    fn a_parent_cap_holds_its_children_but_not_the_others() {
        let entries = [
            e("lead", None, R, 0),
            e("k1", Some("lead"), R, 1),
            e("k2", Some("lead"), Q, 2),
            e("other", None, Q, 3),
            e("k3", Some("lead"), Q, 4),
        ];
        let caps = |p: &str| (p == "lead").then_some(1);
        let p = plan(&entries, Some(10), &caps);
        assert_eq!(names(&entries, &p.start), ["other"]);
        assert_eq!(p.position(2), Some(1), "k2 keeps its place at the head");
        assert_eq!(p.position(4), Some(3));
        // Once k1 ends, k2 (the oldest) goes first and k3 still waits.
        let mut next = entries.to_vec();
        next[1].state = LifeState::Done;
        let p = plan(&next, Some(10), &caps);
        assert_eq!(names(&next, &p.start), ["k2", "other"]);
    }

    #[test]
    fn removed_agents_never_start_and_order_uses_record_time_first() {
        let mut entries = vec![e("late", None, Q, 0), e("gone", None, Q, 1)];
        entries[0].order = (50, 0);
        entries[1].removed = true;
        let early = Entry {
            order: (10, 9),
            ..e("early", None, Q, 9)
        };
        entries.push(early);
        let p = plan(&entries, Some(1), &|_| None);
        assert_eq!(names(&entries, &p.start), ["early"]);
        assert_eq!(p.position(1), None);
        assert_eq!(p.position(0), Some(2));
    }
}
