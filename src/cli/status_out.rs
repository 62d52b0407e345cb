//! `shoal status` with lineage: the live fleet as a tree by default, history with
//! `--all` (ended attempts and removed agents, with final state and signal).

use super::output;
use crate::fleet::{AgentView, FleetSnapshot};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::fmt::Write as _;

/// Longest note shown in the table.
const NOTE_WIDTH: usize = 70;

fn is_live(a: &AgentView) -> bool {
    !a.lineage.is_history(a.state)
}

/// Agents in tree order with their depth; an absent parent makes a root, and a parent
/// cycle is cut so that every agent appears once.
pub fn tree_order(agents: &[AgentView]) -> Vec<(usize, usize)> {
    let index: HashMap<&str, usize> = agents
        .iter()
        .enumerate()
        .map(|(i, a)| (a.name.as_str(), i))
        .collect();
    let parent: Vec<Option<usize>> = agents
        .iter()
        .enumerate()
        .map(|(i, a)| {
            a.parent
                .as_deref()
                .and_then(|p| index.get(p).copied())
                .filter(|&p| p != i)
        })
        .collect();
    let mut children = vec![Vec::new(); agents.len()];
    for (i, p) in parent.iter().enumerate() {
        if let Some(p) = p {
            children[*p].push(i);
        }
    }
    let mut seen = vec![false; agents.len()];
    let mut out = Vec::with_capacity(agents.len());
    let roots: Vec<usize> = (0..agents.len()).filter(|&i| parent[i].is_none()).collect();
    let cycle_members = (0..agents.len()).collect::<Vec<_>>();
    for start in roots.into_iter().chain(cycle_members) {
        let mut stack = vec![(start, 0)];
        while let Some((i, depth)) = stack.pop() {
            if std::mem::replace(&mut seen[i], true) {
                continue;
            }
            out.push((i, depth));
            stack.extend(children[i].iter().rev().map(|&c| (c, depth + 1)));
        }
    }
    out
}

/// Which agents the default view shows: live ones and, so no live agent is cut off from
/// its tree, the ended or removed ancestors of live ones.
pub fn shown(agents: &[AgentView], all: bool) -> Vec<bool> {
    if all {
        return vec![true; agents.len()];
    }
    let index: HashMap<&str, usize> = agents
        .iter()
        .enumerate()
        .map(|(i, a)| (a.name.as_str(), i))
        .collect();
    let mut show: Vec<bool> = agents.iter().map(is_live).collect();
    for i in 0..agents.len() {
        if !is_live(&agents[i]) {
            continue;
        }
        let mut up = agents[i]
            .parent
            .as_deref()
            .and_then(|p| index.get(p).copied());
        let mut steps = 0;
        while let Some(p) = up {
            if show[p] && is_live(&agents[p]) || steps > agents.len() {
                break;
            }
            show[p] = true;
            steps += 1;
            up = agents[p]
                .parent
                .as_deref()
                .and_then(|q| index.get(q).copied());
        }
    }
    show
}

fn clip(s: &str, w: usize) -> String {
    if s.chars().count() <= w {
        return s.to_string();
    }
    let mut out: String = s.chars().take(w.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// `shoal status`: the tree, live agents only unless `all`.
pub fn status_table(s: &FleetSnapshot, now: i64, all: bool) -> String {
    let header = [
        "NAME", "PARENT", "KIND", "STATE", "ACTIVITY", "TIER", "PROGRESS", "ATTEMPT", "PANE",
        "EXIT", "NOTE",
    ];
    let show = shown(&s.agents, all);
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|h| (*h).to_string()).collect()];
    for (i, depth) in tree_order(&s.agents) {
        if !show[i] {
            continue;
        }
        let a = &s.agents[i];
        let mut activity = a.activity.to_string();
        if let Some(e) = a.error {
            activity.push_str(&format!(" ({e})"));
        }
        if let Some(down) = &a.lineage.host_down {
            activity.push_str(&format!(" ({down})"));
        }
        let mut tier = a.tier.to_string();
        if a.paused {
            tier.push_str(" (paused)");
        }
        // The console's words: `28m ago`, not `1680s ago`.
        let progress = match crate::app::format::since_progress(a, now) {
            dash if dash == "-" => dash,
            ago => format!("{ago} ago"),
        };
        let indent = "  ".repeat(depth);
        rows.push(vec![
            format!("{indent}{}", a.name),
            a.parent.clone().unwrap_or_else(|| "-".into()),
            a.kind.clone(),
            a.state.to_string(),
            activity,
            tier,
            progress,
            a.attempt.to_string(),
            a.pane.clone().unwrap_or_else(|| "-".into()),
            a.exit_status.map_or("-".into(), |s| s.to_string()),
            clip(&note_with_ending(a, now), NOTE_WIDTH),
        ]);
        if all {
            for p in a.lineage.past.iter().rev() {
                let note = p
                    .signal
                    .as_ref()
                    .map_or(String::new(), |s| format!("{}: {}", s.kind, s.message));
                rows.push(vec![
                    format!("{indent}  {}#{}", a.name, p.attempt),
                    a.name.clone(),
                    a.kind.clone(),
                    p.state.to_string(),
                    "-".into(),
                    "-".into(),
                    "-".into(),
                    p.attempt.to_string(),
                    "-".into(),
                    p.exit_status.map_or("-".into(), |s| s.to_string()),
                    clip(&note, NOTE_WIDTH),
                ]);
            }
        }
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in &rows {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
    let hidden = show.iter().filter(|v| !**v).count();
    if s.agents.is_empty() {
        let _ = writeln!(out, "(no agents declared in fleet {})", s.fleet);
    } else if hidden > 0 {
        let _ = writeln!(
            out,
            "({hidden} ended or removed agent{} not shown; `shoal status --all` lists the history)",
            if hidden == 1 { "" } else { "s" }
        );
    }
    out
}

/// The note, after how the current attempt ended when that is known:
/// `killed by operator · 2m ago`.
fn note_with_ending(a: &AgentView, now: i64) -> String {
    let note = a.note_at(now);
    let Some(how) = &a.lineage.ending else {
        return note;
    };
    let ago = a.ended_ms.map_or(String::new(), |t| {
        format!(" · {} ago", crate::app::format::elapsed(now - t))
    });
    if note.is_empty() {
        format!("{how}{ago}")
    } else {
        format!("{how}{ago} · {note}")
    }
}

/// Fill in how each ended agent's attempt ended, from its newest stored events.
pub fn read_endings(snap: &mut FleetSnapshot, store: &crate::store::Store) {
    for a in snap.agents.iter_mut().filter(|a| a.state.is_ended()) {
        let Ok(events) = store.recent_events(&a.name, a.attempt, ENDING_EVENTS) else {
            continue;
        };
        a.lineage.ending = Some(crate::fleet::ending::words(a, events.iter()));
    }
}

/// Newest events read per ended agent: its end, and who asked for it, are among them.
const ENDING_EVENTS: usize = 50;

fn signal_json(s: &crate::fleet::SignalView) -> Value {
    json!({"kind": s.kind, "message": s.message, "ts_ms": s.ts_ms, "attempt": s.attempt})
}

/// What only the running supervisor knows, from its published snapshot: which hosts
/// are unreachable, and that their agents' activity is unknown meanwhile.
pub fn overlay_hosts(snap: &mut FleetSnapshot, published: &FleetSnapshot) {
    snap.stats
        .unreachable
        .clone_from(&published.stats.unreachable);
    for a in &mut snap.agents {
        let Some(p) = published.agents.iter().find(|p| p.name == a.name) else {
            continue;
        };
        if p.lineage.host_down.is_some() && p.attempt == a.attempt {
            a.activity = p.activity;
            a.lineage.host_down.clone_from(&p.lineage.host_down);
        }
    }
}

/// `shoal status --json`: every agent's current attempt (ended ones too, so scripts can
/// wait for an end state) with its lineage; removed agents and earlier attempts with
/// their final screens only with `all`.
pub fn status_json(s: &FleetSnapshot, now: i64, all: bool) -> Value {
    let Value::Array(base) = output::status_json(s, now) else {
        return Value::Array(Vec::new());
    };
    let mut out = Vec::with_capacity(base.len());
    for (obj, a) in base.into_iter().zip(&s.agents) {
        if !all && a.lineage.removed && !is_live(a) {
            continue;
        }
        let Value::Object(mut m) = obj else { continue };
        let l = &a.lineage;
        let extra = json!({
            "live": is_live(a),
            "queue_position": l.queue_pos,
            "signal": l.signal.as_ref().map(signal_json),
            "held": l.held,
            "rollup": l.rollup,
            "removed": l.removed,
            "adopted": l.adopted,
            "max_children": l.max_children,
            "note": a.note_at(now),
            "ending": l.ending,
            "restart": l.restart,
            "usage": a.usage,
            "budget": l.budget,
        });
        if let Value::Object(e) = extra {
            m.extend(e);
        }
        if all {
            add_history(&mut m, a);
        }
        out.push(Value::Object(m));
    }
    Value::Array(out)
}

fn add_history(m: &mut Map<String, Value>, a: &AgentView) {
    let attempts: Vec<Value> = a
        .lineage
        .past
        .iter()
        .map(|p| {
            json!({
                "attempt": p.attempt,
                "state": p.state,
                "started_ms": p.started_ms,
                "ended_ms": p.ended_ms,
                "exit_status": p.exit_status,
                "signal": p.signal.as_ref().map(signal_json),
                "final_screen": p.death.as_ref(),
            })
        })
        .collect();
    m.insert("past_attempts".into(), Value::Array(attempts));
    // Read from a dead pane by this process, not from the store: redact it here.
    let last = a
        .state
        .is_ended()
        .then(|| crate::logs::redact::redact(&a.capture).into_owned());
    m.insert("final_screen".into(), json!(last));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::sample::NOW;
    use crate::fleet::{LifeState, SignalKind, SignalView};

    /// A shell agent with no pane whose screen says its last words.
    fn agent(name: &str, parent: Option<&str>, state: LifeState) -> AgentView {
        AgentView::sample(name)
            .with_parent(parent)
            .with_state(state)
            .with_kind("shell")
            .with_pane(None, None)
            .with_capture("last words")
    }

    fn fleet() -> FleetSnapshot {
        let mut agents = vec![
            agent("lead", None, LifeState::Killed),
            agent("kid", Some("lead"), LifeState::Running),
            agent("gone", Some("lead"), LifeState::Done),
            agent("old", None, LifeState::Failed),
        ];
        agents[2].lineage.signal = Some(SignalView {
            id: 1,
            ts_ms: 0,
            agent: "gone".into(),
            attempt: 1,
            kind: SignalKind::Done,
            message: "shipped".into(),
        });
        agents[3].lineage.removed = true;
        FleetSnapshot::sample(agents)
    }

    #[test]
    fn the_default_table_shows_live_agents_under_their_ended_parents() {
        let t = status_table(&fleet(), NOW, false);
        let names: Vec<&str> = t
            .lines()
            .skip(1)
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        assert_eq!(names, ["lead", "kid", "(2"], "{t}");
        assert!(t.contains("  kid"), "indented under lead:\n{t}");
        assert!(t.contains("(2 ended or removed agents not shown"), "{t}");
        let all = status_table(&fleet(), NOW, true);
        assert!(all.contains("done: shipped"), "{all}");
        assert!(all.contains("removed"), "{all}");
        assert!(!all.contains("not shown"), "{all}");
    }

    #[test]
    fn progress_reads_as_the_console_says_it() {
        let mut s = fleet();
        s.agents[1].last_progress_ms = NOW - 28 * 60_000 - 5_000;
        let t = status_table(&s, NOW, false);
        let kid = t.lines().find(|l| l.contains("kid")).unwrap();
        assert!(kid.contains("28m ago"), "{kid}");
    }

    #[test]
    fn json_keeps_ended_agents_and_adds_history_with_all() {
        let v = status_json(&fleet(), NOW, false);
        let names: Vec<&str> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            ["lead", "kid", "gone"],
            "removed agents only with --all"
        );
        assert_eq!(v[2]["signal"]["message"], "shipped");
        assert_eq!(v[1]["live"], true);
        assert!(v[0].get("final_screen").is_none());
        let all = status_json(&fleet(), NOW, true);
        assert_eq!(all.as_array().unwrap().len(), 4);
        assert_eq!(all[0]["final_screen"], "last words");
        assert_eq!(all[1]["final_screen"], Value::Null, "a live agent has none");
    }

    #[test]
    fn the_note_says_who_ended_the_attempt_and_when() {
        let mut s = fleet();
        s.agents[1] = agent("kid", Some("lead"), LifeState::Killed).with_ended(
            LifeState::Killed,
            None,
            NOW - 120_000,
        );
        s.agents[1].lineage.ending = Some("killed by operator".into());
        s.agents[0] = s.agents[0]
            .clone()
            .with_ended(LifeState::Killed, None, NOW - 5_000);
        s.agents[0].lineage.ending = Some("killed (stalled 3×)".into());
        let t = status_table(&s, NOW, true);
        assert!(t.contains("killed by operator · 2m ago"), "{t}");
        assert!(t.contains("killed (stalled 3×) · 5s ago"), "{t}");
        let v = status_json(&s, NOW, false);
        let kid = v
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == "kid")
            .unwrap();
        assert_eq!(kid["ending"], "killed by operator");
    }
}
