//! Proof of life on the real CLIs' recorded screens: an agent fed the captures of a hang
//! never sees progress (footer timers, spinners and torn frames included), and one fed a
//! stream sees it on every new frame. Pure: the profiles and the agent, no tmux.

use super::agent::{Agent, Seen};
use super::detector::{digest, judge};
use crate::fleet::{Activity, Tier};
use crate::profile::Registry;
use crate::store::{AgentRecord, AttemptRecord};
use std::sync::Arc;

const T0: i64 = 1_000_000;
const STALL: i64 = 10_000;
const CLIS: [&str; 4] = ["claude", "codex", "gemini", "aider"];

fn screen(kind: &str, state: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/screens/{kind}/{state}.ansi",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    String::from_utf8_lossy(&bytes).into_owned()
}

fn agent(kind: &str) -> Agent {
    let decl = AgentRecord {
        name: "a".into(),
        kind: kind.into(),
        cmd: kind.into(),
        parent: None,
        cwd: None,
        task: None,
        env: Default::default(),
        stall_timeout_ms: STALL as u64,
        paused: false,
        on_idle: None,
        seq: 0,
        created_ms: 0,
    };
    let mut a = Agent::new(decl, AttemptRecord::default());
    a.started(1, "shoal-t", "%1", T0);
    a
}

/// Show the agent a capture as the tick does: an unchanged screen is only marked
/// captured, a torn one proves nothing. Returns whether it was judged.
fn show(reg: &Registry, a: &mut Agent, tick: u64, raw: &str, now: i64) -> bool {
    let kind = a.decl.kind.clone();
    let hash = digest(raw);
    if a.captured(tick, &hash, raw) {
        return false;
    }
    let Some((proof, obs)) = judge(reg, &kind, raw, now) else {
        return false;
    };
    let seen = Seen {
        raw: Arc::from(raw),
        screen_hash: hash,
        proof,
        obs,
    };
    a.observe(seen, now);
    true
}

#[test]
fn a_recorded_hang_is_never_progress_and_a_recorded_stream_always_is() {
    let reg = Registry::builtin();
    for kind in CLIS {
        // A hang: three captures over ~26 s of an open stream with nothing sent. After
        // the first complete frame, nothing in it is progress.
        let mut b = agent(kind);
        let base = ["hang_a", "hang_b", "working_hang"]
            .iter()
            .enumerate()
            .find(|(n, s)| show(&reg, &mut b, *n as u64 + 1, &screen(kind, s), T0 + 1000))
            .map(|(n, _)| n)
            .expect("a hang with no complete frame");
        let progress = b.att.last_progress_ms;
        for (n, s) in ["hang_a", "hang_b", "working_hang"]
            .iter()
            .enumerate()
            .skip(base + 1)
        {
            show(
                &reg,
                &mut b,
                10 + n as u64,
                &screen(kind, s),
                T0 + 20_000 * (n as i64 + 1),
            );
            assert_eq!(
                b.att.last_progress_ms, progress,
                "{kind}/{s} counted as progress"
            );
        }

        // A stream: every new frame of text is progress.
        let mut c = agent(kind);
        show(&reg, &mut c, 1, &screen(kind, "stream_a"), T0 + 1000);
        assert_eq!(c.att.last_progress_ms, T0 + 1000, "{kind}/stream_a");
        show(&reg, &mut c, 2, &screen(kind, "stream_b"), T0 + 6000);
        assert_eq!(
            c.att.last_progress_ms,
            T0 + 6000,
            "{kind}/stream_b is not progress"
        );
    }
}

#[test]
fn a_torn_frame_between_two_hang_frames_is_not_progress_and_does_not_reset_the_ladder() {
    let reg = Registry::builtin();
    // Gemini redraws its whole frame while it works: captures catch it torn.
    let mut a = agent("gemini");
    assert!(show(
        &reg,
        &mut a,
        1,
        &screen("gemini", "working_hang"),
        T0 + 1000
    ));
    let progress = a.att.last_progress_ms;
    // The stall ladder nudged it.
    a.nudged(Ok(()), T0 + 1000 + STALL);
    assert_eq!(a.att.tier, Tier::Nudge);
    let torn = screen("gemini", "torn_redraw");
    assert!(reg.get("gemini").unwrap().is_torn(&torn));
    assert!(
        !show(&reg, &mut a, 2, &torn, T0 + 1000 + STALL + 5000),
        "a torn capture is not judged"
    );
    assert_eq!(
        a.att.last_progress_ms, progress,
        "a torn capture is progress"
    );
    assert_eq!(a.att.tier, Tier::Nudge, "a torn capture reset the ladder");
    assert_eq!(a.att.activity, Activity::Working);
    // The complete frame again: the same content, still no progress.
    show(
        &reg,
        &mut a,
        3,
        &screen("gemini", "working_hang"),
        T0 + 1000 + STALL + 6000,
    );
    assert_eq!(a.att.last_progress_ms, progress);
    assert_eq!(a.att.tier, Tier::Nudge);
}
