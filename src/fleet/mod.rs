//! The fleet: its declaration (fleet file) and the domain types every layer shares.

pub mod file;
pub mod lineage;
pub mod model;
pub mod snapshot;

pub use file::{AgentSpec, Fleet, FleetFileError};
pub use lineage::{Lineage, PastAttempt, Rollup, SignalKind, SignalView};
pub use model::{Activity, ErrorKind, LifeState, Tier};
pub use snapshot::{AgentView, EventView, FleetSnapshot, TickStats};
