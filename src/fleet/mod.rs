//! The fleet: its declaration (fleet file) and the domain types every layer shares.

pub mod command;
pub mod escalation;
pub mod file;
pub mod lineage;
pub mod model;
pub mod sample;
pub mod snapshot;
pub mod typed;
pub mod units;

pub use command::{Command, CommandOutcome};
pub use escalation::Escalation;
pub use file::{AgentSpec, Fleet, FleetFileError};
pub use lineage::{Lineage, PastAttempt, Rollup, SignalKind, SignalView};
pub use model::{Activity, ErrorKind, LifeState, Tier};
pub use snapshot::{AgentView, EventView, FleetSnapshot, TickStats};
