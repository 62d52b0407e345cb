//! The console's lineage views, rendered into a TestBackend with a fixed clock: live
//! agents by default, `H` toggles history (ended attempts and removed agents with
//! final state, signal and final screen), queue positions, signals and roll-ups in the
//! note column, and a child of a killed parent kept under its parent's history entry.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use shoal::app::{App, Effect};
use shoal::fleet::sample::{snapshot, NOW};
use shoal::fleet::{
    Activity, AgentView, FleetSnapshot, LifeState, PastAttempt, Rollup, SignalKind, SignalView,
    Tier,
};
use shoal::theme::Theme;
use shoal::ui;
use std::sync::Arc;

/// An agent in `state`: working while live, exited once ended.
fn agent(name: &str, parent: Option<&str>, state: LifeState) -> AgentView {
    let activity = if state.is_ended() {
        Activity::Exited
    } else {
        Activity::Working
    };
    AgentView::sample(name)
        .with_parent(parent)
        .with_state(state)
        .with_activity(activity)
        .with_reason(None)
        .with_capture(format!("{name} live screen\n"))
}

fn signal(agent: &str, kind: SignalKind, message: &str) -> SignalView {
    SignalView {
        id: 1,
        ts_ms: NOW - 1000,
        agent: agent.into(),
        attempt: 1,
        kind,
        message: message.into(),
    }
}

/// lead (killed) → worker (running, progress signal) → helper (queued #1);
/// lead → finished (done); crasher (root, attempt 2 running, attempt 1 failed);
/// old (removed, done).
fn fleet() -> Vec<AgentView> {
    let mut lead = agent("lead", None, LifeState::Killed);
    lead.capture = "lead's last words\n".into();
    lead.lineage.rollup = Rollup {
        live: 1,
        queued: 1,
        done: 1,
        ..Rollup::default()
    };
    let mut worker = agent("worker", Some("lead"), LifeState::Running);
    worker.lineage.signal = Some(signal("worker", SignalKind::Progress, "3 of 5 files"));
    let mut helper = agent("helper", Some("worker"), LifeState::Queued);
    helper.pane = None;
    helper.lineage.queue_pos = Some(1);
    let mut finished = agent("finished", Some("lead"), LifeState::Done);
    finished.lineage.signal = Some(signal("finished", SignalKind::Done, "merged the parser"));
    let mut crasher = agent("crasher", None, LifeState::Running);
    crasher.attempt = 2;
    crasher.lineage.past = vec![PastAttempt {
        attempt: 1,
        state: LifeState::Failed,
        started_ms: Some(NOW - 90_000),
        ended_ms: Some(NOW - 60_000),
        exit_status: Some(3),
        signal: Some(signal("crasher", SignalKind::Failed, "no credentials")),
        death: "first attempt died here\n".into(),
    }];
    let mut old = agent("old", None, LifeState::Done);
    old.lineage.removed = true;
    vec![lead, worker, helper, finished, crasher, old]
}

fn app() -> App {
    let mut app = App::default();
    app.on_snapshot(Arc::new(FleetSnapshot::sample(fleet()).taken_at(NOW - 400)));
    app
}

fn key(app: &mut App, c: char) -> Vec<Effect> {
    app.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE), NOW)
}

fn render(app: &mut App, w: u16, h: u16) -> Vec<String> {
    app.set_regions(ui::regions(ratatui::layout::Rect::new(0, 0, w, h)));
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("test backend");
    term.draw(|f| ui::draw(f, app, &Theme::plain(), NOW))
        .expect("draw");
    let buf = term.backend().buffer();
    (0..h)
        .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>())
        .collect()
}

fn row_names(app: &App) -> Vec<String> {
    app.rows()
        .iter()
        .map(|r| app.snapshot().agents[r.index].name.clone())
        .collect()
}

fn line_with<'a>(screen: &'a [String], needle: &str) -> &'a str {
    screen
        .iter()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line contains {needle:?}:\n{}", screen.join("\n")))
}

#[test]
fn ended_agents_stay_until_dismissed_and_live_ones_stay_under_their_killed_parent() {
    let mut app = app();
    // Ended attempts of the fleet stay in the tree; a removed agent is history.
    assert_eq!(
        row_names(&app),
        ["lead", "worker", "helper", "finished", "crasher"]
    );
    let screen = render(&mut app, 160, 30);
    assert!(
        line_with(&screen, "■ lead").starts_with("│!"),
        "a killed agent needs the operator:\n{}",
        screen.join("\n")
    );
    assert!(
        !line_with(&screen, "finished").starts_with("│!"),
        "a clean finish does not"
    );
    // X dismisses every ended agent: the killed lead stays only as its child's parent.
    key(&mut app, 'X');
    assert_eq!(row_names(&app), ["lead", "worker", "helper", "crasher"]);
    let matched: Vec<bool> = app.rows().iter().map(|r| r.matched).collect();
    assert_eq!(
        matched,
        [false, true, true, true],
        "the dismissed lead is only the history entry its child hangs under"
    );
    let screen = render(&mut app, 160, 30);
    assert!(
        line_with(&screen, "■ lead").contains("killed"),
        "{}",
        screen.join("\n")
    );
    assert!(line_with(&screen, "worker").contains("progress: 3 of 5 files"));
    assert!(line_with(&screen, "helper").contains("queued #1"));
    assert!(
        line_with(&screen, "■ lead").contains("[1 live · 1 queued · 1 done]"),
        "{}",
        screen.join("\n")
    );
    assert!(!screen
        .iter()
        .any(|l| l.contains("finished") || l.contains(" old")));
    key(&mut app, 'g'); // any key clears the footer message
    let wide = render(&mut app, 200, 30);
    assert!(
        wide.last().unwrap().contains("H history"),
        "{}",
        wide.last().unwrap()
    );
}

#[test]
fn h_toggles_history_with_ended_attempts_and_removed_agents() {
    let mut app = app();
    key(&mut app, 'H');
    assert!(app.show_history());
    assert_eq!(
        row_names(&app),
        [
            "lead",
            "worker",
            "helper",
            "finished",
            "crasher",
            "crasher #1",
            "old"
        ]
    );
    let screen = render(&mut app, 160, 30);
    assert!(line_with(&screen, "finished").contains("done: merged the parser"));
    let past = line_with(&screen, "crasher #1");
    assert!(
        past.contains("failed") && past.contains("failed: no credentials"),
        "{past}"
    );
    assert!(!past.contains("#1 #1"), "{past}");
    assert!(line_with(&screen, "old").contains("old (removed)"));
    assert!(
        screen[0].contains(" 6 agents "),
        "earlier attempts are not agents: {}",
        screen[0]
    );
    assert!(screen[0].contains("history"), "{}", screen[0]);

    // The ended attempt's final screen is in the pane view; acting on it is refused.
    while app.selected() != Some("crasher #1") {
        key(&mut app, 'j');
    }
    let screen = render(&mut app, 160, 30);
    assert!(
        screen.iter().any(|l| l.contains("first attempt died here")),
        "{}",
        screen.join("\n")
    );
    let effects = key(&mut app, 'r');
    assert!(
        !effects.iter().any(|e| matches!(e, Effect::Send(_))),
        "{effects:?}"
    );
    let footer = app.footer().unwrap();
    assert!(
        footer.is_error && footer.text.contains("select crasher to act"),
        "{footer:?}"
    );

    // Back to the live view: the selection moves to a row that is still shown.
    key(&mut app, 'H');
    assert!(!app.show_history());
    assert_eq!(
        row_names(&app),
        ["lead", "worker", "helper", "finished", "crasher"]
    );
    assert_eq!(
        app.selected(),
        Some("crasher"),
        "the attempt's agent keeps the selection"
    );
}

#[test]
fn a_held_agent_needs_the_operator_and_an_empty_live_view_says_how_to_see_history() {
    let mut held = agent("kid", None, LifeState::Running);
    held.activity = Activity::NeedsInput;
    held.lineage.held = true;
    held.lineage.signal = Some(signal("kid", SignalKind::Blocked, "which database?"));
    let mut app = App::default();
    app.on_snapshot(snapshot(vec![held, agent("gone", None, LifeState::Done)]));
    let screen = render(&mut app, 160, 30);
    let row = line_with(&screen, "? kid");
    assert!(
        row.contains('!') && row.contains("⚑ blocked: which database?"),
        "{}",
        screen.join("\n")
    );

    let mut app = App::default();
    app.on_snapshot(snapshot(vec![agent("gone", None, LifeState::Done)]));
    line_with(&render(&mut app, 160, 30), "gone");
    key(&mut app, 'x');
    let screen = render(&mut app, 160, 30);
    line_with(&screen, "no live agents; H shows the history");
}

#[test]
fn tab_reaches_a_killed_agent_until_it_is_dismissed() {
    let mut killed = agent("stuck", None, LifeState::Killed);
    killed.tier = Tier::Kill;
    let mut app = App::default();
    app.on_snapshot(snapshot(vec![
        agent("busy", None, LifeState::Running),
        killed,
    ]));
    let tab = |app: &mut App| app.handle_key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE), NOW);
    tab(&mut app);
    assert_eq!(app.selected(), Some("stuck"), "killed needs the operator");
    key(&mut app, 'x');
    key(&mut app, 'g');
    tab(&mut app);
    assert_eq!(app.selected(), Some("busy"));
    assert_eq!(app.footer().unwrap().text, "no agent needs you right now");
    key(&mut app, 'H');
    app.handle_key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE), NOW);
    assert_eq!(
        app.selected(),
        Some("stuck"),
        "with history on it is reachable"
    );
}
