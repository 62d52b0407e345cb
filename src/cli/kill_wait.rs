//! `shoal kill` through a running supervisor: the supervisor sends SIGTERM and records
//! the attempt killed only once its processes are gone, so the command waits for that
//! record and prints how the attempt ended.

use super::ctx::Ctx;
use anyhow::Result;
use std::time::{Duration, Instant};

/// Wait up to `wait` for `agent`'s current attempt to end, then print its state (and
/// the note naming any survivor). A kill still under way is said so, not waited for.
pub fn until_ended(ctx: &Ctx, agent: &str, wait: Duration) -> Result<()> {
    let t0 = Instant::now();
    loop {
        let att = ctx.store.attempts(agent)?.pop();
        match att {
            Some(a) if a.state.is_ended() => {
                match a
                    .reason
                    .filter(|_| a.state != crate::fleet::LifeState::Killed)
                {
                    Some(r) => println!("{agent}: {} ({r})", a.state),
                    None => println!("{agent}: {}", a.state),
                }
                return Ok(());
            }
            _ if t0.elapsed() >= wait => {
                println!(
                    "{agent}: still being killed after {}s; `shoal status` shows when it ends",
                    wait.as_secs()
                );
                return Ok(());
            }
            _ => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}
