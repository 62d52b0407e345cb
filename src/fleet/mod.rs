//! The fleet: its declaration (fleet file) and the domain types every layer shares.

pub mod budget;
pub mod caller;
pub mod claim;
pub mod command;
pub mod draft;
pub mod edit;
pub mod ending;
pub mod escalation;
pub mod event;
pub mod file;
pub mod host;
pub mod idle;
pub mod lineage;
pub mod model;
pub mod pane_request;
pub mod restart;
pub mod sample;
pub mod secret_env;
pub mod settings;
pub mod snapshot;
pub mod typed;
pub mod units;
pub mod usage;
pub mod words;

pub use budget::{Budget, BudgetAction, BudgetLevel, BudgetNote, Usd};
pub use caller::{may_act, Caller};
pub use claim::Claim;
pub use command::{Command, CommandOutcome, Request};
pub use escalation::Escalation;
pub use event::{EventKind, KilledBy, Level, Tone, Verb};
pub use file::{AgentSpec, Fleet, FleetFileError};
pub use idle::OnIdle;
pub use lineage::{Lineage, PastAttempt, Rollup, SignalKind, SignalView};
pub use model::{Activity, ErrorKind, LifeState, Tier};
pub use restart::{
    CircuitSettings, CircuitState, CircuitView, RestartMode, RestartNote, RestartSettings,
};
pub use settings::FleetSettings;
pub use snapshot::{AgentView, EventView, FleetSnapshot, TickStats};
pub use usage::{UsageSum, UsageView};
