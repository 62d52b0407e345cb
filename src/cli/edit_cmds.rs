//! `shoal add` and `shoal remove`: the console's `N` and `D` on the command line.

use super::caller::{authorize, identify, require_agent};
use super::ctx::{registry, Ctx, FleetArg};
use super::fleet_edit::FleetEditor;
use crate::fleet::draft::{AgentDraft, WorktreeChoice};
use crate::fleet::{Command, LifeState, Verb};
use anyhow::{bail, Result};
use clap::Args;

/// `shoal add`: the new agent, as its `[[agent]]` block will read.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// Unique name: letters, digits, '-' and '_'.
    pub name: String,
    /// Detection profile (claude, codex, aider, gemini, shell, …); guessed from the
    /// command when absent.
    #[arg(long)]
    pub kind: Option<String>,
    /// Start directory [default: where the fleet file's agents start].
    #[arg(long)]
    pub cwd: Option<String>,
    /// First message, typed once the agent is ready.
    #[arg(long)]
    pub task: Option<String>,
    /// Parent agent (inside a pane: that agent or one of its descendants; default: that agent).
    #[arg(long)]
    pub parent: Option<String>,
    /// Run it in a git worktree of its cwd's repository, on a branch named after it,
    /// or on BRANCH.
    #[arg(long, value_name = "BRANCH", num_args = 0..=1, default_missing_value = "")]
    pub worktree: Option<String>,
    /// The command, after `--`: one argument is a shell line run as written; several are
    /// quoted word by word.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub cmd: Vec<String>,
}

/// `shoal add NAME [...] -- CMD...`: append the agent to the fleet file, then start it
/// (through the running supervisor, or here when none runs).
pub fn add(fleet: &FleetArg, a: AddArgs) -> Result<i32> {
    let fleet = &file_of(fleet, "add")?;
    let ctx = Ctx::open(fleet)?;
    let caller = identify(&ctx)?;
    let parent = match (caller.agent(), &a.parent) {
        (Some(me), None) => Some(me.to_string()),
        (_, p) => p.clone(),
    };
    authorize(&ctx, &caller, Verb::Add, parent.as_deref().unwrap_or(""))?;
    let cwd = a.cwd.as_ref().map(|c| absolute(c));
    let draft = AgentDraft {
        name: a.name.clone(),
        kind: a.kind.clone(),
        cmd: super::lineage_cmds::command_line(&a.cmd),
        cwd,
        task: a.task.clone(),
        parent,
        worktree: a.worktree.as_deref().map(|b| match b {
            "" => WorktreeChoice::AgentBranch,
            b => WorktreeChoice::Branch(b.to_string()),
        }),
    };
    let editor = FleetEditor::new(&ctx, registry())?;
    let what = editor
        .add(&draft)
        .map_err(|e| anyhow::anyhow!("add: {e}"))?;
    println!("{what}");
    if editor.ran_before(&a.name) {
        // Opened again, so the retry starts the new declaration.
        return super::fleet_cmds::act(
            fleet,
            Command::Retry {
                agent: a.name.clone(),
            },
        );
    }
    // Opened again: the store now knows the agent, as `shoal up` would find it.
    super::fleet_cmds::up(fleet, super::resume_offer::Choice::Skip)
}

/// `shoal remove NAME`: end the agent's attempt (as `shoal kill` does), then take its
/// block out of the fleet file and delete its worktree.
pub fn remove(fleet: &FleetArg, name: &str, force: bool) -> Result<i32> {
    let fleet = &file_of(fleet, "remove")?;
    let ctx = Ctx::open(fleet)?;
    let caller = identify(&ctx)?;
    require_agent(&ctx, name)?;
    authorize(&ctx, &caller, Verb::Remove, name)?;
    let editor = FleetEditor::new(&ctx, registry())?;
    // Nothing is ended for an agent that cannot be taken out of the file.
    let removed = ctx
        .store
        .agent_meta()?
        .get(name)
        .is_some_and(|m| m.removed_ms.is_some());
    if removed {
        bail!(
            "{name} was removed from {} already; `shoal status --all` shows its history",
            editor.path().display()
        );
    }
    if !editor.declares(name).map_err(anyhow::Error::msg)? {
        bail!(
            "{name} is not declared in {} (spawned or adopted agents have no block there); `shoal kill {name}` ends it",
            editor.path().display()
        );
    }
    let live = |ctx: &Ctx| -> Result<bool> {
        Ok(ctx
            .store
            .attempts(name)?
            .last()
            .is_some_and(|a| matches!(a.state, LifeState::Starting | LifeState::Running)))
    };
    if live(&ctx)? {
        let code = super::act::act_as(
            &ctx,
            &caller,
            Command::Kill {
                agent: name.to_string(),
            },
        )?;
        if code != 0 || live(&ctx)? {
            bail!("{name} is still running, so it stays in {}; `shoal status` shows when it ends, then `shoal remove {name}` again", editor.path().display());
        }
    }
    for line in editor.remove(name, force).map_err(anyhow::Error::msg)? {
        println!("{line}");
    }
    Ok(0)
}

/// The fleet file to edit: the one given, or inside an agent's pane the one its fleet
/// was last read from (the store records it).
fn file_of(fleet: &FleetArg, verb: &str) -> Result<FleetArg> {
    if !super::ctx::is_pane_fleet(fleet) {
        return Ok(fleet.clone());
    }
    let (f, _, _) = super::ctx::pane_fleet()?;
    if f.path.as_os_str().is_empty() || !f.path.is_file() {
        bail!("shoal {verb} edits the fleet file, and this pane's fleet has none on record; pass it with -f FILE");
    }
    Ok(FleetArg::new(f.path, fleet.overrides.clone()))
}

/// A path typed relative to here, made absolute (a `~` stays for the fleet file to read).
fn absolute(path: &str) -> String {
    if path.starts_with('~') {
        return path.to_string();
    }
    std::path::absolute(path).map_or_else(|_| path.to_string(), |p| p.display().to_string())
}
