//! What the operator sees of agents that died or went silent, drawn into a TestBackend
//! with a fixed clock: the final screen of a dead pane anchored to its last words with the
//! exit in the title, the fleet's events with nothing selected, and activity words that
//! say `quiet` over silence.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use shoal::app::App;
use shoal::fleet::sample::{snapshot, NOW};
use shoal::fleet::{Activity, AgentView, EventKind, EventView, LifeState};
use shoal::theme::Theme;
use shoal::ui;

fn render(app: &mut App, w: u16, h: u16) -> Vec<String> {
    render_at(app, w, h, NOW)
}

fn render_at(app: &mut App, w: u16, h: u16, now: i64) -> Vec<String> {
    app.set_regions(ui::regions(ratatui::layout::Rect::new(0, 0, w, h)));
    let mut term = Terminal::new(TestBackend::new(w, h)).expect("test backend");
    term.draw(|f| ui::draw(f, app, &Theme::plain(), now))
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

fn event(id: i64, agent: &str, kind: EventKind) -> EventView {
    EventView {
        id,
        ts_ms: NOW - 20_000 + id,
        agent: Some(agent.into()),
        attempt: Some(1),
        kind: kind.name().into(),
        tier: None,
        detail: kind.render(),
        rule: None,
        has_capture: false,
        level: kind.level(),
        payload: Some(kind),
    }
}

/// The demo's crasher as tmux leaves it: more output than the pane view holds, its last
/// words, 40 blank rows and tmux's banner.
fn crasher() -> AgentView {
    let work: String = (1..=60)
        .map(|n| format!("● Read(src/module_{n}.rs)\n"))
        .collect();
    let screen = format!(
        "{work}\n● Error: shoal sim-agent crashed on purpose\n\n❯ \n{}Pane is dead (status 3, Thu Dec  3 17:29:13 2026)\n",
        "\n".repeat(40)
    );
    AgentView::sample("crasher")
        .with_ended(LifeState::Failed, Some(3), NOW - 15_000)
        .with_capture(screen)
}

#[test]
fn a_dead_agent_shows_its_last_words_its_exit_and_needs_the_operator() {
    let mut app = App::default();
    app.on_snapshot(snapshot(vec![AgentView::sample("lead"), crasher()]));
    app.on_event(event(
        1,
        "crasher",
        EventKind::Exited {
            status: Some(3),
            state: LifeState::Failed,
        },
    ));
    let tab = KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE);
    app.handle_key(tab, NOW);
    assert_eq!(
        app.selected(),
        Some("crasher"),
        "Tab reaches the dead agent"
    );
    let screen = render(&mut app, 160, 40);
    let row = line_with(&screen, "■ crasher");
    assert!(
        row.starts_with("│!") && row.contains("failed") && row.contains("exit 3 · 15s ago"),
        "{row}"
    );
    let title = line_with(&screen, "┌ crasher");
    assert!(title.contains("failed · exit 3 · 15s ago"), "{title}");
    assert!(!screen.iter().any(|l| l.contains("Pane is dead")));
    // Anchored to the last words: they sit near the bottom of the pane view, not above
    // a screenful of blank rows.
    let err = screen
        .iter()
        .position(|l| l.contains("crashed on purpose"))
        .expect("the error line is on screen");
    // The pane view's bottom border is the line above the events box.
    let bottom = screen.iter().position(|l| l.contains("┌ events")).unwrap() - 1;
    assert!(
        bottom - err <= 4,
        "error at row {err}, pane ends at {bottom}"
    );
}

#[test]
fn with_nothing_selected_the_events_box_shows_the_fleets_events() {
    let mut app = App::default();
    app.on_snapshot(snapshot(vec![AgentView::sample("lead")]));
    app.on_event(event(
        1,
        "lead",
        EventKind::Exited {
            status: Some(0),
            state: LifeState::Done,
        },
    ));
    app.on_event(event(2, "builder", EventKind::Warned { stalled_s: 40 }));
    // A filter that matches nobody leaves nothing selected.
    app.handle_key(KeyEvent::new(KeyCode::Char('/'), KeyModifiers::NONE), NOW);
    for c in "zzz".chars() {
        app.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE), NOW);
    }
    assert_eq!(app.selected(), None);
    let screen = render(&mut app, 160, 40);
    line_with(&screen, "events · fleet");
    let lead = line_with(&screen, "lead: process exited with status 0");
    let builder = line_with(&screen, "builder: no progress for 40s");
    let pos = |l: &str| screen.iter().position(|s| s == l).unwrap();
    assert!(pos(lead) < pos(builder), "oldest first");
}

#[test]
fn silence_reads_quiet_and_a_frozen_spinner_reads_no_progress() {
    let silent = AgentView::sample("sleeper")
        .with_kind("shell")
        .with_progress_at(NOW - 45_000)
        .with_screen_changed_at(NOW - 45_000);
    let spinner = AgentView::sample("spinner")
        .with_progress_at(NOW - 45_000)
        .with_screen_changed_at(NOW - 400);
    let idle = AgentView::sample("waiter")
        .with_activity(Activity::Idle)
        .with_progress_at(NOW - 180_000);
    let mut app = App::default();
    app.on_snapshot(snapshot(vec![silent, spinner, idle]));
    let screen = render(&mut app, 160, 30);
    let row = line_with(&screen, "sleeper");
    assert!(row.contains(" quiet ") && !row.contains("working"), "{row}");
    assert!(line_with(&screen, "spinner").contains("working (no progress)"));
    assert!(line_with(&screen, "waiter").contains("waiting for work · 3m"));
}

#[test]
fn the_header_counts_a_quiet_agent_as_quiet() {
    let silent = AgentView::sample("sleeper")
        .with_progress_at(NOW - 45_000)
        .with_screen_changed_at(NOW - 45_000);
    let mut app = App::default();
    app.on_snapshot(snapshot(vec![silent, AgentView::sample("busy")]));
    let screen = render(&mut app, 160, 30);
    assert!(
        screen[0].contains("● 1 working") && screen[0].contains("○ 1 quiet"),
        "{}",
        screen[0]
    );
}

#[test]
fn a_footer_message_expires_after_a_few_seconds() {
    let mut app = App::default();
    app.on_snapshot(snapshot(vec![AgentView::sample("lead"), crasher()]));
    app.handle_key(KeyEvent::new(KeyCode::Char('X'), KeyModifiers::NONE), NOW);
    let footer = |s: &[String]| s.last().unwrap().clone();
    let now = render_at(&mut app, 160, 30, NOW + 1_000);
    assert!(
        footer(&now).contains("dismissed 1 ended agent"),
        "{}",
        footer(&now)
    );
    let next = ui::next_change(&app, NOW + 1_000).unwrap();
    assert!(
        next <= NOW + 6_000,
        "the host wakes to take it down: {next}"
    );
    let later = render_at(&mut app, 160, 30, NOW + 6_500);
    assert!(
        !footer(&later).contains("dismissed") && footer(&later).contains("? help"),
        "{}",
        footer(&later)
    );
}
