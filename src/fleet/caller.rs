//! Who asks for an action, and the rule for what they may do: the operator may do
//! anything; an agent acts only on its own descendants, reports only for itself, reads
//! only its own inbox, spawns (and adds to the fleet file) only into its own subtree,
//! removes only its own descendants, and never takes the operator's
//! fleet-wide actions (`down`, `adopt`, the console).
//!
//! The rule is pure. Finding the caller (from the process chain and the pane it runs in)
//! is the command line's job; the supervisor checks the same rule again for the caller a
//! queued command carries.

use super::{Command, Verb};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;

/// Parent of each agent, by name.
pub type Parents = HashMap<String, Option<String>>;

/// Who runs a command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "who", rename_all = "kebab-case")]
pub enum Caller {
    /// Someone outside every pane of the fleet: the operator, who may do anything.
    Operator {
        /// The terminal the command was typed on, when it has one.
        tty: Option<String>,
    },
    /// An agent: the command runs inside its pane, or the operator narrowed itself to it
    /// with `SHOAL_AGENT` outside any pane.
    Agent {
        /// The agent's name.
        name: String,
        /// Its attempt at the time (0 when not known).
        attempt: u32,
        /// The pane the command runs in; `None` when only `SHOAL_AGENT` names the agent.
        pane: Option<String>,
    },
}

impl Caller {
    /// The caller a command implies by itself, for commands that carry none (queued by
    /// an older shoal, or built in the console's own process): the agent of a signal,
    /// the steering ancestor, else the operator.
    pub fn implied_by(cmd: &Command) -> Caller {
        let agent = |name: &str| Caller::Agent {
            name: name.to_string(),
            attempt: 0,
            pane: None,
        };
        match cmd {
            Command::Signal { agent: a, .. } => agent(a),
            Command::Steer { by, .. } if by != "operator" => agent(by),
            _ => Caller::Operator { tty: None },
        }
    }

    /// The agent's name, or `operator`.
    pub fn name(&self) -> &str {
        match self {
            Caller::Agent { name, .. } => name,
            Caller::Operator { .. } => "operator",
        }
    }

    /// The agent's name, when an agent asks.
    pub fn agent(&self) -> Option<&str> {
        match self {
            Caller::Agent { name, .. } => Some(name),
            Caller::Operator { .. } => None,
        }
    }
}

impl fmt::Display for Caller {
    /// How the audit trail names the caller: `operator (tty /dev/pts/3)`,
    /// `agent mallory#2 (pane %7)`, `agent lead#1 (no pane)` (named by `SHOAL_AGENT`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Caller::Operator { tty: Some(t) } => write!(f, "operator (tty {t})"),
            Caller::Operator { tty: None } => f.write_str("operator"),
            Caller::Agent {
                name,
                attempt,
                pane,
            } => {
                write!(f, "agent {name}")?;
                if *attempt > 0 {
                    write!(f, "#{attempt}")?;
                }
                match pane {
                    Some(p) => write!(f, " (pane {p})"),
                    None => f.write_str(" (no pane)"),
                }
            }
        }
    }
}

/// Whether `caller` may `verb` `target` (an agent name; empty for fleet-wide verbs).
/// `Err` says why not, naming the caller's reach, in the words the CLI prints.
pub fn may_act(caller: &Caller, verb: Verb, target: &str, parents: &Parents) -> Result<(), String> {
    let Some(me) = caller.agent() else {
        return Ok(());
    };
    match verb {
        Verb::Down => Err(format!(
            "{me} cannot run `shoal down` from its pane: only the operator stops the whole fleet; nothing was done"
        )),
        Verb::Adopt => Err(format!(
            "{me} cannot run `shoal adopt` from its pane: only the operator brings panes under supervision; nothing was done"
        )),
        Verb::Console => Err(format!(
            "{me} cannot open the console from its pane: the console acts with the operator's powers; `shoal status` shows the fleet"
        )),
        Verb::Signal if target != me => Err(format!(
            "{me} cannot signal for {target}: an agent signals only for itself; nothing was sent"
        )),
        Verb::Inbox if target != me => Err(format!(
            "{me} cannot read {target}'s inbox; an agent reads its own (drop --agent)"
        )),
        Verb::Spawn if target != me && !is_descendant(parents, target, me) => Err(format!(
            "{me} can only spawn into its own subtree: --parent {target:?} is neither {me} nor one of its descendants"
        )),
        Verb::Add if target != me && !is_descendant(parents, target, me) => Err(format!(
            "{me} can only add agents to its own subtree: --parent {target:?} is neither {me} nor one of its descendants; nothing was written"
        )),
        Verb::Signal | Verb::Inbox | Verb::Spawn | Verb::Add => Ok(()),
        _ if is_descendant(parents, target, me) => Ok(()),
        _ => {
            let mine = descendants(parents, me);
            let reach = if mine.is_empty() {
                format!("{me} has no descendants")
            } else {
                format!("{me} may {verb}: {}", mine.join(", "))
            };
            let nothing = if verb.types() { "sent" } else { "done" };
            Err(format!(
                "{me} cannot {verb} {target}: an agent may only {verb} its own descendants ({reach}); nothing was {nothing}"
            ))
        }
    }
}

/// Whether `agent` is a strict descendant of `ancestor`.
pub fn is_descendant(parents: &Parents, agent: &str, ancestor: &str) -> bool {
    let mut up = parents.get(agent).cloned().flatten();
    // A cycle in damaged data must not hang: no chain is longer than the fleet.
    for _ in 0..=parents.len() {
        match up {
            Some(p) if p == ancestor => return true,
            Some(p) => up = parents.get(&p).cloned().flatten(),
            None => return false,
        }
    }
    false
}

/// Names of `ancestor`'s descendants, sorted, for messages.
pub fn descendants(parents: &Parents, ancestor: &str) -> Vec<String> {
    let mut out: Vec<String> = parents
        .keys()
        .filter(|a| is_descendant(parents, a, ancestor))
        .cloned()
        .collect();
    out.sort();
    out
}

#[cfg(test)]
#[path = "caller_tests.rs"]
mod tests;
