//! The command line: every operator action has a form here.

mod act;
mod adopt;
mod attach_cmd;
mod badge;
pub mod caller;
mod circuit_cmds;
mod config_cmds;
mod console;
pub mod ctx;
pub mod deadline;
mod demo;
mod edit_cmds;
mod fleet_cmds;
pub mod fleet_edit;
mod handoff;
pub mod hook_cmd;
mod init;
mod kill_wait;
mod lineage_cmds;
pub mod logs_cmd;
mod no_store;
mod output;
mod pane_client;
pub mod reload;
mod resume_offer;
mod status_out;
pub mod supervisor_cmds;
pub mod teardown;
mod usage_cmd;
mod worktree_cmds;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// shoal: supervise a fleet of AI coding agents running in tmux panes.
#[derive(Debug, Parser)]
#[command(name = "shoal", version, about, propagate_version = true)]
pub struct Cli {
    /// The fleet file [default: ./shoal.toml; inside an agent's pane, that agent's fleet].
    #[arg(short = 'f', long = "fleet", global = true)]
    pub fleet: Option<PathBuf>,
    /// The console's theme (wins over the config): dark, light, high-contrast, monochrome or a user theme.
    #[arg(long, global = true, value_name = "NAME")]
    pub theme: Option<String>,
    /// How often the supervisor looks at the panes (wins over the fleet file and the config), e.g. 500ms.
    #[arg(long, global = true, value_name = "DURATION", value_parser = crate::fleet::file::parse_duration)]
    pub poll_interval: Option<std::time::Duration>,
    /// Act on the demo fleet (`shoal --demo status`), wherever its file is; `--demo=NAME`
    /// for one started with `shoal demo --name NAME`.
    #[arg(
        long,
        global = true,
        conflicts_with = "fleet",
        value_name = "NAME",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "demo"
    )]
    pub demo: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Option<Cmd>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Start a demo fleet of simulated agents and open the console.
    Demo {
        /// Start the demo fleet and return instead of opening the console.
        #[arg(long)]
        no_console: bool,
        /// Fleet name of the demo (its tmux socket is `shoal-<name>`).
        #[arg(long, default_value = "demo")]
        name: String,
    },
    /// Write a commented starter fleet file (./shoal.toml, or -f FILE); never overwrites.
    Init {
        /// One agent per kind (claude, codex, gemini, aider, shell); the first is the parent
        /// of the others. Default: one claude agent.
        #[arg(long = "kind", value_name = "KIND")]
        kinds: Vec<String>,
        /// The fleet's name [default: the directory's name].
        #[arg(long)]
        name: Option<String>,
        /// A copy of the demo's fleet (simulated agents) to edit.
        #[arg(long, conflicts_with = "kinds")]
        from_demo: bool,
    },
    /// Start every declared agent that is not running yet, then open the console.
    Up {
        /// Return once the agents are started instead of opening the console.
        #[arg(long)]
        no_console: bool,
        /// Start again, without asking, the agents that were running when their tmux
        /// server went away (a reboot): each resumes its CLI's conversation where it can.
        #[arg(long, conflicts_with = "no_resume")]
        resume: bool,
        /// Leave those agents ended, without asking.
        #[arg(long)]
        no_resume: bool,
    },
    /// Run the supervisor in the foreground until SIGINT or SIGTERM; with --detach, in
    /// the background, outliving this terminal (its log: `shoal supervisor logs`).
    Supervise {
        /// Start it in its own session, detached from this terminal, and return.
        #[arg(long)]
        detach: bool,
        /// This process is the detached supervisor (set by --detach).
        #[arg(long, hide = true)]
        detached: bool,
        /// Take the fleet over from this console's supervisor (a console handing its
        /// fleet on as it quits) instead of refusing.
        #[arg(long, hide = true, value_name = "PID")]
        take_over: Option<u32>,
    },
    /// Look after the fleet's supervisor: status, stop, logs, a systemd unit.
    Supervisor {
        /// What to do.
        #[command(subcommand)]
        what: supervisor_cmds::SupervisorCmd,
    },
    /// The circuit breaker of each agent kind: list them, or close one by hand.
    Circuit {
        /// What to do [default: list].
        #[command(subcommand)]
        what: Option<circuit_cmds::CircuitCmd>,
    },
    /// Show the fleet: one line per agent, or JSON.
    Status {
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
        /// Include history: ended attempts and removed agents, with final screens in JSON.
        #[arg(long)]
        all: bool,
        /// One short line for tmux's status bar (`⚑2 ✗1`: need you, failed or dead),
        /// from the last published snapshot; never looks at the panes.
        #[arg(long, conflicts_with_all = ["json", "all"])]
        tmux: bool,
    },
    /// Tokens and cost per agent, kind, model or day, from the agents' own transcripts.
    Usage {
        /// Group lines by this.
        #[arg(long, value_enum, default_value = "agent")]
        by: usage_cmd::By,
        /// Only usage at or after this time: 15m, 2h, 3d (ago), today, yesterday, 2024-05-01, …
        #[arg(long, value_name = "TIME")]
        since: Option<String>,
        /// Only this agent and its descendants.
        #[arg(long, value_name = "AGENT")]
        subtree: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show the event history, oldest first.
    Events {
        /// Only this agent's events.
        #[arg(long)]
        agent: Option<String>,
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Type the nudge message into an agent's pane now.
    Nudge {
        /// The agent.
        name: String,
        #[command(flatten)]
        queue: deadline::QueueArgs,
    },
    /// Kill an agent's pane now (its final screen is kept).
    Kill {
        /// The agent.
        name: String,
        #[command(flatten)]
        queue: deadline::QueueArgs,
    },
    /// Start an ended agent again as a new attempt (same command, dir, env, task); an
    /// agent with `resume = true` resumes its CLI's last conversation.
    Retry {
        /// The agent.
        name: String,
        #[command(flatten)]
        queue: deadline::QueueArgs,
        /// Start a new CLI session and type the task again, even with `resume = true`.
        #[arg(long)]
        fresh: bool,
    },
    /// Interrupt an agent, wait the grace period, then kill it.
    Cancel {
        /// The agent.
        name: String,
        #[command(flatten)]
        queue: deadline::QueueArgs,
    },
    /// Answer yes to an agent's live dialog.
    Approve {
        /// The agent.
        name: String,
        #[command(flatten)]
        queue: deadline::QueueArgs,
    },
    /// Answer no to an agent's live dialog.
    Deny {
        /// The agent.
        name: String,
        #[command(flatten)]
        queue: deadline::QueueArgs,
    },
    /// Type a line of text into an agent's pane, then Enter (with --keys: send keys).
    Send {
        /// Send tmux key names (`C-c`, `Escape`, `Enter`, `y`) instead of typing text.
        #[arg(long)]
        keys: bool,
        /// The agent.
        name: String,
        /// The text, typed literally (control characters are refused; see --keys).
        /// With --keys: the key names, in order.
        #[arg(required = true)]
        text: Vec<String>,
        #[command(flatten)]
        queue: deadline::QueueArgs,
    },
    /// Hold an agent's stall ladder (no nudge, warn or kill).
    Pause {
        /// The agent.
        name: String,
    },
    /// Release an agent's stall ladder.
    Resume {
        /// The agent.
        name: String,
    },
    /// Stop every agent of the fleet and its tmux servers.
    Down {
        /// Also delete the agents' git worktrees (one with uncommitted changes is kept).
        #[arg(long)]
        clean: bool,
        /// With --clean: delete worktrees with uncommitted changes too.
        #[arg(long, requires = "clean")]
        force: bool,
    },
    /// Add an agent to the fleet file (comments and formatting kept) and start it.
    Add(edit_cmds::AddArgs),
    /// End an agent (as `kill` does), take its block out of the fleet file and delete its worktree.
    Remove {
        /// The agent.
        name: String,
        /// Delete its worktree even with uncommitted changes.
        #[arg(long)]
        force: bool,
    },
    /// Attach to an agent's pane; for an ended agent, print its final screen.
    Attach {
        /// The agent.
        name: String,
    },
    /// Classify saved screen captures and explain which rule matched where.
    Detect {
        /// Use this profile instead of guessing.
        #[arg(long)]
        kind: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Capture files (plain text or with ANSI escapes).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// A simulated agent for tests and the demo.
    #[command(hide = true)]
    SimAgent(crate::sim::SimArgs),
    /// What an agent CLI's own hooks run: record its event for the agent whose pane it
    /// runs in (always exits 0).
    #[command(hide = true)]
    Hook {
        /// `--store FILE`, the CLI, its event, a JSON payload.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Add an agent; inside an agent's pane it becomes that agent's child.
    Spawn(lineage_cmds::SpawnArgs),
    /// Report from inside an agent's pane: done, blocked, failed, progress, need-input.
    Signal {
        /// done | blocked | failed | progress | need-input
        #[arg(value_parser = |s: &str| s.parse::<crate::fleet::SignalKind>())]
        kind: crate::fleet::SignalKind,
        /// What to tell the parent and the operator.
        #[arg(required = true)]
        message: Vec<String>,
    },
    /// Signals sent by your direct children since you last read them.
    Inbox {
        /// Block until a signal arrives, at most this long (e.g. 30s, 10m).
        #[arg(long, value_name = "DURATION")]
        wait: Option<String>,
        /// Whose inbox (the operator only; inside a pane it is that agent's).
        #[arg(long)]
        agent: Option<String>,
        /// Print a JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Type a line into a descendant's pane (the operator may steer anyone).
    Steer {
        /// The agent to steer.
        child: String,
        /// The text, typed literally, then Enter.
        text: String,
    },
    /// Bring panes that run agent CLIs on a tmux server under supervision.
    Adopt(adopt::AdoptArgs),
    /// Show where shoal's config, themes, profiles and data are.
    Paths,
    /// Check the config (and its keys and themes), or print the default one.
    Config {
        /// Print the default config file, every key explained.
        #[arg(long, conflicts_with = "actions")]
        default: bool,
        /// List the action names keymaps and the `:` command line use.
        #[arg(long)]
        actions: bool,
    },
    /// Print a shell completion script: `shoal completions bash > /etc/bash_completion.d/shoal`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `shoal man | man -l -`.
    Man,
    /// Search the log (agent output, events, signals), newest first, or follow it.
    Logs(logs_cmd::LogsArgs),
}

/// Run the parsed command line; returns the process exit code.
pub fn run(cli: Cli) -> anyhow::Result<i32> {
    use crate::fleet::Command as C;
    if cli.command.as_ref().is_some_and(Cmd::only_prints) {
        output::end_quietly_on_a_closed_pipe();
    }
    if let Some(Cmd::Demo {
        no_console: false, ..
    }) = &cli.command
    {
        require_terminal()?;
    }
    let overrides = ctx::Overrides {
        theme: cli.theme.clone(),
        poll_interval: cli.poll_interval,
    };
    let f = &ctx::FleetArg::new(
        if let Some(name) = &cli.demo {
            demo::fleet_file(name)?
        } else {
            ctx::fleet_path(cli.fleet.clone())
        },
        overrides,
    );
    match cli.command {
        None => {
            // The file's mistakes first, then who asks, then the terminal (in
            // `console::open`), before anything starts.
            let ctx = ctx::Ctx::open(f)?;
            resume_offer::before_console(&ctx, resume_offer::Choice::Ask)?;
            console::open(&ctx)?;
            Ok(0)
        }
        Some(Cmd::Up {
            no_console: false,
            resume,
            no_resume,
        }) => {
            let ctx = ctx::Ctx::open(f)?;
            resume_offer::before_console(&ctx, resume_offer::Choice::of(resume, no_resume))?;
            console::open(&ctx)?;
            Ok(0)
        }
        Some(Cmd::Init {
            kinds,
            name,
            from_demo,
        }) => init::run(
            cli.fleet
                .as_deref()
                .unwrap_or(std::path::Path::new("shoal.toml")),
            name.as_deref(),
            &kinds,
            from_demo,
        ),
        Some(Cmd::Demo { no_console, name }) => demo::run(&name, no_console, &f.overrides),
        Some(Cmd::Up {
            no_console: true,
            resume,
            no_resume,
        }) => fleet_cmds::up(f, resume_offer::Choice::of(resume, no_resume)),
        Some(Cmd::Supervise { detach: true, .. }) => {
            let ctx = ctx::Ctx::open(f)?;
            let pid = supervisor_cmds::detach(&ctx, None)?;
            println!(
                "supervisor started (pid {pid}), detached; log: {}; `shoal supervisor stop` ends it",
                supervisor_cmds::log_path(&ctx).display()
            );
            Ok(0)
        }
        Some(Cmd::Supervise {
            detached,
            take_over,
            ..
        }) => fleet_cmds::supervise(f, detached, take_over),
        Some(Cmd::Supervisor { what }) => supervisor_cmds::run(&ctx::Ctx::open(f)?, &what),
        Some(Cmd::Circuit { what }) => circuit_cmds::run(f, what.as_ref()),
        Some(Cmd::Usage {
            by,
            since,
            subtree,
            json,
        }) => usage_cmd::run(f, by, since.as_deref(), subtree.as_deref(), json),
        Some(Cmd::Status { tmux: true, .. }) => Ok(badge::run(f)),
        Some(Cmd::Status { json, all, .. }) => {
            let t0 = std::time::Instant::now();
            fleet_cmds::status(f, json, all).or_else(|e| match no_store::Trouble::of(&e, t0) {
                Some(t) => no_store::status(f, json, &t),
                None => Err(e),
            })
        }
        Some(Cmd::Events { agent, json }) => fleet_cmds::events(f, agent.as_deref(), json),
        Some(Cmd::Nudge { name, queue }) => {
            queue.choose();
            fleet_cmds::act(f, C::Nudge { agent: name })
        }
        Some(Cmd::Kill { name, queue }) => {
            queue.choose();
            fleet_cmds::act(f, C::Kill { agent: name })
        }
        Some(Cmd::Retry { name, queue, fresh }) => {
            queue.choose();
            let agent = name;
            fleet_cmds::act(
                f,
                if fresh {
                    C::RetryFresh { agent }
                } else {
                    C::Retry { agent }
                },
            )
        }
        Some(Cmd::Cancel { name, queue }) => {
            queue.choose();
            fleet_cmds::act(f, C::Cancel { agent: name })
        }
        Some(Cmd::Approve { name, queue }) => {
            queue.choose();
            fleet_cmds::act(f, C::Approve { agent: name })
        }
        Some(Cmd::Deny { name, queue }) => {
            queue.choose();
            fleet_cmds::act(f, C::Deny { agent: name })
        }
        Some(Cmd::Send {
            keys: true,
            name,
            text,
            ..
        }) => fleet_cmds::send_keys(f, &name, &text),
        Some(Cmd::Send {
            name, text, queue, ..
        }) => {
            queue.choose();
            let text = text.join(" ");
            fleet_cmds::check_text(&text)?;
            fleet_cmds::act(f, C::Send { agent: name, text })
        }
        Some(Cmd::Pause { name }) => fleet_cmds::act(
            f,
            C::Pause {
                agent: name,
                paused: true,
            },
        ),
        Some(Cmd::Resume { name }) => fleet_cmds::act(
            f,
            C::Pause {
                agent: name,
                paused: false,
            },
        ),
        Some(Cmd::Down { clean, force }) => {
            let t0 = std::time::Instant::now();
            let code = fleet_cmds::down(f).or_else(|e| match no_store::Trouble::of(&e, t0) {
                Some(t) => no_store::down(f, &t),
                None => Err(e),
            })?;
            Ok(code.max(worktree_cmds::after_down(f, clean, force)?))
        }
        Some(Cmd::Add(args)) => edit_cmds::add(f, args),
        Some(Cmd::Remove { name, force }) => edit_cmds::remove(f, &name, force),
        Some(Cmd::Attach { name }) => attach_cmd::attach(f, &name),
        Some(Cmd::Detect { kind, json, files }) => output::detect(kind.as_deref(), json, &files),
        Some(Cmd::SimAgent(args)) => crate::sim::run(&args),
        Some(Cmd::Hook { args }) => Ok(hook_cmd::main(&args)),
        // In a pane shoal started on another host, these go back through the pane.
        Some(Cmd::Spawn(args)) => {
            pane_client::spawn(&args).unwrap_or_else(|| lineage_cmds::spawn(f, args))
        }
        Some(Cmd::Signal { kind, message }) => pane_client::signal(kind, &message)
            .unwrap_or_else(|| lineage_cmds::signal(f, kind, &message)),
        Some(Cmd::Inbox { wait, agent, json }) => {
            pane_client::inbox(agent.as_deref(), wait.as_deref(), json)
                .unwrap_or_else(|| lineage_cmds::inbox(f, agent.as_deref(), wait.as_deref(), json))
        }
        Some(Cmd::Steer { child, text }) => {
            fleet_cmds::check_text(&text)?;
            lineage_cmds::steer(f, &child, &text)
        }
        Some(Cmd::Adopt(args)) => adopt::adopt(f, args),
        Some(Cmd::Paths) => config_cmds::show_paths(),
        Some(Cmd::Config { default: true, .. }) => config_cmds::print_default(),
        Some(Cmd::Config { actions: true, .. }) => config_cmds::print_actions(),
        Some(Cmd::Config { .. }) => config_cmds::check(f),
        Some(Cmd::Completions { shell }) => config_cmds::completions(shell),
        Some(Cmd::Man) => config_cmds::man(),
        Some(Cmd::Logs(args)) => logs_cmd::logs(f, &args),
    }
}

impl Cmd {
    /// Commands that only print: a reader that stops early (`| head`) ends them quietly.
    fn only_prints(&self) -> bool {
        matches!(
            self,
            Cmd::Status { .. }
                | Cmd::Usage { .. }
                | Cmd::Circuit {
                    what: None | Some(circuit_cmds::CircuitCmd::List)
                }
                | Cmd::Supervisor {
                    what: supervisor_cmds::SupervisorCmd::Status { .. }
                        | supervisor_cmds::SupervisorCmd::Logs { .. }
                        | supervisor_cmds::SupervisorCmd::Unit
                }
                | Cmd::Events { .. }
                | Cmd::Logs(_)
                | Cmd::Completions { .. }
                | Cmd::Man
                | Cmd::Paths
                | Cmd::Config { .. }
                | Cmd::Detect { .. }
        )
    }
}

/// The console needs a terminal: without one, refuse before anything starts.
pub(crate) fn require_terminal() -> anyhow::Result<()> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
        return Ok(());
    }
    anyhow::bail!(
        "the console needs a terminal, and stdin or stdout is not one; nothing was started. Without a console: `shoal up --no-console` starts the agents, `shoal supervise` (or `shoal supervise --detach`) watches them"
    )
}
