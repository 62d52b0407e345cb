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

/// The first verbatim captures of Claude Code and aider, kept in the repository.
pub fn shared_fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/screens/shared")
}

/// Kill the detached supervisor a test's console handed its fleet to on quit (its pid
/// file is in the data directory), so no supervisor outlives the test that started it.
pub fn kill_detached_supervisor(home: &std::path::Path, fleet: &str) {
    let pid_file = home.join(format!("{fleet}.supervisor.pid"));
    let Some(pid) = std::fs::read_to_string(&pid_file)
        .ok()
        .and_then(|s| s.trim().parse::<i32>().ok())
    else {
        return;
    };
    // Only a shoal supervisor: the pid may have been reused since the file was written.
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let cmdline = String::from_utf8_lossy(&cmdline);
    if cmdline.contains("supervise") && cmdline.contains("--detached") {
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
}
