//! The wait on supervisor ticks that end-to-end tests use instead of fixed sleeps: it
//! returns only once that many ticks, each a poll interval after the last, have run.

use crate::common::{now_ms, Rig};
use shoal::store::Store;
use std::time::Instant;

#[test]
fn waiting_for_ticks_lasts_as_long_as_the_ticks_take() {
    let mut rig = Rig::new(
        "poll_interval = \"300ms\"\nstall_timeout = \"1h\"",
        "[[agent]]\nname = \"a\"\ncmd = \"cat\"\nkind = \"shell\"\n",
    );
    rig.supervise();
    rig.wait_ticks(1);
    let (from, t0) = (now_ms(), Instant::now());
    rig.wait_ticks(4);
    // The first of the four began after the call, the others 300 ms apart at least.
    let waited = t0.elapsed().as_millis();
    assert!(waited >= 900, "four ticks in {waited} ms");
    let lease = Store::open(&rig.db()).unwrap().lease().unwrap().unwrap();
    assert!(lease.heartbeat_ms >= from + 900, "{lease:?} from {from}");
}
