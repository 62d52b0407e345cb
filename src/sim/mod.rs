//! A simulated agent (`shoal sim-agent SCENARIO`) that reproduces Claude Code's screens.
//!
//! Tests and the demo fleet run it in tmux panes in place of a real agent CLI. It copies
//! the structure and the distinguishing strings of real Claude Code captures (prompt
//! box, busy line, permission dialog, 429 error, `Press Ctrl-C again to exit`), so the
//! detector classifies it exactly as it classifies the real CLI, while its banner says
//! `Claude Code (shoal sim)` so nobody mistakes it for the real thing.

mod screen;
mod script;
mod term;
mod text;

use script::{Sim, Timing};
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, Instant};

/// What the simulated agent does once it has its task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// Steady real progress: a new transcript line every `--every`.
    Work,
    /// A hung stream: only the spinner glyph and the elapsed timer move.
    SpinHang,
    /// A frozen process: draws its screen once, then never writes again.
    Silent,
    /// Works for `--after`, then waits on a Bash permission dialog.
    Approval,
    /// Works for `--after`, prints an error and exits with status 3.
    Crash,
    /// Works briefly, retries, then shows a 429 error with its reset time and waits.
    Ratelimit,
    /// Waits at the idle prompt; a typed line starts steady work.
    Idle,
    /// Works for `--after`, prints `● All done.` and exits with status 0.
    Done,
}

impl Scenario {
    /// Every scenario, in the order the help lists them.
    pub const ALL: [Scenario; 8] = [
        Scenario::Work,
        Scenario::SpinHang,
        Scenario::Silent,
        Scenario::Approval,
        Scenario::Crash,
        Scenario::Ratelimit,
        Scenario::Idle,
        Scenario::Done,
    ];

    /// The kebab-case name used on the command line and in fleet files.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Work => "work",
            Scenario::SpinHang => "spin-hang",
            Scenario::Silent => "silent",
            Scenario::Approval => "approval",
            Scenario::Crash => "crash",
            Scenario::Ratelimit => "ratelimit",
            Scenario::Idle => "idle",
            Scenario::Done => "done",
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a simulated-agent command line was rejected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SimError {
    /// The scenario name is not one of [`Scenario::ALL`].
    #[error("unknown scenario {given:?}: use one of {valid}")]
    UnknownScenario { given: String, valid: String },
    /// `--every` is too short to be a sensible output period.
    #[error("--every {given} is too short: use at least 10ms")]
    EveryTooShort { given: String },
}

impl FromStr for Scenario {
    type Err = SimError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scenario::ALL
            .into_iter()
            .find(|sc| sc.name() == s)
            .ok_or_else(|| SimError::UnknownScenario {
                given: s.to_string(),
                valid: Scenario::ALL.map(Scenario::name).join(", "),
            })
    }
}

/// Command-line arguments of `shoal sim-agent`.
#[derive(clap::Args, Debug, Clone)]
pub struct SimArgs {
    /// What the simulated agent does.
    #[arg(value_enum)]
    pub scenario: Scenario,
    /// Wait for a first line of input (the task) at the idle prompt before starting.
    #[arg(long)]
    pub wait_task: bool,
    /// How long `approval`, `crash`, `done` and `ratelimit` work before their event.
    #[arg(long, default_value = "2s")]
    pub after: humantime::Duration,
    /// For `ratelimit`: when the limit resets, from when it is hit (shown as a clock time).
    #[arg(long, default_value = "2m")]
    pub reset_in: humantime::Duration,
    /// How often `work` prints a new transcript line.
    #[arg(long, default_value = "500ms")]
    pub every: humantime::Duration,
    /// Ignore the first N Enters that would submit typed text (a CLI that drops them).
    #[arg(long, default_value_t = 0)]
    pub drop_enters: u32,
}

/// Runs the simulated agent on this terminal; returns the process exit status.
pub fn run(args: &SimArgs) -> anyhow::Result<i32> {
    let every: Duration = args.every.into();
    if every < Duration::from_millis(10) {
        return Err(SimError::EveryTooShort {
            given: args.every.to_string(),
        }
        .into());
    }
    let timing = Timing {
        after: args.after.into(),
        reset_in: args.reset_in.into(),
        every,
    };
    let cwd = std::env::current_dir().map_or_else(|_| ".".to_string(), |p| p.display().to_string());
    let mut sim = Sim::new(
        args.scenario,
        args.wait_task,
        timing,
        &cwd,
        Instant::now(),
        chrono::Local::now().naive_local(),
        std::process::id(),
    );
    sim.drop_enters(args.drop_enters);
    term::run(&mut sim)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        sim: SimArgs,
    }

    #[test]
    fn every_scenario_parses_from_its_name() {
        for sc in Scenario::ALL {
            assert_eq!(sc.name().parse::<Scenario>(), Ok(sc));
            assert_eq!(sc.to_string(), sc.name());
        }
    }

    #[test]
    fn an_unknown_scenario_lists_the_valid_ones() {
        let err = "spinhang".parse::<Scenario>().unwrap_err().to_string();
        assert_eq!(
            err,
            "unknown scenario \"spinhang\": use one of work, spin-hang, silent, approval, \
             crash, ratelimit, idle, done"
        );
    }

    #[test]
    fn clap_names_match_from_str() {
        for sc in Scenario::ALL {
            let cli = Cli::try_parse_from(["sim", sc.name()]).expect("valid scenario");
            assert_eq!(cli.sim.scenario, sc);
        }
        let err = Cli::try_parse_from(["sim", "nope"])
            .err()
            .expect("rejected");
        assert!(err.to_string().contains("spin-hang"), "{err}");
    }

    #[test]
    fn defaults_and_durations_parse() {
        let cli = Cli::try_parse_from(["sim", "ratelimit"]).expect("parses");
        assert!(!cli.sim.wait_task);
        assert_eq!(Duration::from(cli.sim.after), Duration::from_secs(2));
        assert_eq!(Duration::from(cli.sim.reset_in), Duration::from_secs(120));
        assert_eq!(Duration::from(cli.sim.every), Duration::from_millis(500));
        let cli = Cli::try_parse_from(["sim", "work", "--wait-task", "--every", "200ms"])
            .expect("parses");
        assert!(cli.sim.wait_task);
        assert_eq!(Duration::from(cli.sim.every), Duration::from_millis(200));
    }

    #[test]
    fn a_too_short_period_is_refused_before_touching_the_terminal() {
        let cli = Cli::try_parse_from(["sim", "work", "--every", "0s"]).expect("parses");
        let err = run(&cli.sim).expect_err("refused").to_string();
        assert_eq!(err, "--every 0s is too short: use at least 10ms");
    }
}
