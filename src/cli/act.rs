//! One agent command carried out for a caller: through the running supervisor when
//! there is one (queued, with a deadline), otherwise here and now.

use super::caller;
use super::ctx::{Ctx, FleetArg};
use crate::fleet::{Caller, Command, Request, Verb};
use crate::supervisor::runner::now_ms;
use anyhow::{bail, Result};
use std::time::{Duration, Instant};

/// How long `shoal kill` waits for the supervisor to see the agent's processes gone:
/// the SIGTERM grace, the SIGKILL wait, and a few ticks.
pub(super) const KILL_WAIT: Duration = Duration::from_secs(15);

/// How much longer a command the supervisor took just before its deadline is waited for.
const TAKEN_WAIT: Duration = Duration::from_secs(5);

/// Carry out one agent command for whoever runs this process.
pub fn act(fleet: &FleetArg, cmd: Command) -> Result<i32> {
    let ctx = Ctx::open(fleet)?;
    let caller = caller::identify(&ctx)?;
    act_as(&ctx, &caller, cmd)
}

/// Carry out one command for `caller`, if the caller rule allows it: through the running
/// supervisor when there is one (queued in the store with its caller, and done exactly
/// once), otherwise here and now.
pub fn act_as(ctx: &Ctx, caller: &Caller, cmd: Command) -> Result<i32> {
    caller::require_agent(ctx, cmd.agent())?;
    caller::authorize(ctx, caller, Verb::of(&cmd), cmd.agent())?;
    if let Some(holder) = ctx.live_supervisor()? {
        let req = Request::new(cmd.clone(), caller.clone());
        let chosen = super::deadline::chosen();
        let wait = chosen
            .wait
            .unwrap_or((ctx.fleet.settings.poll_interval * 10).max(Duration::from_secs(10)));
        let deadline = (!chosen.queue).then(|| now_ms().saturating_add(wait.as_millis() as i64));
        let id = ctx.store.enqueue_command_until(&req, now_ms(), deadline)?;
        if chosen.queue {
            println!(
                "queued `{}` for {} (command {id}); the supervisor (pid {}) carries it out when it gets to it",
                cmd.verb(),
                cmd.agent(),
                holder.pid
            );
            return Ok(0);
        }
        let t0 = Instant::now();
        // Past the deadline, a command already taken is still waited for briefly.
        let mut limit = wait;
        loop {
            if t0.elapsed() >= limit {
                if limit > wait {
                    break;
                }
                if ctx.store.drop_command(id, now_ms())? {
                    bail!(
                        "the supervisor (pid {}) did not carry out `{}` within {}s; it was dropped and will not be carried out later (`--wait DURATION` waits longer, `--queue` leaves it queued)",
                        holder.pid,
                        cmd.verb(),
                        wait.as_secs()
                    );
                }
                limit = wait + TAKEN_WAIT;
            }
            std::thread::sleep(Duration::from_millis(50));
            match ctx.store.command_status(id)? {
                Some((status, Some(result))) if status == "done" => {
                    println!("{result}");
                    if matches!(cmd, Command::Kill { .. }) {
                        super::kill_wait::until_ended(ctx, cmd.agent(), KILL_WAIT)?;
                    }
                    return Ok(0);
                }
                Some((status, Some(result))) if status == "failed" => {
                    eprintln!("shoal: {result}");
                    return Ok(1);
                }
                _ => {}
            }
        }
        bail!(
            "the supervisor (pid {}) took `{}` but has not finished it {}s later; `shoal events` shows what became of it",
            holder.pid,
            cmd.verb(),
            limit.as_secs()
        );
    }
    let mut sup = ctx.supervisor(false)?;
    sup.observe_all(now_ms());
    let result = sup.execute_as(caller, &cmd, now_ms());
    match result {
        Ok(what) => {
            println!("{what}");
            if matches!(cmd, Command::Cancel { .. } | Command::Kill { .. }) {
                // Nobody else will finish the cancel or the kill: wait out the grace
                // periods here.
                while !sup.unsettled().is_empty() {
                    std::thread::sleep(Duration::from_millis(250));
                    let now = now_ms();
                    sup.observe_all(now);
                    sup.settle(now);
                }
                if let Some(a) = sup.snapshot(now_ms()).agent(cmd.agent()) {
                    println!("{}: {}", a.name, a.state);
                }
            }
            Ok(0)
        }
        Err(why) => {
            eprintln!("shoal: {why}");
            Ok(1)
        }
    }
}
