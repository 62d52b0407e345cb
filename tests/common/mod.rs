//! Helpers shared by the integration test crates: a fleet of simulated agents driven
//! through the real `shoal` binary ([`Rig`]), the operator's terminal running the real
//! console ([`Terminal`]), and waits on the supervisor's own pulse instead of fixed sleeps.
//! Everything that starts tmux uses a private socket and kills only its own servers.
#![allow(dead_code, unused_imports)]

mod pulse;
mod rig;
mod terminal;

pub use pulse::{now_ms, wait_ticks, wait_ticks_from};
pub use rig::Rig;
pub use terminal::Terminal;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

/// The binary under test.
pub const SHOAL: &str = env!("CARGO_BIN_EXE_shoal");

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A name no other test of this run uses: tests of one crate share a process id, so
/// socket and fleet names need a counter as well.
pub fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    format!("{prefix}{}x{n}", std::process::id())
}

/// The verbatim captures of real agent CLIs: `$SHOAL_FIXTURES`, else the `shared/fixtures`
/// folder beside the checkout (or beside the folder of worktrees holding it).
pub fn shared_fixtures() -> PathBuf {
    if let Some(dir) = std::env::var_os("SHOAL_FIXTURES") {
        return dir.into();
    }
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let tried: Vec<PathBuf> = [
        manifest.join("../shared/fixtures"),
        manifest.join("../../shared/fixtures"),
    ]
    .into_iter()
    .collect();
    tried
        .iter()
        .find(|d| d.join("expected.toml").is_file())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "no shared fixtures at {}; set SHOAL_FIXTURES to the folder holding expected.toml",
                tried
                    .iter()
                    .map(|d| d.display().to_string())
                    .collect::<Vec<_>>()
                    .join(" or ")
            )
        })
}
