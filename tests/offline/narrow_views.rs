//! Columns keep their priority as the terminal narrows: at 80×24 every row still shows
//! the agent's name, its activity and its ladder; the note gives way first.

use ratatui::backend::TestBackend;
use ratatui::Terminal;
use shoal::app::App;
use shoal::fleet::sample::{snapshot, NOW};
use shoal::fleet::{Activity, AgentView, ErrorKind, LifeState, Tier};
use shoal::theme::Theme;
use shoal::ui;

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

/// The demo's fleet at its busiest: every column has something long to say.
fn demo_like() -> Vec<AgentView> {
    let mut limiter = AgentView::sample("limiter")
        .with_parent(Some("builder"))
        .with_activity(Activity::Errored);
    limiter.error = Some(ErrorKind::RateLimit);
    limiter.reset_at_ms = Some(NOW + 150_000);
    let mut lead = AgentView::sample("lead").with_next_action_at(NOW + 19_000);
    lead.lineage.rollup.count(LifeState::Running, false);
    lead.lineage.rollup.count(LifeState::Failed, false);
    vec![
        lead,
        AgentView::sample("builder")
            .with_parent(Some("lead"))
            .with_next_action_at(NOW + 20_000),
        AgentView::sample("tester")
            .with_parent(Some("builder"))
            .with_next_action_at(NOW + 20_000),
        limiter,
        AgentView::sample("reviewer")
            .with_parent(Some("lead"))
            .with_activity(Activity::NeedsInput),
        AgentView::sample("hanger")
            .with_parent(Some("lead"))
            .with_tier(Tier::Nudge, NOW - 3_000)
            .with_next_action_at(NOW + 17_000),
        AgentView::sample("crasher")
            .with_parent(Some("lead"))
            .with_ended(LifeState::Failed, Some(3), NOW - 15_000),
    ]
}

fn row<'a>(screen: &'a [String], agent: &str) -> &'a str {
    screen
        .iter()
        .find(|l| {
            // The tree panel is the left 48 columns at 80 wide.
            l.starts_with('│')
                && l.chars()
                    .take(48)
                    .collect::<String>()
                    .contains(&format!(" {agent} "))
        })
        .unwrap_or_else(|| panic!("no row for {agent}:\n{}", screen.join("\n")))
}

#[test]
fn at_80_by_24_every_row_shows_name_activity_and_ladder() {
    let mut app = App::default();
    app.on_snapshot(snapshot(demo_like()));
    let screen = render(&mut app, 80, 24);
    let expect = [
        ("lead", "working", "nudge in 19s"),
        ("builder", "working", "nudge in 20s"),
        ("tester", "working", "nudge in 20s"),
        ("limiter", "errored", "rate-limit"),
        ("reviewer", "needs-input", ""),
        ("hanger", "working", "nudge 3s"),
        ("crasher", "exited", "exit 3"),
    ];
    for (name, activity, ladder) in expect {
        let r = row(&screen, name);
        assert!(
            r.contains(activity) && r.contains(ladder),
            "{name}: want {activity:?} and {ladder:?} in {r:?}\n{}",
            screen.join("\n")
        );
    }
}

#[test]
fn z_gives_the_pane_view_the_whole_screen_and_back() {
    let mut app = App::default();
    let screen: String = (1..=40)
        .map(|n| format!("line {n} of the agent\n"))
        .collect();
    app.on_snapshot(snapshot(vec![
        AgentView::sample("lead").with_capture(screen)
    ]));
    let key = |app: &mut App, c: char| {
        app.handle_key(
            crossterm::event::KeyEvent::new(
                crossterm::event::KeyCode::Char(c),
                crossterm::event::KeyModifiers::NONE,
            ),
            NOW,
        )
    };
    let before = render(&mut app, 80, 24);
    assert!(before.iter().any(|l| l.contains("┌ fleet")));
    key(&mut app, 'z');
    let zoomed = render(&mut app, 80, 24);
    assert!(
        !zoomed
            .iter()
            .any(|l| l.contains("┌ fleet") || l.contains("events ·")),
        "{}",
        zoomed.join("\n")
    );
    assert!(zoomed[1].starts_with("┌ lead · claude"), "{}", zoomed[1]);
    // The full width and 20 rows of the agent's screen, ending with its last line.
    let shown = zoomed.iter().filter(|l| l.contains("of the agent")).count();
    assert_eq!(shown, 20, "{}", zoomed.join("\n"));
    assert!(zoomed.iter().any(|l| l.contains("line 40 of the agent")));
    key(&mut app, 'z');
    assert!(render(&mut app, 80, 24)
        .iter()
        .any(|l| l.contains("┌ fleet")));
}

#[test]
fn quick_filter_keys_show_one_group_and_the_same_key_shows_all() {
    let mut app = App::default();
    app.on_snapshot(snapshot(demo_like()));
    let key = |app: &mut App, c: char| {
        app.handle_key(
            crossterm::event::KeyEvent::new(
                crossterm::event::KeyCode::Char(c),
                crossterm::event::KeyModifiers::NONE,
            ),
            NOW,
        );
    };
    let matched = |app: &App| -> Vec<String> {
        app.rows()
            .iter()
            .filter(|r| r.matched)
            .map(|r| app.snapshot().agents[r.index].name.clone())
            .collect()
    };
    key(&mut app, '!');
    assert_eq!(matched(&app), ["limiter", "reviewer", "crasher"]);
    key(&mut app, '#');
    assert_eq!(matched(&app), ["crasher"]);
    key(&mut app, '@');
    assert_eq!(matched(&app).len(), 6);
    key(&mut app, '@');
    assert_eq!(matched(&app).len(), 7, "the same key again shows all");
    assert_eq!(app.filter_text(), "");
}
