//! Cost of one console frame for a 1000-agent fleet: nested three deep, every activity
//! and tier present, a 200×50 ANSI capture in the pane view, drawn into a 200×60
//! TestBackend. Prints median and p95 over 200 frames (with the capture parsed every
//! frame, and once as the console does), plus the per-snapshot tree rebuild.
//!
//! Each frame is also timed in this thread's CPU time: on a loaded machine the wall-clock
//! p95 is mostly the time the thread waited for a core, which no drawing code can cut.
//!
//! Run with `cargo bench --bench draw`.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use shoal::app::App;
use shoal::fleet::sample::NOW;
use shoal::fleet::{Activity, AgentView, FleetSnapshot, LifeState, TickStats, Tier};
use shoal::theme::Theme;
use shoal::ui;
use std::sync::Arc;
use std::time::{Duration, Instant};

const FRAMES: usize = 200;

/// A 200-column, 50-line screen with colours, bold and 256-colour runs on every line.
fn capture() -> Arc<str> {
    let mut s = String::new();
    for line in 0..50 {
        s.push_str(&format!(
            "\x1b[1;34m{line:>3}\x1b[0m \x1b[38;5;{}m",
            16 + line % 200
        ));
        s.push_str(&"lorem ipsum dolor sit amet ".repeat(7)[..180]);
        s.push_str("\x1b[0m \x1b[32m✓\x1b[0m\n");
    }
    s.into()
}

fn fleet() -> FleetSnapshot {
    let activities = [
        Activity::Working,
        Activity::Working,
        Activity::Idle,
        Activity::NeedsInput,
        Activity::Errored,
        Activity::Exited,
        Activity::Unknown,
    ];
    let tiers = [
        Tier::Ok,
        Tier::Ok,
        Tier::Ok,
        Tier::Nudge,
        Tier::Warn,
        Tier::Kill,
    ];
    let screen = capture();
    let mut agents = Vec::with_capacity(1000);
    let mut push = |name: String, parent: Option<String>, i: usize| {
        let state = if i % 11 == 0 {
            LifeState::Failed
        } else {
            LifeState::Running
        };
        let n = i as i64;
        agents.push(
            AgentView::sample(&name)
                .with_parent(parent.as_deref())
                .with_kind(["claude", "codex", "aider", "shell"][i % 4])
                .with_state(state)
                .with_activity(activities[i % activities.len()])
                .with_reason(Some("bench"))
                .with_tier(tiers[i % tiers.len()], NOW - (n % 600) * 1000)
                .with_next_action_at(NOW + (n % 300) * 1000)
                .with_progress_at(NOW - (n % 900) * 1000)
                .with_stall_timeout_ms(120_000)
                .with_attempt(1 + (i % 3) as u32)
                .with_pane(Some(&format!("%{i}")), Some("shoal"))
                .with_paused(i % 17 == 0)
                .with_capture(Arc::clone(&screen)),
        );
    };
    let mut i = 0;
    for lead in 0..10 {
        let lead_name = format!("lead-{lead}");
        push(lead_name.clone(), None, i);
        i += 1;
        for child in 0..9 {
            let child_name = format!("lead-{lead}/worker-{child}");
            push(child_name.clone(), Some(lead_name.clone()), i);
            i += 1;
            for leaf in 0..10 {
                push(
                    format!("lead-{lead}/worker-{child}/task-{leaf}"),
                    Some(child_name.clone()),
                    i,
                );
                i += 1;
            }
        }
    }
    FleetSnapshot::sample(agents).with_stats(TickStats {
        duration_us: 9000,
        panes: 1000,
        captured: 40,
        servers_up: 10,
        servers: 10,
        error: None,
        degraded: Vec::new(),
        circuits: Vec::new(),
        unreachable: Vec::new(),
        budgets: Vec::new(),
    })
}

/// CPU time this thread has used.
fn thread_cpu() -> Duration {
    // SAFETY: clock_gettime only writes the struct it is given.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn report(what: &str, mut times: Vec<Duration>) {
    times.sort();
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!(
        "{what}: median {:.3} ms, p95 {:.3} ms, max {:.3} ms over {} runs",
        at(0.5).as_secs_f64() * 1e3,
        at(0.95).as_secs_f64() * 1e3,
        at(1.0).as_secs_f64() * 1e3,
        times.len()
    );
}

fn main() {
    let snap = Arc::new(fleet());
    assert_eq!(snap.agents.len(), 1000);
    let mut app = App::default();

    let mut rebuilds = Vec::new();
    for _ in 0..50 {
        let fresh = Arc::new((*snap).clone());
        let t = Instant::now();
        app.on_snapshot(fresh);
        rebuilds.push(t.elapsed());
    }

    let theme = Theme::dark();
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("test backend");
    app.set_regions(ui::regions(ratatui::layout::Rect::new(0, 0, 200, 60)));
    // Select an agent deep in the tree so the pane view converts the full capture.
    for _ in 0..500 {
        app.handle_key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE), NOW);
    }
    let mut frames = Vec::with_capacity(FRAMES);
    let mut frames_cpu = Vec::with_capacity(FRAMES);
    for f in 0..FRAMES {
        let (t, c) = (Instant::now(), thread_cpu());
        terminal
            .draw(|frame| ui::draw(frame, &app, &theme, NOW + f as i64 * 16))
            .expect("draw");
        frames.push(t.elapsed());
        frames_cpu.push(thread_cpu().saturating_sub(c));
    }
    report("frame 200x60, 1000 agents", frames);
    report("  the same frames in thread CPU time", frames_cpu);
    // The console keeps the parsed capture between frames while it is unchanged.
    let mut cache = ui::PaneCache::default();
    let mut cached = Vec::with_capacity(FRAMES);
    let mut cached_cpu = Vec::with_capacity(FRAMES);
    for f in 0..FRAMES {
        let (t, c) = (Instant::now(), thread_cpu());
        terminal
            .draw(|frame| ui::draw_cached(frame, &app, &theme, NOW + f as i64 * 16, &mut cache))
            .expect("draw");
        cached.push(t.elapsed());
        cached_cpu.push(thread_cpu().saturating_sub(c));
    }
    report("frame 200x60, 1000 agents, capture parsed once", cached);
    report("  the same frames in thread CPU time", cached_cpu);
    report("snapshot -> tree rows, 1000 agents", rebuilds);
}
