//! Opening the console: the supervisor runs embedded on its own thread, the console
//! draws its snapshots, and attaching hands the terminal to tmux and back.

use super::ctx::Ctx;
use crate::console::{attach, run_console, ConsoleIo, LiveIo};
use crate::supervisor::runner::{self};
use anyhow::{bail, Result};

/// How many past events the console starts with.
const HISTORY: usize = 2000;

/// Open the console on a fleet, with its supervisor embedded.
pub fn open(ctx: &Ctx) -> Result<()> {
    crate::tmux::Server::check_installed()?;
    // The console's keys act as the operator: not for a command from an agent's pane.
    let caller = super::caller::identify(ctx)?;
    super::caller::authorize(ctx, &caller, crate::fleet::Verb::Console, "")?;
    if let Some(h) = ctx.live_supervisor()? {
        bail!(
            "a supervisor (pid {}) already watches fleet {}; a console that only views a running supervisor is not built yet: stop it (kill -TERM {}) and run the console, which supervises by itself",
            h.pid, ctx.fleet.settings.name, h.pid
        );
    }
    let sup = ctx.supervisor(true)?;
    let mut handle =
        runner::spawn(sup, crate::store::SupervisorMode::Console).map_err(anyhow::Error::msg)?;
    let mut history = ctx.store.events(None, 0, usize::MAX)?;
    if history.len() > HISTORY {
        history.drain(..history.len() - HISTORY);
    }
    let (events, outcomes) = handle.take_streams();
    let loader = super::reload::Loader::new(
        ctx.paths.clone(),
        ctx.config.clone(),
        Some((ctx.fleet.path.clone(), ctx.fleet.clone())),
        crate::theme::ColorDepth::from_env(),
        Some(handle.updates.clone()),
    );
    // Without a watcher the console still runs, with the settings it started with.
    let (_watch, live) = match super::reload::start(loader) {
        Ok((w, rx)) => (Some(w), Some(rx)),
        Err(e) => {
            eprintln!("shoal: {e}");
            (None, None)
        }
    };
    let io = ConsoleIo {
        snapshots: handle.snapshots.clone(),
        events,
        history,
        outcomes,
        commands: handle.commands.clone(),
        attach: Box::new(attach),
        bell: true,
        live: live.map(|live| LiveIo {
            live,
            updates: handle.updates.clone(),
        }),
        logs: Box::new(crate::store::Store::open(ctx.store.path())?),
    };
    let result = run_console(io);
    handle.stop();
    result
}
