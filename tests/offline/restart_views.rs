//! What the console shows of restarts and circuits, rendered into a TestBackend with a
//! fixed clock: the countdown and the limit in the tree, an open circuit in the header.

use ratatui::backend::TestBackend;
use ratatui::Terminal;
use shoal::app::App;
use shoal::fleet::{
    Activity, AgentView, CircuitState, CircuitView, FleetSnapshot, LifeState, RestartNote,
    TickStats, Tier,
};
use shoal::theme::Theme;
use shoal::ui;
use std::sync::Arc;

const NOW: i64 = 1_704_067_200_000;

fn agent(name: &str, state: LifeState, restart: Option<RestartNote>) -> AgentView {
    let lineage = shoal::fleet::Lineage {
        restart,
        ..Default::default()
    };
    AgentView {
        name: name.into(),
        parent: None,
        kind: "claude".into(),
        state,
        activity: Activity::Exited,
        error: None,
        reset_at_ms: None,
        reason: None,
        tier: Tier::Ok,
        tier_since_ms: NOW - 60_000,
        next_action_at_ms: None,
        last_progress_ms: NOW - 60_000,
        stall_timeout_ms: 60_000,
        attempt: 3,
        pane: Some("%3".into()),
        server: Some("shoal".into()),
        exit_status: Some(1),
        paused: false,
        ended_ms: Some(NOW - 30_000),
        screen_changed_ms: NOW - 60_000,
        usage: Default::default(),
        on_idle: Default::default(),
        capture: "screen\n".into(),
        lineage,
    }
}

fn render(agents: Vec<AgentView>, circuits: Vec<CircuitView>) -> Vec<String> {
    let (w, h) = (160, 24);
    let mut app = App::default();
    app.on_snapshot(Arc::new(FleetSnapshot {
        fleet: "demo".into(),
        taken_at_ms: NOW - 400,
        tick: 9,
        stats: TickStats {
            servers_up: 1,
            servers: 1,
            circuits,
            ..TickStats::default()
        },
        agents,
    }));
    app.set_regions(ui::regions(ratatui::layout::Rect::new(0, 0, w, h)));
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("test backend");
    term.draw(|f| ui::draw(f, &app, &Theme::plain(), NOW))
        .expect("draw");
    let buf = term.backend().buffer();
    (0..h)
        .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>())
        .collect()
}

fn line_with<'a>(screen: &'a [String], needle: &str) -> &'a str {
    screen
        .iter()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line contains {needle:?}:\n{}", screen.join("\n")))
}

#[test]
fn the_tree_counts_down_to_a_restart_and_shows_the_limit_and_the_header_an_open_circuit() {
    let screen = render(
        vec![
            agent(
                "looper",
                LifeState::Failed,
                Some(RestartNote::Restarting {
                    at_ms: NOW + 7_400,
                    n: 3,
                    of: 5,
                }),
            ),
            agent(
                "spent",
                LifeState::Failed,
                Some(RestartNote::Limit {
                    max: 5,
                    window_ms: 600_000,
                }),
            ),
            agent(
                "held",
                LifeState::Failed,
                Some(RestartNote::HeldByCircuit {
                    kind: "claude".into(),
                    until_ms: Some(NOW + 235_000),
                }),
            ),
            agent("gone", LifeState::Failed, None),
        ],
        vec![CircuitView {
            kind: "claude".into(),
            state: CircuitState::Open,
            until_ms: Some(NOW + 235_000),
        }],
    );
    let all = screen.join("\n");
    // Ended agents stay in the tree (until dismissed); those with a restart due or held
    // say so, one without says nothing of restarts.
    assert!(
        line_with(&screen, "■ looper").contains("restarting in 8s (3/5)"),
        "{all}"
    );
    assert!(
        line_with(&screen, "■ spent").contains("restart limit (5 in 10m)"),
        "{all}"
    );
    assert!(
        line_with(&screen, "■ held").contains("claude: circuit open, retry in 4m"),
        "{all}"
    );
    assert!(!line_with(&screen, "■ gone").contains("restart"), "{all}");
    assert!(
        screen[0].contains("claude: circuit open, retry in 4m"),
        "{all}"
    );
}
