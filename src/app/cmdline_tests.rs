//! The `:` command line, completion, and the notices a reload leaves on screen.

use super::*;
use crate::fleet::sample::{family, snapshot, NOW};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn app() -> App {
    let mut app = App::default();
    app.on_snapshot(snapshot(family()));
    app.set_theme_names(vec!["dark".into(), "light".into(), "high-contrast".into()]);
    app
}

fn code(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

/// Type `:` + `line` and Enter; returns the effects of the Enter.
fn run(app: &mut App, line: &str) -> Vec<Effect> {
    app.handle_key(KeyEvent::new(KeyCode::Char(':'), KeyModifiers::NONE), NOW);
    assert!(
        matches!(app.mode(), Mode::Command { .. }),
        "{:?}",
        app.mode()
    );
    for c in line.chars() {
        app.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE), NOW);
    }
    app.handle_key(code(KeyCode::Enter), NOW)
}

fn line(app: &App) -> String {
    match app.mode() {
        Mode::Command { text } => text.clone(),
        other => panic!("not on the command line: {other:?}"),
    }
}

fn footer(app: &App) -> String {
    app.footer().map(|f| f.text.clone()).unwrap_or_default()
}

#[test]
fn an_action_with_an_agent_acts_on_that_agent() {
    let mut app = app();
    let effects = run(&mut app, "approve tester");
    assert!(
        effects.contains(&Effect::Send(Command::Approve {
            agent: "tester".into()
        })),
        "{effects:?}"
    );
    assert_eq!(
        app.selected(),
        Some("tester"),
        "the named agent is selected"
    );
    // Without a name it acts on the selection, like the key.
    let effects = run(&mut app, "nudge");
    assert!(effects.contains(&Effect::Send(Command::Nudge {
        agent: "tester".into()
    })));
    // Labels work as names too; kill still asks first.
    run(&mut app, "kill builder");
    assert_eq!(
        app.mode(),
        &Mode::Confirm {
            command: Command::Kill {
                agent: "builder".into()
            }
        }
    );
}

#[test]
fn type_with_text_sends_the_rest_of_the_line() {
    let mut app = app();
    let effects = run(&mut app, "type lead  run the tests now");
    assert!(effects.contains(&Effect::Send(Command::Send {
        agent: "lead".into(),
        text: "run the tests now".into()
    })));
}

#[test]
fn theme_and_filter_and_quit() {
    let mut app = app();
    assert!(run(&mut app, "theme light").contains(&Effect::SetTheme("light".into())));
    let effects = run(&mut app, "theme lihgt");
    assert!(!effects.iter().any(|e| matches!(e, Effect::SetTheme(_))));
    assert!(
        footer(&app).contains("no theme named \"lihgt\"; did you mean light?"),
        "{}",
        footer(&app)
    );
    run(&mut app, "filter activity:needs");
    assert_eq!(app.filter_text(), "activity:needs");
    assert_eq!(app.rows().len(), 3, "tester and its ancestors");
    assert!(run(&mut app, "q").contains(&Effect::Quit));
    assert!(run(&mut app, "quit").contains(&Effect::Quit));
}

#[test]
fn mistakes_say_what_to_do() {
    let mut app = app();
    run(&mut app, "aprove tester");
    assert!(
        footer(&app).contains("unknown command \"aprove\"; did you mean approve?"),
        "{}",
        footer(&app)
    );
    run(&mut app, "approve testr");
    assert!(
        footer(&app).contains("no agent named \"testr\"; did you mean tester?"),
        "{}",
        footer(&app)
    );
    run(&mut app, "quit now");
    assert!(
        footer(&app).contains("quit takes no arguments"),
        "{}",
        footer(&app)
    );
    run(&mut app, "theme");
    assert!(footer(&app).contains("theme needs a name: dark, light, high-contrast"));
}

#[test]
fn tab_completes_commands_then_agents_then_cycles() {
    let mut app = app();
    app.handle_key(KeyEvent::new(KeyCode::Char(':'), KeyModifiers::NONE), NOW);
    for c in "appr".chars() {
        app.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE), NOW);
    }
    app.handle_key(code(KeyCode::Tab), NOW);
    assert_eq!(line(&app), "approve ", "one match completes with a space");
    // On an empty word Tab lists the choices and puts none on the line.
    app.handle_key(code(KeyCode::Tab), NOW);
    let c = app.completion().cloned().unwrap();
    assert_eq!(c.options, ["lead", "builder", "tester", "reviewer"]);
    assert_eq!(c.index, None);
    assert_eq!(line(&app), "approve ");
    // Tab again takes the first, then cycles.
    app.handle_key(code(KeyCode::Tab), NOW);
    assert_eq!(line(&app), "approve lead");
    app.handle_key(code(KeyCode::Tab), NOW);
    assert_eq!(line(&app), "approve builder");
    app.handle_key(code(KeyCode::BackTab), NOW);
    assert_eq!(line(&app), "approve lead");
    app.handle_key(code(KeyCode::Backspace), NOW);
    assert!(app.completion().is_none(), "editing ends the completion");
    // Theme names complete after `theme`.
    app.handle_key(
        KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL),
        NOW,
    );
    for c in "theme h".chars() {
        app.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE), NOW);
    }
    app.handle_key(code(KeyCode::Tab), NOW);
    assert_eq!(line(&app), "theme high-contrast ");
    app.handle_key(code(KeyCode::Esc), NOW);
    assert_eq!(app.mode(), &Mode::Normal);
}

#[test]
fn logs_opens_the_log_browser_on_a_query_line() {
    let mut app = app();
    run(&mut app, "logs error");
    let view = app.logs_view().expect(":logs opens the log browser");
    assert_eq!(view.line(), "level:error");
    assert!(view.error().is_none());
    run(&mut app, "logs level:loud");
    let view = app.logs_view().expect("still open");
    assert!(
        view.error().is_some(),
        "a bad query line is shown with its error"
    );
}

#[test]
fn a_changed_fleet_file_is_offered_until_started() {
    let mut app = app();
    app.set_fleet_change(FleetChange {
        added: vec!["w5".into(), "w6".into()],
        removed: vec!["reviewer".into()],
    });
    let notices = app.notices();
    assert_eq!(notices.len(), 1);
    assert!(
        notices[0]
            .text
            .contains("new in the fleet file: w5, w6 — S starts them"),
        "{notices:?}"
    );
    assert!(notices[0]
        .text
        .contains("removed from the fleet file: reviewer"));
    let effects = app.handle_key(KeyEvent::new(KeyCode::Char('S'), KeyModifiers::NONE), NOW);
    assert!(effects.contains(&Effect::StartAgents(vec!["w5".into(), "w6".into()])));
    let notices = app.notices();
    assert!(
        !notices[0].text.contains("new in"),
        "offer taken: {notices:?}"
    );
    // Nothing left to start: S says so.
    let effects = app.handle_key(KeyEvent::new(KeyCode::Char('S'), KeyModifiers::NONE), NOW);
    assert!(!effects.iter().any(|e| matches!(e, Effect::StartAgents(_))));
    // Esc dismisses the rest.
    app.handle_key(code(KeyCode::Esc), NOW);
    assert!(app.notices().is_empty());
}

#[test]
fn problems_stay_until_replaced() {
    let mut app = app();
    app.set_problems(vec!["c.toml:1:1: unknown key `pol`".into()]);
    app.handle_key(code(KeyCode::Esc), NOW);
    let n = app.notices();
    assert!(
        n[0].is_error && n[0].text.starts_with("c.toml:1:1: unknown key `pol`"),
        "{n:?}"
    );
    app.set_problems(Vec::new());
    assert!(app.notices().is_empty());
}

#[test]
fn remapped_keys_show_in_the_offer_and_drive_the_help_view() {
    let mut app = app();
    let config = crate::config::parse(
        std::path::Path::new("c.toml"),
        "[keymap.fleet]\n\"N\" = \"start-new-agents\"\nS = \"none\"\n[keymap.help]\nx = \"scroll-down\"\n",
    )
    .unwrap();
    app.set_keymaps(Keymaps::from_config(&config).unwrap());
    app.set_fleet_change(FleetChange {
        added: vec!["w5".into()],
        removed: Vec::new(),
    });
    assert!(app.notices()[0].text.contains("N starts them"));
    app.handle_key(KeyEvent::new(KeyCode::Char('?'), KeyModifiers::NONE), NOW);
    app.set_regions(Regions {
        tree: ratatui::layout::Rect::new(0, 1, 60, 20),
        pane: ratatui::layout::Rect::new(60, 1, 60, 10),
    });
    app.handle_key(KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE), NOW);
    assert_eq!(app.mode(), &Mode::Help, "x scrolls the help now");
    assert!(app.help_scroll() > 0);
}

#[test]
fn tab_on_an_empty_line_lists_commands_but_no_navigation() {
    let mut app = app();
    app.handle_key(KeyEvent::new(KeyCode::Char(':'), KeyModifiers::NONE), NOW);
    app.handle_key(code(KeyCode::Tab), NOW);
    assert_eq!(line(&app), "", "nothing is put on the line");
    let c = app.completion().cloned().expect("the commands are listed");
    for want in [
        "approve", "kill", "filter", "logs", "theme", "sort", "find", "copy",
    ] {
        assert!(c.options.iter().any(|o| o == want), "{want} missing: {c:?}");
    }
    for nav in [
        "move-down",
        "down",
        "scroll-up",
        "expand-node",
        "open-command",
        "jump-to-needy",
        "next-needy",
    ] {
        assert!(!c.options.iter().any(|o| o == nav), "{nav} offered: {c:?}");
    }
    // BackTab from the list takes the last choice.
    app.handle_key(code(KeyCode::BackTab), NOW);
    assert_eq!(line(&app), c.options.last().unwrap().as_str());
    app.handle_key(code(KeyCode::Esc), NOW);

    // Typed anyway, a navigation name says which key does it.
    run(&mut app, "move-down");
    assert_eq!(
        footer(&app),
        "move-down moves around the console: press j or ↓"
    );
    assert_eq!(app.selected(), Some("lead"), "and does not move");
}

#[test]
fn sort_and_find_take_an_argument() {
    let mut app = app();
    run(&mut app, "sort quiet");
    assert_eq!(app.sort_key(), crate::app::SortKey::Quiet);
    run(&mut app, "sort loud");
    assert_eq!(
        footer(&app),
        "no sort \"loud\"; sorts: fleet-order, name, activity, quiet, tier"
    );
    // Tab after `sort ` lists the orders.
    app.handle_key(KeyEvent::new(KeyCode::Char(':'), KeyModifiers::NONE), NOW);
    for c in "sort t".chars() {
        app.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE), NOW);
    }
    app.handle_key(code(KeyCode::Tab), NOW);
    assert_eq!(line(&app), "sort tier ");
    app.handle_key(code(KeyCode::Esc), NOW);

    // `:find TEXT` searches the selected pane at once.
    run(&mut app, "find screen of");
    let s = app.pane_search().expect("a search");
    assert_eq!(s.query, "screen of");
    assert_eq!(s.hits, [(0, 0)], "lead's screen is `screen of lead`");
}
