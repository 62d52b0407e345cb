//! Key handling and state tests: hand-built snapshots, a fixed clock, no terminal.

use super::*;
use crate::fleet::sample::{agent, family, snapshot, NOW};
use crate::fleet::{Activity, LifeState};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn code(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn app_with(agents: Vec<AgentView>) -> App {
    let mut app = App::default();
    app.on_snapshot(snapshot(agents));
    app
}

fn press(app: &mut App, keys: &str) -> Vec<Effect> {
    keys.chars()
        .flat_map(|c| app.handle_key(key(c), NOW))
        .collect()
}

fn sent(effects: &[Effect]) -> Vec<Command> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send(c) => Some(c.clone()),
            _ => None,
        })
        .collect()
}

fn names(app: &App) -> Vec<String> {
    app.rows()
        .iter()
        .map(|r| app.snapshot().agents[r.index].name.clone())
        .collect()
}

fn select(app: &mut App, name: &str) {
    app.select(Some(name.to_string()));
    assert_eq!(app.selected(), Some(name));
}

#[test]
fn tree_order_is_depth_first_under_parents() {
    let app = app_with(family());
    assert_eq!(names(&app), ["lead", "builder", "tester", "reviewer"]);
    let depths: Vec<usize> = app.rows().iter().map(|r| r.depth).collect();
    assert_eq!(depths, [0, 1, 2, 1]);
    assert_eq!(app.selected(), Some("lead"));
}

#[test]
fn orphans_and_cycles_stay_visible() {
    let mut agents = vec![
        agent("orphan", Some("gone"), Activity::Idle),
        agent("a", Some("b"), Activity::Working),
        agent("b", Some("a"), Activity::Working),
    ];
    agents.push(agent("self", Some("self"), Activity::Idle));
    let app = app_with(agents);
    let mut got = names(&app);
    got.sort();
    assert_eq!(got, ["a", "b", "orphan", "self"]);
    assert_eq!(
        app.rows().iter().find(|r| r.index == 0).map(|r| r.depth),
        Some(0)
    );
}

#[test]
fn approve_only_answers_a_prompt() {
    let mut app = app_with(family());
    select(&mut app, "tester");
    let fx = press(&mut app, "a");
    assert_eq!(
        sent(&fx),
        [Command::Approve {
            agent: "tester".into()
        }]
    );
    let fx = press(&mut app, "d");
    assert_eq!(
        sent(&fx),
        [Command::Deny {
            agent: "tester".into()
        }]
    );

    select(&mut app, "builder");
    let fx = press(&mut app, "a");
    assert!(
        sent(&fx).is_empty(),
        "approve on a working agent sent {fx:?}"
    );
    let footer = app.footer().expect("a refusal in the footer");
    assert!(footer.is_error);
    assert!(
        footer
            .text
            .contains("builder is working, not waiting for input"),
        "{}",
        footer.text
    );
}

#[test]
fn kill_and_cancel_ask_first() {
    let mut app = app_with(family());
    select(&mut app, "builder");
    let fx = press(&mut app, "K");
    assert!(sent(&fx).is_empty());
    assert_eq!(
        app.mode(),
        &Mode::Confirm {
            command: Command::Kill {
                agent: "builder".into()
            }
        }
    );
    let fx = press(&mut app, "y");
    assert_eq!(
        sent(&fx),
        [Command::Kill {
            agent: "builder".into()
        }]
    );
    assert_eq!(app.mode(), &Mode::Normal);

    let fx = press(&mut app, "Kn");
    assert!(sent(&fx).is_empty());
    assert_eq!(app.mode(), &Mode::Normal);
    assert!(app.footer().unwrap().text.contains("kill builder not sent"));

    // A stray key keeps the question open instead of guessing.
    let fx = press(&mut app, "cxy");
    assert_eq!(
        sent(&fx),
        [Command::Cancel {
            agent: "builder".into()
        }]
    );
}

#[test]
fn confirming_for_a_vanished_agent_says_so() {
    let mut app = app_with(family());
    select(&mut app, "reviewer");
    press(&mut app, "K");
    app.on_snapshot(snapshot(
        family()
            .into_iter()
            .filter(|a| a.name != "reviewer")
            .collect(),
    ));
    let fx = press(&mut app, "y");
    assert!(sent(&fx).is_empty());
    let footer = app.footer().unwrap();
    assert!(
        footer.is_error && footer.text.contains("reviewer is no longer in the fleet"),
        "{footer:?}"
    );
    // The row that took its place is selected.
    assert!(app.selected().is_some());
}

#[test]
fn type_a_line_sends_it_exactly() {
    let mut app = app_with(family());
    select(&mut app, "tester");
    press(&mut app, "i");
    assert!(matches!(app.mode(), Mode::Input { .. }));
    // Keys that are actions in Normal mode are just text here.
    let fx = press(&mut app, "yes, run `cargo test -q` K");
    assert!(sent(&fx).is_empty());
    app.handle_key(code(KeyCode::Backspace), NOW);
    let fx = app.handle_key(code(KeyCode::Enter), NOW);
    assert_eq!(
        sent(&fx),
        [Command::Send {
            agent: "tester".into(),
            text: "yes, run `cargo test -q` ".into()
        }]
    );

    press(&mut app, "ihello");
    let fx = app.handle_key(code(KeyCode::Esc), NOW);
    assert!(sent(&fx).is_empty());
    assert_eq!(app.mode(), &Mode::Normal);
}

#[test]
fn paste_goes_into_the_input_box_not_the_keymap() {
    let mut app = app_with(family());
    select(&mut app, "tester");
    press(&mut app, "i");
    app.handle_paste("line one\nK q");
    let fx = app.handle_key(code(KeyCode::Enter), NOW);
    assert_eq!(
        sent(&fx),
        [Command::Send {
            agent: "tester".into(),
            text: "line one K q".into()
        }]
    );
}

#[test]
fn tab_cycles_through_agents_that_need_the_operator() {
    let mut agents = family();
    agents[3].tier = crate::fleet::Tier::Warn; // reviewer
    agents.push(agent("solo", None, Activity::Errored));
    let mut app = app_with(agents);
    let mut seen = Vec::new();
    for _ in 0..4 {
        app.handle_key(code(KeyCode::Tab), NOW);
        seen.push(app.selected().unwrap().to_string());
    }
    assert_eq!(seen, ["tester", "reviewer", "solo", "tester"]);
}

#[test]
fn tab_unfolds_to_reach_a_hidden_agent() {
    let mut app = app_with(family());
    press(&mut app, "h"); // fold lead
    assert_eq!(names(&app), ["lead"]);
    app.handle_key(code(KeyCode::Tab), NOW);
    assert_eq!(app.selected(), Some("tester"));
    assert!(names(&app).contains(&"tester".to_string()));
}

#[test]
fn tab_with_nobody_waiting_says_so() {
    let mut app = app_with(vec![agent("w", None, Activity::Working)]);
    app.handle_key(code(KeyCode::Tab), NOW);
    assert!(app.footer().unwrap().text.contains("no agent needs you"));
}

#[test]
fn filter_narrows_the_tree_and_keeps_ancestors() {
    let mut app = app_with(family());
    press(&mut app, "/test");
    assert_eq!(app.mode(), &Mode::Filter);
    assert_eq!(names(&app), ["lead", "builder", "tester"]);
    let matched: Vec<bool> = app.rows().iter().map(|r| r.matched).collect();
    assert_eq!(matched, [false, false, true]);
    app.handle_key(code(KeyCode::Enter), NOW);
    assert_eq!(app.mode(), &Mode::Normal);
    assert_eq!(app.filter_text(), "test");

    app.handle_key(code(KeyCode::Esc), NOW);
    assert_eq!(names(&app).len(), 4);

    press(&mut app, "/activity:idle");
    assert_eq!(names(&app), ["lead", "reviewer"]);
    app.handle_paste(" bogus:1");
    assert!(app.filter_error().unwrap().contains("\"bogus\""));
    assert_eq!(
        names(&app),
        ["lead", "reviewer"],
        "an invalid filter keeps the last valid one"
    );
}

#[test]
fn selection_follows_the_name_across_reordered_snapshots() {
    let mut app = app_with(family());
    select(&mut app, "tester");
    let mut reordered = family();
    reordered.reverse();
    reordered.insert(0, agent("newcomer", None, Activity::Working));
    app.on_snapshot(snapshot(reordered));
    assert_eq!(app.selected(), Some("tester"));
    assert_eq!(app.selected_agent().unwrap().name, "tester");
}

#[test]
fn a_vanished_selection_falls_to_the_row_in_its_place() {
    let mut app = app_with(family());
    select(&mut app, "tester");
    app.on_snapshot(snapshot(
        family()
            .into_iter()
            .filter(|a| a.name != "tester")
            .collect(),
    ));
    assert_eq!(app.selected(), Some("reviewer"));
    assert_eq!(app.footer().unwrap().text, "tester left the fleet");
}

#[test]
fn fold_and_unfold() {
    let mut app = app_with(family());
    select(&mut app, "tester");
    press(&mut app, "h"); // a leaf: go to the parent
    assert_eq!(app.selected(), Some("builder"));
    press(&mut app, "h"); // fold builder
    assert_eq!(names(&app), ["lead", "builder", "reviewer"]);
    let row = &app.rows()[1];
    assert!(row.collapsed && row.hidden == 1);
    assert_eq!(app.snapshot().agents[row.worst].name, "tester");
    app.handle_key(code(KeyCode::Right), NOW); // unfold
    assert_eq!(names(&app).len(), 4);
    app.handle_key(code(KeyCode::Right), NOW); // into the first child
    assert_eq!(app.selected(), Some("tester"));
}

#[test]
fn moving_stops_at_the_ends() {
    let mut app = app_with(family());
    press(&mut app, "kkk");
    assert_eq!(app.selected(), Some("lead"));
    press(&mut app, "jjjjjj");
    assert_eq!(app.selected(), Some("reviewer"));
    press(&mut app, "g");
    assert_eq!(app.selected(), Some("lead"));
    press(&mut app, "G");
    assert_eq!(app.selected(), Some("reviewer"));
}

#[test]
fn attach_needs_a_pane() {
    let mut agents = family();
    agents[0].pane = None;
    agents[0].state = LifeState::Queued;
    let mut app = app_with(agents);
    let fx = app.handle_key(code(KeyCode::Enter), NOW);
    assert!(!fx.iter().any(|e| matches!(e, Effect::Attach { .. })));
    assert!(app.footer().unwrap().text.contains("lead has no tmux pane"));
    press(&mut app, "j");
    let fx = app.handle_key(code(KeyCode::Enter), NOW);
    assert!(fx.contains(&Effect::Attach {
        server: "shoal-test".into(),
        pane: "%7".into(),
        agent: "builder".into()
    }));
}

#[test]
fn attaching_to_an_ended_agent_shows_its_final_screen_instead_of_tmux() {
    let mut agents = family();
    // Its pane and server are still on record, but the attempt is over.
    agents[1] = agents[1]
        .clone()
        .with_ended(LifeState::Killed, None, NOW - 60_000);
    let mut app = app_with(agents);
    press(&mut app, "j");
    assert_eq!(app.selected(), Some("builder"));
    let fx = app.handle_key(code(KeyCode::Enter), NOW);
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::Attach { .. })),
        "{fx:?}"
    );
    assert!(app.zoomed(), "the final screen takes the whole view");
    let text = &app.footer().unwrap().text;
    assert!(
        text.contains("builder has ended (killed · 1m ago)"),
        "{text}"
    );
    assert!(
        text.contains("r retries it, z gives the tree back"),
        "{text}"
    );
}

#[test]
fn pause_toggles_from_the_agents_state() {
    let mut agents = family();
    agents[1].paused = true;
    let mut app = app_with(agents);
    let fx = press(&mut app, "p");
    assert_eq!(
        sent(&fx),
        [Command::Pause {
            agent: "lead".into(),
            paused: true
        }]
    );
    select(&mut app, "builder");
    let fx = press(&mut app, "prn");
    assert_eq!(
        sent(&fx),
        [
            Command::Pause {
                agent: "builder".into(),
                paused: false
            },
            Command::Retry {
                agent: "builder".into()
            },
            Command::Nudge {
                agent: "builder".into()
            },
        ]
    );
}

#[test]
fn quit_and_unknown_keys() {
    let mut app = app_with(family());
    assert!(press(&mut app, "q").contains(&Effect::Quit));
    let fx = press(&mut app, "Z");
    assert!(!fx.contains(&Effect::Quit));
    assert!(app
        .footer()
        .unwrap()
        .text
        .contains("Z does nothing here; press ? for the keys"));
}

#[test]
fn overlays_close_on_any_key() {
    let mut app = app_with(family());
    press(&mut app, "?");
    assert_eq!(app.mode(), &Mode::Help);
    press(&mut app, "jjk"); // movement scrolls a long help instead of closing it
    assert_eq!((app.mode(), app.help_scroll()), (&Mode::Help, 1));
    press(&mut app, "?");
    assert_eq!(app.mode(), &Mode::Normal);
    press(&mut app, "e");
    assert_eq!(
        app.mode(),
        &Mode::Explain {
            agent: "lead".into()
        }
    );
    press(&mut app, "x");
    assert_eq!(app.mode(), &Mode::Normal);
}

#[test]
fn outcomes_reach_the_footer() {
    let mut app = app_with(family());
    app.on_outcome(CommandOutcome {
        command: Command::Kill {
            agent: "builder".into(),
        },
        result: Err("pane %7 is already dead".into()),
    });
    let f = app.footer().unwrap();
    assert!(
        f.is_error && f.text == "kill builder failed: pane %7 is already dead",
        "{f:?}"
    );
}

#[test]
fn events_are_kept_per_agent_without_duplicates() {
    let mut app = app_with(family());
    let ev = |id: i64, who: &str| EventView {
        id,
        ts_ms: NOW,
        agent: Some(who.into()),
        attempt: Some(1),
        kind: "tier".into(),
        tier: None,
        detail: format!("event {id}"),
        rule: None,
        has_capture: false,
        level: crate::fleet::Level::Info,
        payload: None,
    };
    for id in 1..=(EVENTS_PER_AGENT as i64 + 10) {
        app.on_event(ev(id, "builder"));
    }
    app.on_event(ev(5, "builder")); // history overlapping the live stream
    app.on_event(ev(1, "tester"));
    let ids: Vec<i64> = app.events_for("builder").map(|e| e.id).collect();
    assert_eq!(ids.len(), EVENTS_PER_AGENT);
    assert_eq!(
        (ids[0], *ids.last().unwrap()),
        (11, EVENTS_PER_AGENT as i64 + 10)
    );
    assert_eq!(app.events_for("tester").count(), 1);
}

#[test]
fn a_new_warn_is_said_in_the_footer() {
    let mut app = app_with(family());
    assert!(app.footer().is_none());
    let mut warned = family();
    warned[1].tier = crate::fleet::Tier::Warn;
    app.on_snapshot(snapshot(warned.clone()));
    assert!(app
        .footer()
        .unwrap()
        .text
        .contains("builder stalled to the warn tier"));
}

#[test]
fn mouse_click_selects_the_row_under_it() {
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let mut app = app_with(family());
    let regions = super::layout::regions(ratatui::layout::Rect::new(0, 0, 120, 30));
    app.set_regions(regions);
    let click = |row: u16| MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: regions.tree.x + 5,
        row,
        modifiers: KeyModifiers::NONE,
    };
    // Border, then column titles, then the first agent.
    app.handle_mouse(click(regions.tree.y + 2 + 2));
    assert_eq!(app.selected(), Some("tester"));
    app.handle_mouse(click(regions.tree.y + 1)); // the column titles: nothing
    assert_eq!(app.selected(), Some("tester"));
}

#[test]
fn pane_scroll_without_a_pane_is_bounded_by_the_capture() {
    let mut agents = family();
    // No pane to read a scrollback from (it ended): the last screen is all there is.
    agents[0].pane = None;
    agents[0].capture = (0..100)
        .map(|i| format!("line {i}\n"))
        .collect::<String>()
        .into();
    let mut app = app_with(agents);
    app.set_regions(super::layout::regions(ratatui::layout::Rect::new(
        0, 0, 120, 30,
    )));
    let rows = app.regions.pane_rows();
    for _ in 0..20 {
        app.handle_key(code(KeyCode::PageUp), NOW);
    }
    assert_eq!(app.scroll(), 100 - rows);
    app.handle_key(code(KeyCode::PageDown), NOW);
    assert_eq!(app.scroll(), 100 - rows - (rows - 1));
    assert_eq!(app.take_pane_request(), None);
    press(&mut app, "j"); // another agent follows its tail again
    assert_eq!(app.scroll(), 0);
}
