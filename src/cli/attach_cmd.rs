//! `shoal attach NAME`: the terminal to the agent's pane until detach; for an agent
//! whose attempt has ended, its final screen instead of a tmux error.

use super::caller::{authorize, identify, require_agent};
use super::ctx::{Ctx, FleetArg};
use crate::fleet::{LifeState, Verb};
use crate::supervisor::runner::now_ms;
use anyhow::{bail, Result};

/// Attach to `name`'s pane, or print the final screen of its ended attempt.
pub fn attach(fleet: &FleetArg, name: &str) -> Result<i32> {
    let ctx = Ctx::open(fleet)?;
    let caller = identify(&ctx)?;
    require_agent(&ctx, name)?;
    // Attached, the keyboard types into the pane: the same reach as `send`.
    authorize(&ctx, &caller, Verb::Send, name)?;
    let mut sup = ctx.supervisor(false)?;
    if ctx.live_supervisor()?.is_none() {
        sup.observe_all(now_ms());
    }
    let snap = sup.snapshot(now_ms());
    let Some(a) = snap.agent(name) else {
        bail!("no agent named {name:?}");
    };
    match (&a.server, &a.pane, a.state) {
        (Some(server), Some(pane), LifeState::Starting | LifeState::Running) => {
            crate::console::attach(&ctx.hosts().server(server), pane)?;
            Ok(0)
        }
        (_, _, LifeState::Queued) => {
            bail!("{name} has not started yet (queued); `shoal up` starts it")
        }
        _ => {
            let screen = final_screen(&a.capture);
            if screen.is_empty() {
                println!("({name} left no final screen)");
            } else {
                println!("{screen}");
            }
            let events = ctx.store.recent_events(name, a.attempt, 50)?;
            let how = crate::fleet::ending::words(a, events.iter());
            println!(
                "— {name} attempt {} ended: {how}; nothing to attach to. `shoal retry {name}` starts it again",
                a.attempt
            );
            Ok(0)
        }
    }
}

/// The screen without its trailing blank rows (a dead pane's 48 empty lines).
fn final_screen(capture: &str) -> String {
    let lines: Vec<&str> = capture.lines().collect();
    let last = lines
        .iter()
        .rposition(|l| !strip_ansi_escapes::strip_str(l).trim().is_empty());
    last.map_or(String::new(), |i| lines[..=i].join("\n"))
}
