//! Console views rendered into a ratatui TestBackend with a fixed clock and the plain
//! theme; assertions read the buffer as an operator would read the screen.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use shoal::app::{Action, App, Keymap};
use shoal::fleet::sample::NOW;
use shoal::fleet::{Activity, AgentView, EventView, FleetSnapshot, TickStats, Tier};
use shoal::theme::Theme;
use shoal::ui;
use std::sync::Arc;

/// A running agent, quiet for 7 s, in pane %3 of server `shoal`.
fn agent(name: &str, parent: Option<&str>, activity: Activity) -> AgentView {
    AgentView::sample(name)
        .with_parent(parent)
        .with_activity(activity)
        .with_reason(Some(&format!("{name}: status-line rule matched")))
        .with_progress_at(NOW - 7_000)
        .with_pane(Some("%3"), Some("shoal"))
}

/// A lead with two children and a grandchild:
/// lead (working, nudge in 42s) → builder (working, warn tier, kill in 10s) → tester
/// (needs input); lead → reviewer (idle, attempt 2).
fn fleet() -> Vec<AgentView> {
    vec![
        agent("lead", None, Activity::Working).with_next_action_at(NOW + 42_000),
        agent("builder", Some("lead"), Activity::Working)
            .with_tier(Tier::Warn, NOW - 125_000)
            .with_next_action_at(NOW + 10_000),
        agent("tester", Some("builder"), Activity::NeedsInput),
        agent("reviewer", Some("lead"), Activity::Idle).with_attempt(2),
    ]
}

fn snapshot(agents: Vec<AgentView>) -> Arc<FleetSnapshot> {
    Arc::new(
        FleetSnapshot::sample(agents)
            .taken_at(NOW - 400)
            .with_stats(TickStats {
                duration_us: 12_400,
                panes: 4,
                captured: 2,
                servers_up: 1,
                servers: 1,
                error: None,
                degraded: Vec::new(),
                circuits: Vec::new(),
                unreachable: Vec::new(),
                budgets: Vec::new(),
            }),
    )
}

fn app(agents: Vec<AgentView>) -> App {
    let mut app = App::default();
    app.on_snapshot(snapshot(agents));
    app
}

fn keys(app: &mut App, text: &str) {
    for c in text.chars() {
        app.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE), NOW);
    }
}

fn key(app: &mut App, code: KeyCode) {
    app.handle_key(KeyEvent::new(code, KeyModifiers::NONE), NOW);
}

/// Render one frame and return the screen as lines of text.
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

fn line_with<'a>(screen: &'a [String], needle: &str) -> &'a str {
    screen
        .iter()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line contains {needle:?}:\n{}", screen.join("\n")))
}

#[test]
fn tree_nests_children_under_parents() {
    let mut app = app(fleet());
    let screen = render(&mut app, 120, 30);
    assert!(
        line_with(&screen, "● lead").starts_with("│ ▾ ● lead"),
        "{}",
        screen.join("\n")
    );
    assert!(line_with(&screen, "● builder").contains("!├─▾ ● builder"));
    assert!(line_with(&screen, "tester").contains("│!│ └── ? tester"));
    assert!(line_with(&screen, "reviewer").contains("└── ○ reviewer #2"));
    // Rows come in tree order.
    let pos = |n: &str| {
        screen
            .iter()
            .position(|l| l.contains(&format!(" {n} ")))
            .unwrap()
    };
    assert!(
        pos("lead") < pos("builder")
            && pos("builder") < pos("tester")
            && pos("tester") < pos("reviewer")
    );
}

#[test]
fn rows_show_activity_ladder_countdown_progress_and_kind() {
    let mut app = app(fleet());
    let screen = render(&mut app, 160, 30);
    let lead = line_with(&screen, "● lead");
    for part in ["working", "nudge in 42s", "running", "7s", "claude"] {
        assert!(lead.contains(part), "lead row lacks {part:?}: {lead}");
    }
    let titles = line_with(&screen, "│ agent ");
    for part in ["activity", "ladder", "state", "quiet", "kind"] {
        assert!(titles.contains(part), "no column {part:?}: {titles}");
    }
    let builder = line_with(&screen, "● builder");
    assert!(builder.contains("warn 2m · kill in 10s"), "{builder}");
    assert!(line_with(&screen, "reviewer").contains("idle"));

    // A narrow terminal drops the last columns first, never the ladder.
    let screen = render(&mut app, 60, 20);
    let titles = line_with(&screen, "│ agent ");
    assert!(
        titles.contains("ladder") && !titles.contains("kind"),
        "{titles}"
    );
    assert!(line_with(&screen, "● lead").contains("nudge in 42s"));
}

#[test]
fn agents_that_need_the_operator_are_marked() {
    let mut app = app(fleet());
    let screen = render(&mut app, 120, 30);
    // The marker sits just inside the tree's left border.
    assert!(
        line_with(&screen, "tester").starts_with("│!"),
        "{}",
        line_with(&screen, "tester")
    );
    assert!(
        line_with(&screen, "● builder").starts_with("│!"),
        "warn tier is marked too"
    );
    assert!(line_with(&screen, "● lead").starts_with("│ "));
    // Its turn done, it waits for work: with `on_idle = "notify"` (the default) that
    // needs the operator; with `none` it is left alone.
    assert!(line_with(&screen, "reviewer").starts_with("│!"));
    let mut quiet = fleet();
    for a in &mut quiet {
        a.on_idle = shoal::fleet::OnIdle::None;
    }
    let mut quiet_app = self::app(quiet);
    let screen = render(&mut quiet_app, 120, 30);
    assert!(line_with(&screen, "reviewer").starts_with("│ "));
}

#[test]
fn a_folded_parent_wears_its_subtrees_worst_state() {
    let mut app = app(fleet());
    keys(&mut app, "h"); // fold lead (selected first)
    let screen = render(&mut app, 120, 30);
    let lead = line_with(&screen, " lead +");
    assert!(lead.starts_with("│!"), "{lead}");
    assert!(lead.contains("▸ ? lead +3"), "{lead}");
    assert!(lead.contains("needs-input"), "{lead}");
    assert!(!screen.iter().any(|l| l.contains("tester")));

    // Folding only builder: it shows the question below it; the lead is itself again.
    key(&mut app, KeyCode::Right); // unfold lead
    keys(&mut app, "j"); // down to builder
    keys(&mut app, "h");
    let screen = render(&mut app, 120, 30);
    assert!(line_with(&screen, " builder +1").contains("▸ ? builder +1"));
    assert!(line_with(&screen, "● lead").contains("▾ ● lead"));
}

#[test]
fn header_counts_activities_and_shows_supervisor_health() {
    let mut app = app(fleet());
    let screen = render(&mut app, 120, 30);
    let head = &screen[0];
    for part in [
        "shoal · demo",
        "4 agents",
        "? 1 needs-input",
        "● 2 working",
        "○ 1 idle",
        "tick 12ms",
        "servers 1/1",
    ] {
        assert!(head.contains(part), "header lacks {part:?}: {head}");
    }
    assert!(
        !head.contains("errored"),
        "zero counts are left out: {head}"
    );

    let mut broken = (*snapshot(fleet())).clone();
    broken.stats.servers_up = 0;
    broken.stats.error = Some("tmux server shoal is not running".into());
    broken.taken_at_ms = NOW - 30_000;
    app.on_snapshot(Arc::new(broken));
    let head = render(&mut app, 160, 30).remove(0);
    for part in [
        "servers 0/1",
        "✗ tmux server shoal is not running",
        "snapshot 30s old",
    ] {
        assert!(head.contains(part), "header lacks {part:?}: {head}");
    }
    assert!(!head.contains("one-shot"), "{head}");

    let mut slow = (*snapshot(fleet())).clone();
    slow.stats.degraded = vec!["shoal-demo-2".into()];
    app.on_snapshot(Arc::new(slow));
    let head = render(&mut app, 160, 30).remove(0);
    assert!(
        head.contains("slow poll (one-shot): shoal-demo-2"),
        "header does not say which server is on the fallback: {head}"
    );

    let mut far = (*snapshot(fleet())).clone();
    far.stats.unreachable = vec!["gpu1 unreachable since 12:03".into()];
    app.on_snapshot(Arc::new(far));
    let head = render(&mut app, 160, 30).remove(0);
    assert!(
        head.contains("gpu1 unreachable since 12:03"),
        "header does not say which host is down: {head}"
    );
}

#[test]
fn help_lists_the_keymap() {
    let mut app = app(fleet());
    keys(&mut app, "?");
    // Tall enough for every action, with room for more.
    let screen = render(&mut app, 120, 60);
    assert!(line_with(&screen, "Kill the selected agent's pane now").contains(" K "));
    assert!(line_with(&screen, "Approve the prompt").contains(" a "));
    assert!(line_with(&screen, "Leave the console").contains("q, ctrl-c"));
    for &action in Action::ALL {
        line_with(&screen, action.describe());
    }
}

#[test]
fn a_help_taller_than_the_screen_scrolls() {
    let mut app = app(fleet());
    keys(&mut app, "?");
    let screen = render(&mut app, 100, 24);
    line_with(&screen, "j/k scroll");
    assert!(!screen.iter().any(|l| l.contains("Leave the console")));
    keys(&mut app, "jjjjjjjjjj");
    let screen = render(&mut app, 100, 24);
    line_with(&screen, "Leave the console");
    keys(&mut app, "x");
    assert!(!render(&mut app, 100, 24)
        .iter()
        .any(|l| l.contains("Leave the console")));
}

#[test]
fn a_remapped_key_shows_in_help_and_footer() {
    let mut keymap = Keymap::default();
    keymap.bind("x".parse().expect("key name"), Action::Kill);
    let mut app = App::new(keymap);
    app.on_snapshot(snapshot(fleet()));
    let screen = render(&mut app, 160, 30);
    let footer = screen.last().unwrap();
    assert!(
        footer.contains("K/x kill") || footer.contains("K kill"),
        "{footer}"
    );
    keys(&mut app, "?");
    let screen = render(&mut app, 120, 40);
    assert!(line_with(&screen, "Kill the selected").contains("K, x"));
}

#[test]
fn footer_hints_come_from_the_keymap() {
    let mut app = app(fleet());
    let screen = render(&mut app, 200, 30);
    let footer = screen.last().unwrap();
    for part in [
        "j/k down/up",
        "h/→ fold/unfold",
        "l logs",
        "enter attach",
        "a approve",
        "d deny",
        "K kill",
        "tab next needy",
        "? help",
        "q quit",
    ] {
        assert!(footer.contains(part), "footer lacks {part:?}: {footer}");
    }
}

#[test]
fn too_small_a_terminal_says_so() {
    let mut app = app(fleet());
    let screen = render(&mut app, 40, 10);
    line_with(&screen, "terminal too small (40x10)");
    line_with(&screen, "need at least 60x15");
    assert!(
        !screen.iter().any(|l| l.contains("lead")),
        "no half-drawn tree"
    );
    // The minimum itself draws the console.
    let screen = render(&mut app, 60, 15);
    line_with(&screen, "lead");
}

#[test]
fn pane_view_follows_the_tail_and_scrolls_back() {
    let mut agents = fleet();
    agents[0].capture = (0..200)
        .map(|i| format!("output {i:03}\n"))
        .collect::<String>()
        .into();
    let mut app = app(agents);
    let screen = render(&mut app, 120, 30);
    line_with(&screen, "output 199");
    assert!(!screen.iter().any(|l| l.contains("output 150")));
    key(&mut app, KeyCode::PageUp);
    let screen = render(&mut app, 120, 30);
    assert!(!screen.iter().any(|l| l.contains("output 199")));
    // Where the view is; the whole scrollback is read by the host, which is not here.
    line_with(&screen, "of 200");
    key(&mut app, KeyCode::PageDown);
    let screen = render(&mut app, 120, 30);
    line_with(&screen, "output 199");
}

#[test]
fn ansi_captures_render_as_text() {
    let mut agents = fleet();
    agents[0].capture =
        "\u{1b}[1;32m✓ tests passed\u{1b}[0m\n\u{1b}[38;5;208mwarning\u{1b}[0m: unused\n".into();
    let mut app = app(agents);
    let screen = render(&mut app, 120, 30);
    line_with(&screen, "✓ tests passed");
    line_with(&screen, "warning: unused");
    assert!(!screen
        .iter()
        .any(|l| l.contains("[1;32m") || l.contains('\u{1b}')));
}

#[test]
fn hostile_captures_never_panic() {
    let binary: String = (0u8..=255).map(char::from).cycle().take(50_000).collect();
    let broken_escapes = "\u{1b}[38;2;999;;mX\u{1b}[\u{1b}]8;;\u{7}\u{1b}P\n".repeat(1000);
    let huge = "y".repeat(5_000_000) + "\nlast line here\n";
    let many_lines = "z\n".repeat(300_000) + "the end\n";
    for capture in [binary, broken_escapes, huge, many_lines] {
        let mut agents = fleet();
        agents[0].capture = capture.into();
        let mut app = app(agents);
        let screen = render(&mut app, 120, 30);
        line_with(&screen, "lead");
    }
    let mut agents = fleet();
    agents[0].capture = ("y".repeat(5_000_000) + "\nlast line here\n").into();
    let mut app = app(agents);
    line_with(&render(&mut app, 120, 30), "last line here");
}

#[test]
fn event_strip_shows_the_selected_agents_events_newest_last() {
    let mut app = app(fleet());
    for id in 1..=30 {
        app.on_event(EventView {
            id,
            ts_ms: NOW - 1000 * (30 - id),
            agent: Some(if id % 2 == 0 { "lead" } else { "builder" }.into()),
            attempt: Some(1),
            kind: if id == 30 {
                "nudge".into()
            } else {
                "activity".into()
            },
            tier: None,
            detail: format!("event number {id}"),
            rule: (id == 30).then(|| "claude.spinner".into()),
            has_capture: false,
            level: shoal::fleet::Level::Info,
            payload: None,
        });
    }
    let screen = render(&mut app, 200, 30);
    let last = screen
        .iter()
        .position(|l| l.contains("event number 30"))
        .expect("newest shown");
    let before = screen
        .iter()
        .position(|l| l.contains("event number 28"))
        .expect("older shown");
    assert!(before < last, "newest last");
    assert!(line_with(&screen, "event number 30").contains("nudge"));
    assert!(line_with(&screen, "event number 30").contains("[claude.spinner]"));
    assert!(
        !screen.iter().any(|l| l.contains("event number 29")),
        "builder's events stay with builder"
    );
    line_with(&screen, "events · lead");
}

#[test]
fn explain_shows_the_detection_reason() {
    let mut agents = fleet();
    agents[1].error = Some(shoal::fleet::ErrorKind::RateLimit);
    agents[1].reset_at_ms = Some(NOW + 180_000);
    let mut app = app(agents);
    keys(&mut app, "je");
    let screen = render(&mut app, 120, 30);
    line_with(&screen, "why builder is working");
    line_with(&screen, "builder: status-line rule matched");
    line_with(&screen, "rate-limit, resets in 3m");
    line_with(&screen, "%3 on tmux -L shoal");
}

#[test]
fn confirm_and_input_boxes() {
    let mut app = app(fleet());
    keys(&mut app, "jK");
    let screen = render(&mut app, 120, 30);
    line_with(&screen, "Kill builder now?");
    assert!(screen.last().unwrap().contains("y yes"));
    keys(&mut app, "n");
    keys(&mut app, "jihello there");
    let screen = render(&mut app, 120, 30);
    line_with(&screen, "type into tester");
    line_with(&screen, "hello there█");
}

#[test]
fn filter_shows_matches_with_their_ancestors() {
    let mut app = app(fleet());
    keys(&mut app, "/tester");
    let screen = render(&mut app, 120, 30);
    line_with(&screen, "1/4 match /tester");
    line_with(&screen, "tester");
    line_with(&screen, "builder");
    assert!(!screen.iter().any(|l| l.contains("reviewer")));
    assert!(screen.last().unwrap().starts_with("/tester█"));
    keys(&mut app, "x");
    let screen = render(&mut app, 120, 30);
    line_with(&screen, "no agent matches the filter");
}

#[test]
fn outcomes_and_refusals_replace_the_hints() {
    let mut app = app(fleet());
    keys(&mut app, "a"); // lead is working
    let screen = render(&mut app, 120, 30);
    assert!(screen
        .last()
        .unwrap()
        .contains("lead is working, not waiting for input"));
}

#[test]
fn a_long_fleet_scrolls_to_keep_the_selection_in_view() {
    let agents: Vec<AgentView> = (0..100)
        .map(|i| agent(&format!("w{i:03}"), None, Activity::Working))
        .collect();
    let mut app = app(agents);
    keys(&mut app, "G");
    let screen = render(&mut app, 120, 30);
    line_with(&screen, "w099");
    assert!(!screen.iter().any(|l| l.contains("w000")));
    keys(&mut app, "g");
    let screen = render(&mut app, 120, 30);
    line_with(&screen, "w000");
}
