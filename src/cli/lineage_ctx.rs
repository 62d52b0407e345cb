//! What commands run inside an agent's pane need: the fleet found from the pane's
//! environment (`SHOAL_FLEET`, `SHOAL_HOME`) through the settings recorded in the store,
//! who is asking (`SHOAL_AGENT`, else the operator), and the subtree that caller may act on.

use super::ctx::{home_dir, Ctx};
use crate::fleet::{file, Fleet};
use crate::store::{AgentRecord, Origin, RecordedFleet, Store};
use crate::supervisor::Connector;
use crate::tmux::{ForeignBackend, TmuxBackend};
use anyhow::{anyhow, bail, Result};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The fleet file to use: the one given with `-f`; inside an agent's pane, none (the
/// pane's fleet is found from its environment); otherwise `./shoal.toml`.
pub fn fleet_path(given: Option<PathBuf>) -> PathBuf {
    match given {
        Some(p) => p,
        None if env("SHOAL_FLEET").is_some() => PathBuf::new(),
        None => PathBuf::from("shoal.toml"),
    }
}

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

/// Open the fleet of the pane this command runs in, from its store alone.
pub fn open_from_env() -> Result<Ctx> {
    let Some(name) = env("SHOAL_FLEET") else {
        bail!("no fleet: not inside an agent's pane (SHOAL_FLEET is not set) and no fleet file given; pass -f FILE, or run where shoal.toml is");
    };
    file::check_name(&name).map_err(|e| anyhow!("SHOAL_FLEET: {e}"))?;
    let home = home_dir()?;
    let path = home.join(format!("{name}.sqlite"));
    if !path.is_file() {
        bail!(
            "fleet {name:?} (from SHOAL_FLEET) has no store at {}; check SHOAL_HOME, or pass -f FILE",
            path.display()
        );
    }
    let store = Store::open(&path)?;
    let settings = store.fleet_settings()?.ok_or_else(|| {
        anyhow!(
            "the store {} holds no fleet settings yet; run `shoal -f FILE up --no-console` once with the fleet file",
            path.display()
        )
    })?;
    Ok(Ctx {
        fleet: settings.to_fleet(),
        home,
        store,
        config: super::ctx::config()?,
        paths: super::ctx::paths()?,
    })
}

/// Record a fleet file's settings and its agents' lineage facts in the store, so that
/// commands inside panes can work without the file; agents the file no longer
/// declares become history.
pub fn record_fleet(store: &Store, fleet: &Fleet, now_ms: i64) -> Result<()> {
    // Every command opens the fleet: write only what changed, so a running supervisor
    // is not made to reload for nothing.
    let settings = RecordedFleet::of(fleet);
    if store.fleet_settings()?.as_ref() != Some(&settings) {
        store.save_fleet_settings(&settings)?;
    }
    let declared: Vec<String> = fleet.agents.iter().map(|a| a.name.clone()).collect();
    let meta = store.agent_meta()?;
    let stale_meta = fleet.agents.iter().any(|a| {
        meta.get(&a.name).map_or(true, |m| {
            m.origin != Origin::File || m.max_children != a.max_children
        })
    });
    let stale_removal = meta.iter().any(|(name, m)| {
        let listed = declared.contains(name);
        (listed && m.removed_ms.is_some())
            || (!listed && m.origin == Origin::File && m.removed_ms.is_none())
    });
    if stale_meta || stale_removal {
        store.write(|s| {
            for a in &fleet.agents {
                s.set_agent_meta(&a.name, Origin::File, a.max_children)?;
            }
            s.mark_removed(&declared, now_ms)
        })?;
    }
    Ok(())
}

/// Whether `socket` is one of the fleet's own tmux servers (`shoal-<fleet>`, `-2`, …).
pub fn is_fleet_socket(fleet: &str, socket: &str) -> bool {
    let base = file::socket_name(fleet, 0);
    socket == base
        || socket
            .strip_prefix(&format!("{base}-"))
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Connects to a fleet's servers as [`super::ctx::connector`] does, and to any other
/// server (where adopted panes live) with one-shot commands, never starting it.
pub fn connector_for(fleet: &str, control: bool) -> Connector {
    let fleet = fleet.to_string();
    Box::new(move |socket: &str, start: bool| {
        if !is_fleet_socket(&fleet, socket) {
            return Ok(Box::new(ForeignBackend::connect(socket)?) as Box<dyn TmuxBackend + Send>);
        }
        super::ctx::connect_fleet_server(socket, start, control)
    })
}

/// Who runs a command: an agent of this fleet (from its pane's environment), or the
/// operator, who may do anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// The agent whose pane the command runs in.
    Agent(String),
    /// Anyone else.
    Operator,
}

impl Caller {
    /// The caller of a command on this fleet. An agent named by `SHOAL_AGENT` must
    /// exist; an agent of another fleet acts as the operator of this one.
    pub fn of(ctx: &Ctx) -> Result<Caller> {
        let (Some(agent), Some(fleet)) = (env("SHOAL_AGENT"), env("SHOAL_FLEET")) else {
            return Ok(Caller::Operator);
        };
        if fleet != ctx.fleet.settings.name {
            return Ok(Caller::Operator);
        }
        if ctx.store.agent(&agent)?.is_none() {
            bail!(
                "SHOAL_AGENT names {agent:?}, which fleet {} does not know; run this inside one of its agents' panes",
                ctx.fleet.settings.name
            );
        }
        Ok(Caller::Agent(agent))
    }

    /// The name used in events: the agent's, or `operator`.
    pub fn name(&self) -> &str {
        match self {
            Caller::Agent(a) => a,
            Caller::Operator => "operator",
        }
    }
}

/// Parent of each agent, by name.
pub fn parents(store: &Store) -> Result<HashMap<String, Option<String>>> {
    Ok(store
        .agents()?
        .into_iter()
        .map(|a: AgentRecord| (a.name, a.parent))
        .collect())
}

/// Whether `agent` is a strict descendant of `ancestor`.
pub fn is_descendant(
    parents: &HashMap<String, Option<String>>,
    agent: &str,
    ancestor: &str,
) -> bool {
    let mut up = parents.get(agent).cloned().flatten();
    let mut steps = 0;
    while let Some(p) = up {
        if p == ancestor {
            return true;
        }
        steps += 1;
        if steps > parents.len() {
            return false;
        }
        up = parents.get(&p).cloned().flatten();
    }
    false
}

/// Names of `ancestor`'s descendants, sorted, for messages.
pub fn descendants(parents: &HashMap<String, Option<String>>, ancestor: &str) -> Vec<String> {
    let mut out: Vec<String> = parents
        .keys()
        .filter(|a| is_descendant(parents, a, ancestor))
        .cloned()
        .collect();
    out.sort();
    out
}

/// Refuse unless `by` may act on `target`: the operator may act on anyone, an agent
/// only on its own descendants.
pub fn check_authority(
    parents: &HashMap<String, Option<String>>,
    by: &Caller,
    target: &str,
    verb: &str,
) -> Result<()> {
    let Caller::Agent(me) = by else {
        return Ok(());
    };
    if is_descendant(parents, target, me) {
        return Ok(());
    }
    let mine = descendants(parents, me);
    let allowed = if mine.is_empty() {
        format!("{me} has no descendants")
    } else {
        format!("{me} may {verb}: {}", mine.join(", "))
    };
    bail!("{me} cannot {verb} {target}: an agent may only {verb} its own descendants ({allowed}); nothing was sent")
}

/// The fleet file a path names, or the pane's fleet for the empty path.
pub fn is_pane_fleet(path: &Path) -> bool {
    path.as_os_str().is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> HashMap<String, Option<String>> {
        [
            ("lead", None),
            ("a", Some("lead")),
            ("b", Some("lead")),
            ("a1", Some("a")),
            ("solo", None),
        ]
        .into_iter()
        .map(|(n, p)| (n.to_string(), p.map(str::to_string)))
        .collect()
    }

    #[test]
    fn an_agent_may_act_on_its_descendants_only() {
        let t = tree();
        let lead = Caller::Agent("lead".into());
        let a = Caller::Agent("a".into());
        // (caller, target, allowed)
        let cases = [
            (&lead, "a", true),
            (&lead, "a1", true),
            (&lead, "lead", false),
            (&lead, "solo", false),
            (&a, "a1", true),
            (&a, "lead", false),
            (&a, "b", false),
            (&Caller::Operator, "lead", true),
            (&Caller::Operator, "a1", true),
        ];
        for (by, target, ok) in cases {
            let r = check_authority(&t, by, target, "steer");
            assert_eq!(r.is_ok(), ok, "{by:?} → {target}: {r:?}");
        }
        let e = check_authority(&t, &a, "b", "steer")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "a cannot steer b: an agent may only steer its own descendants (a may steer: a1); nothing was sent"
        );
        let e = check_authority(&t, &Caller::Agent("b".into()), "a", "steer")
            .unwrap_err()
            .to_string();
        assert!(e.contains("b has no descendants"), "{e}");
    }

    #[test]
    fn a_parent_cycle_does_not_hang() {
        let mut t = tree();
        t.insert("x".into(), Some("y".into()));
        t.insert("y".into(), Some("x".into()));
        assert!(!is_descendant(&t, "x", "lead"));
    }

    #[test]
    fn fleet_sockets_are_told_from_foreign_ones() {
        assert!(is_fleet_socket("demo", "shoal-demo"));
        assert!(is_fleet_socket("demo", "shoal-demo-3"));
        assert!(!is_fleet_socket("demo", "shoal-demo-x"));
        assert!(!is_fleet_socket("demo", "shoal-demo2"));
        assert!(!is_fleet_socket("demo", "default"));
    }
}
