//! After a reboot (or a killed tmux server) the store still remembers which agents were
//! running; `shoal up` offers to start those again. A new attempt resumes the CLI's
//! conversation where the agent has `resume = true` and its profile can (`[session]`),
//! and types the task again otherwise: the same path as `shoal retry`.

use super::caller;
use super::ctx::Ctx;
use crate::fleet::units::now_ms;
use crate::fleet::{Command, FleetSnapshot as Snapshot, Verb};
use crate::supervisor::Supervisor;
use anyhow::Result;
use std::io::{BufRead, IsTerminal, Write};

/// What `shoal up` does with the interrupted agents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choice {
    /// Ask on a terminal; without one, say how to choose.
    Ask,
    /// Start them again (`--resume`).
    Yes,
    /// Leave them ended (`--no-resume`).
    No,
    /// Neither ask nor say (`shoal add`, which runs `up` for one new agent).
    Skip,
}

impl Choice {
    /// From `up`'s two flags (clap keeps them exclusive).
    pub fn of(resume: bool, no_resume: bool) -> Choice {
        match (resume, no_resume) {
            (true, _) => Choice::Yes,
            (_, true) => Choice::No,
            _ => Choice::Ask,
        }
    }
}

/// The agents to offer: interrupted, and not running again already (adopted by `up`).
fn interrupted(ctx: &Ctx, snap: &Snapshot) -> Result<Vec<String>> {
    Ok(ctx
        .store
        .interrupted_agents()?
        .into_iter()
        .filter(|(name, attempt)| {
            snap.agent(name)
                .is_some_and(|a| a.state.is_ended() && a.attempt == *attempt)
        })
        .map(|(name, _)| name)
        .collect())
}

/// Name the agents that were running when their tmux server went away and return
/// those the operator wants started again (all, none, or asked on a terminal).
pub fn choose(ctx: &Ctx, snap: &Snapshot, choice: Choice) -> Result<Vec<String>> {
    if choice == Choice::Skip {
        return Ok(Vec::new());
    }
    let names = interrupted(ctx, snap)?;
    if names.is_empty() {
        return Ok(names);
    }
    let one = names.len() == 1;
    println!(
        "{} {} running when {} tmux server went away (a reboot or a killed server): {}",
        names.len(),
        if one { "agent was" } else { "agents were" },
        if one { "its" } else { "their" },
        names.join(", ")
    );
    let go = match choice {
        Choice::Yes => true,
        Choice::Skip => false,
        Choice::No => {
            println!("left ended; `shoal retry NAME` starts one again");
            false
        }
        Choice::Ask if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() => {
            ask("Start them again (resuming each CLI's conversation where it can)? [Y/n] ")?
        }
        Choice::Ask => {
            println!(
                "`shoal up --resume` starts them again (resuming each CLI's conversation where it can); `shoal up --no-resume` leaves them ended"
            );
            false
        }
    };
    Ok(if go { names } else { Vec::new() })
}

/// Start `names` again here, each as the operator's `retry` (the caller rule applies);
/// returns those started.
pub fn retry_here(ctx: &Ctx, sup: &mut Supervisor, names: &[String]) -> Result<Vec<String>> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let who = caller::identify(ctx)?;
    let mut started = Vec::new();
    for name in names {
        caller::authorize(ctx, &who, Verb::Retry, name)?;
        let cmd = Command::Retry {
            agent: name.clone(),
        };
        match sup.execute_as(&who, &cmd, now_ms()) {
            Ok(what) => {
                println!("{name}: {what}");
                started.push(name.clone());
            }
            Err(why) => eprintln!("{name}: could not start again: {why}"),
        }
    }
    Ok(started)
}

/// Start `names` again through the running supervisor (queued, done once by it).
pub fn retry_through_supervisor(ctx: &Ctx, names: &[String]) -> Result<()> {
    if names.is_empty() {
        return Ok(());
    }
    let who = caller::identify(ctx)?;
    for name in names {
        super::act::act_as(
            ctx,
            &who,
            Command::Retry {
                agent: name.clone(),
            },
        )?;
    }
    Ok(())
}

/// The console's `shoal` / `shoal up` on a terminal: the same offer, asked before the
/// console takes the screen.
pub fn before_console(ctx: &Ctx, choice: Choice) -> Result<()> {
    if !(std::io::stdin().is_terminal() && std::io::stdout().is_terminal()) {
        // The console refuses to start; it says why.
        return Ok(());
    }
    if ctx.live_supervisor()?.is_some() {
        let names = choose(ctx, &ctx.supervisor(false)?.snapshot(now_ms()), choice)?;
        return retry_through_supervisor(ctx, &names);
    }
    let mut sup = ctx.supervisor(false)?;
    sup.observe_all(now_ms());
    let names = choose(ctx, &sup.snapshot(now_ms()), choice)?;
    retry_here(ctx, &mut sup, &names)?;
    Ok(())
}

/// A yes/no question on the terminal; Enter alone is yes.
fn ask(question: &str) -> Result<bool> {
    print!("{question}");
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(answer_is_yes(&line))
}

fn answer_is_yes(line: &str) -> bool {
    matches!(line.trim().to_ascii_lowercase().as_str(), "" | "y" | "yes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enter_and_yes_agree_anything_else_declines() {
        for yes in ["\n", "y\n", "YES\n", " yes "] {
            assert!(answer_is_yes(yes), "{yes:?}");
        }
        for no in ["n\n", "no\n", "later\n"] {
            assert!(!answer_is_yes(no), "{no:?}");
        }
    }

    #[test]
    fn the_flags_choose() {
        assert_eq!(Choice::of(true, false), Choice::Yes);
        assert_eq!(Choice::of(false, true), Choice::No);
        assert_eq!(Choice::of(false, false), Choice::Ask);
    }
}
