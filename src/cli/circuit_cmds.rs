//! `shoal circuit`: the circuit breaker of each agent kind, and closing one by hand.

use super::ctx::{Ctx, FleetArg};
use crate::fleet::{Caller, CircuitState};
use crate::supervisor::runner::now_ms;
use anyhow::{bail, Result};
use clap::Subcommand;

/// What to do with circuits.
#[derive(Debug, Subcommand)]
pub enum CircuitCmd {
    /// List every kind's circuit (closed ones too).
    List,
    /// Close a kind's (or backend's) circuit now: its restarts and queued starts go
    /// through again.
    Reset {
        /// The agent kind (claude, codex, …), or the `backend` agents share.
        kind: String,
    },
}

/// Run `shoal circuit …`.
pub fn run(fleet: &FleetArg, what: Option<&CircuitCmd>) -> Result<i32> {
    let ctx = Ctx::open(fleet)?;
    let circuits = crate::supervisor::recorded_circuits(&ctx.store)?;
    let now = now_ms();
    match what.unwrap_or(&CircuitCmd::List) {
        CircuitCmd::List => {
            if circuits.is_empty() {
                println!("no circuit has opened in fleet {}", ctx.fleet.name());
            }
            for c in circuits {
                match c.view() {
                    Some(v) => println!("{}", v.text(now)),
                    None => println!("{}: circuit closed", c.kind),
                }
            }
            Ok(0)
        }
        CircuitCmd::Reset { kind } => {
            if let Caller::Agent { name, .. } = super::caller::identify(&ctx)? {
                bail!("{name} is an agent; only the operator closes a circuit (run `shoal circuit reset {kind}` outside the fleet's panes)");
            }
            let known: Vec<&str> = circuits.iter().map(|c| c.kind.as_str()).collect();
            match circuits.iter().find(|c| &c.kind == kind) {
                None => bail!(
                    "no circuit for kind or backend {kind:?} in fleet {}; circuits: {}",
                    ctx.fleet.name(),
                    if known.is_empty() {
                        "(none)".to_string()
                    } else {
                        known.join(", ")
                    }
                ),
                Some(c) if c.state == CircuitState::Closed => {
                    println!("{kind}: circuit already closed");
                    Ok(0)
                }
                Some(_) => {
                    crate::supervisor::reset_recorded_circuit(&ctx.store, kind, "operator", now)?;
                    println!(
                        "{kind}: circuit closed; its restarts and queued starts go through again"
                    );
                    Ok(0)
                }
            }
        }
    }
}
