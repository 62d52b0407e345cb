//! Waiting on the supervisor's pulse: after every tick it writes the tick's start time
//! into the store's lease row. A test that must show "nothing happened" waits for ticks
//! that really ran, which is both shorter than a fixed sleep on a quiet machine and still
//! right on a loaded one, where a sleep can pass without a single tick.

use shoal::store::{LeaseHolder, Store};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Long enough for a supervisor on a machine busy with other builds; only a hung or dead
/// supervisor reaches it.
const PATIENCE: Duration = Duration::from_secs(45);

/// Wall-clock unix milliseconds, the supervisor's clock.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Wait until the supervisor of the store at `db` has finished `n` ticks that began after
/// this call.
pub fn wait_ticks(db: &Path, n: u32) {
    wait_ticks_from(db, now_ms() + 1, n);
}

/// Wait until the supervisor of the store at `db` has finished `n` ticks that began at or
/// after `from_ms` (unix ms): it has looked at the fleet at that time or later.
pub fn wait_ticks_from(db: &Path, from_ms: i64, n: u32) {
    let t0 = Instant::now();
    let mut store = None;
    let mut last = from_ms - 1;
    let mut seen = 0;
    let mut holder: Option<LeaseHolder> = None;
    loop {
        if store.is_none() && db.is_file() {
            store = Store::open(db).ok();
        }
        if let Some(lease) = store.as_ref().and_then(|s| s.lease().ok().flatten()) {
            // Taking the lease writes a heartbeat that is no tick: count only beats after it.
            if lease.heartbeat_ms > last.max(lease.started_ms) {
                seen += 1;
                last = lease.heartbeat_ms;
                if seen >= n {
                    return;
                }
            }
            holder = Some(lease);
        }
        assert!(
            t0.elapsed() < PATIENCE,
            "waited {PATIENCE:?} for {n} supervisor ticks from {from_ms} in {}, saw {seen}; lease: {holder:?}",
            db.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
