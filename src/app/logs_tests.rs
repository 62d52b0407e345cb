//! The log browser's state: what each key asks of the store and how answers show.

use super::*;
use crate::app::{App, Effect, Mode};
use crate::fleet::sample::{family, snapshot, NOW};
use crate::logs::{Level, LogEntry, LogPage, Source};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn app() -> App {
    let mut app = App::default();
    app.set_utc_offset(FixedOffset::east_opt(0).unwrap());
    app.on_snapshot(snapshot(family()));
    app
}

fn press(app: &mut App, keys: &str) -> Vec<Effect> {
    keys.chars()
        .flat_map(|c| app.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE), NOW))
        .collect()
}

fn code(app: &mut App, c: KeyCode) -> Vec<Effect> {
    app.handle_key(KeyEvent::new(c, KeyModifiers::NONE), NOW)
}

fn ctrl(app: &mut App, c: char) -> Vec<Effect> {
    app.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL), NOW)
}

fn page_query(app: &mut App) -> LogQuery {
    match app.take_log_request() {
        Some(LogRequest::Page(q)) => q,
        other => panic!("expected a page request, got {other:?}"),
    }
}

fn entry(id: i64, agent: &str, source: Source, capture: Option<i64>) -> LogEntry {
    LogEntry {
        id,
        ts_ms: NOW - id,
        agent: Some(agent.into()),
        attempt: Some(1),
        level: Level::Info,
        source,
        message: format!("entry {id}"),
        capture_id: capture,
        event_id: None,
        rule: capture.map(|_| "rule `x` matched".to_string()),
    }
}

fn reply(app: &mut App, entries: Vec<LogEntry>, next_before: Option<i64>) {
    app.on_log_reply(LogReply::Page(Ok(LogPage {
        count: entries.len(),
        total_count: 1000,
        entries,
        notice: None,
        next_before,
    })));
}

#[test]
fn l_opens_the_browser_on_the_selected_agent() {
    let mut a = app();
    press(&mut a, "l");
    let v = a.logs_view().expect("open");
    assert_eq!(v.chips(), ["agent:lead"]);
    assert_eq!(v.line(), "agent:lead");
    let q = page_query(&mut a);
    assert_eq!(q.agents, ["lead"]);
    assert_eq!((q.limit, q.before_id, q.since_ms), (PAGE_SIZE, None, None));
    assert!(a.take_log_request().is_none(), "asked once");
    // Esc goes back to the fleet.
    code(&mut a, KeyCode::Esc);
    assert!(a.logs_view().is_none());
    assert_eq!(a.mode(), &Mode::Normal);
}

#[test]
fn the_query_line_sets_keywords_and_filters() {
    let mut a = app();
    press(&mut a, "l");
    page_query(&mut a);
    press(&mut a, "/");
    ctrl(&mut a, 'u');
    // Keys typed into the line are text, not browser keys (q would close it).
    press(&mut a, "tree:builder level:warn quota");
    assert!(a.logs_view().unwrap().editing());
    code(&mut a, KeyCode::Enter);
    let q = page_query(&mut a);
    assert_eq!(q.agents, ["builder", "tester"]);
    assert_eq!(q.min_level, Level::Warn);
    assert_eq!(q.text.as_deref(), Some("quota"));
    assert_eq!(
        a.logs_view().unwrap().chips(),
        ["tree:builder", "level≥warn", "\"quota\""]
    );
    // An unknown agent is explained and nothing is asked.
    press(&mut a, "/");
    ctrl(&mut a, 'u');
    press(&mut a, "agent:ghost");
    code(&mut a, KeyCode::Enter);
    assert!(a.take_log_request().is_none());
    let err = a.logs_view().unwrap().error().unwrap().to_string();
    assert!(err.starts_with("no agent named \"ghost\""), "{err}");
    // A bad level is refused while typing; Esc restores the line in force.
    press(&mut a, "/ level:loud");
    code(&mut a, KeyCode::Enter);
    assert!(a.logs_view().unwrap().editing());
    assert!(a.logs_view().unwrap().error().unwrap().contains("\"loud\""));
    code(&mut a, KeyCode::Esc);
    assert_eq!(a.logs_view().unwrap().line(), "agent:ghost");
}

#[test]
fn number_keys_pick_a_time_window() {
    let mut a = app();
    press(&mut a, "l");
    page_query(&mut a);
    press(&mut a, "3");
    assert_eq!(page_query(&mut a).since_ms, Some(NOW - 15 * 60_000));
    assert!(a
        .logs_view()
        .unwrap()
        .chips()
        .contains(&"last 15m".to_string()));
    press(&mut a, "6");
    assert_eq!(page_query(&mut a).since_ms, Some(NOW - 86_400_000));
    press(&mut a, "0");
    assert_eq!(page_query(&mut a).since_ms, None);
}

#[test]
fn pages_go_by_cursor_and_back() {
    let mut a = app();
    press(&mut a, "l");
    page_query(&mut a);
    reply(
        &mut a,
        vec![entry(50, "lead", Source::Output, None)],
        Some(41),
    );
    press(&mut a, "n");
    assert_eq!(page_query(&mut a).before_id, Some(41));
    assert_eq!(a.logs_view().unwrap().page_number(), 2);
    reply(&mut a, vec![entry(40, "lead", Source::Output, None)], None);
    press(&mut a, "n");
    assert!(a.take_log_request().is_none());
    assert_eq!(
        a.logs_view().unwrap().message(),
        Some("this is the oldest page")
    );
    press(&mut a, "p");
    assert_eq!(page_query(&mut a).before_id, None);
    press(&mut a, "p");
    assert_eq!(
        a.logs_view().unwrap().message(),
        Some("this is the newest page")
    );
}

#[test]
fn enter_opens_the_capture_beside_the_rule() {
    let mut a = app();
    press(&mut a, "l");
    page_query(&mut a);
    reply(
        &mut a,
        vec![
            entry(9, "lead", Source::Output, None),
            entry(8, "lead", Source::Event, Some(77)),
        ],
        None,
    );
    code(&mut a, KeyCode::Enter);
    assert!(a.take_log_request().is_none());
    assert!(a
        .logs_view()
        .unwrap()
        .message()
        .unwrap()
        .starts_with("no screen was kept"));
    press(&mut a, "j");
    code(&mut a, KeyCode::Enter);
    assert_eq!(a.take_log_request(), Some(LogRequest::Capture(77)));
    a.on_log_reply(LogReply::Capture(77, Ok(Some("the red screen".into()))));
    let d = a.logs_view().unwrap().detail().expect("detail open");
    assert_eq!(d.capture.as_deref(), Some("the red screen"));
    assert_eq!(d.entry.rule.as_deref(), Some("rule `x` matched"));
    // Any key but g closes it again.
    code(&mut a, KeyCode::Esc);
    assert!(a.logs_view().unwrap().detail().is_none());
}

#[test]
fn g_jumps_to_the_agent_in_the_tree() {
    let mut a = app();
    // Fold builder's parent and hide it with a tree filter: g still finds it.
    code(&mut a, KeyCode::Left);
    press(&mut a, "/reviewer");
    code(&mut a, KeyCode::Enter);
    press(&mut a, "l");
    page_query(&mut a);
    reply(&mut a, vec![entry(3, "tester", Source::Event, None)], None);
    press(&mut a, "g");
    assert!(a.logs_view().is_none());
    assert_eq!(a.selected(), Some("tester"));
    assert!(a.selected_row().is_some(), "visible in the tree");
}

#[test]
fn follow_refreshes_with_every_snapshot_until_paging() {
    let mut a = app();
    a.open_logs(None, NOW);
    page_query(&mut a);
    press(&mut a, "f");
    assert!(
        !a.logs_view().unwrap().following(),
        "no agent to follow yet"
    );
    reply(
        &mut a,
        vec![entry(5, "builder", Source::Output, None)],
        Some(4),
    );
    press(&mut a, "f");
    let v = a.logs_view().unwrap();
    assert!(v.following());
    assert_eq!(v.chips(), ["agent:builder"]);
    assert_eq!(page_query(&mut a).agents, ["builder"]);
    a.on_snapshot(snapshot(family()));
    assert_eq!(page_query(&mut a).before_id, None, "the newest page again");
    press(&mut a, "n");
    page_query(&mut a);
    assert!(!a.logs_view().unwrap().following());
    a.on_snapshot(snapshot(family()));
    assert!(a.take_log_request().is_none());
}

#[test]
fn notices_and_errors_from_the_store_are_shown() {
    let mut a = app();
    press(&mut a, "l");
    page_query(&mut a);
    a.on_log_reply(LogReply::Page(Ok(LogPage {
        notice: Some("\"a(\" is not valid search syntax".into()),
        ..LogPage::default()
    })));
    assert_eq!(
        a.logs_view().unwrap().message(),
        Some("\"a(\" is not valid search syntax")
    );
    a.on_log_reply(LogReply::Page(Err("the store is locked".into())));
    assert_eq!(a.logs_view().unwrap().error(), Some("the store is locked"));
    assert_eq!(ctrl(&mut a, 'c'), vec![Effect::Quit]);
}

#[test]
fn the_browser_says_when_a_search_is_running() {
    let mut a = app();
    press(&mut a, "l");
    assert!(a.logs_view().unwrap().searching(), "asked, not answered");
    page_query(&mut a);
    reply(&mut a, vec![entry(1, "lead", Source::Output, None)], None);
    assert!(!a.logs_view().unwrap().searching());
    // A refresh keeps the old page on screen while the new one is searched.
    press(&mut a, "r");
    let v = a.logs_view().unwrap();
    assert!(v.searching() && v.page().count == 1);
    page_query(&mut a);
    a.on_log_reply(LogReply::Page(Err("the store is locked".into())));
    assert!(!a.logs_view().unwrap().searching(), "a failure ends it too");
}

#[test]
fn a_capture_asked_for_does_not_replace_a_search_not_yet_taken() {
    let mut a = app();
    press(&mut a, "l");
    page_query(&mut a);
    reply(
        &mut a,
        vec![entry(1, "lead", Source::Event, Some(77))],
        None,
    );
    // A refresh and Enter in one burst: both requests reach the host.
    press(&mut a, "r");
    code(&mut a, KeyCode::Enter);
    assert!(matches!(a.take_log_request(), Some(LogRequest::Page(_))));
    assert_eq!(a.take_log_request(), Some(LogRequest::Capture(77)));
    assert!(a.take_log_request().is_none());
}

#[test]
fn follow_puts_the_newest_at_the_bottom_up_pauses_and_end_resumes() {
    let mut a = app();
    press(&mut a, "l"); // lead's log
    page_query(&mut a);
    let page = |ids: &[i64]| {
        ids.iter()
            .map(|&i| entry(i, "lead", Source::Output, None))
            .collect()
    };
    reply(&mut a, page(&[9, 8, 7]), None);
    let v = a.logs_view().unwrap();
    assert!(!v.tail());
    let ids = |a: &App| -> Vec<i64> {
        a.logs_view()
            .unwrap()
            .shown()
            .iter()
            .map(|e| e.id)
            .collect()
    };
    assert_eq!(ids(&a), [9, 8, 7], "a search shows the newest first");

    press(&mut a, "f");
    assert_eq!(page_query(&mut a).before_id, None);
    reply(&mut a, page(&[10, 9, 8]), None);
    let v = a.logs_view().unwrap();
    assert!(v.following() && v.tail());
    assert_eq!(ids(&a), [8, 9, 10], "newest at the bottom");
    assert_eq!(v.shown_selected(), 2, "the selection sits on the newest");
    // A new snapshot asks again; the answer's newest is selected: the view scrolls on.
    a.on_snapshot(snapshot(family()));
    page_query(&mut a);
    reply(&mut a, page(&[11, 10, 9]), None);
    assert_eq!(ids(&a), [9, 10, 11]);
    assert_eq!(a.logs_view().unwrap().selected_entry().unwrap().id, 11);

    // Up pauses: no more asking, the lines hold still.
    code(&mut a, KeyCode::Up);
    let v = a.logs_view().unwrap();
    assert!(
        !v.following() && v.tail(),
        "paused, still newest at the bottom"
    );
    assert_eq!(v.selected_entry().unwrap().id, 10);
    assert_eq!(
        v.message(),
        Some("paused: new lines wait; end resumes following")
    );
    a.on_snapshot(snapshot(family()));
    assert!(a.take_log_request().is_none());

    // End resumes from the newest.
    code(&mut a, KeyCode::End);
    assert!(a.logs_view().unwrap().following());
    assert_eq!(page_query(&mut a).before_id, None);
    reply(&mut a, page(&[12, 11, 10]), None);
    assert_eq!(a.logs_view().unwrap().selected_entry().unwrap().id, 12);

    // f stops following and puts the newest on top again.
    press(&mut a, "f");
    let v = a.logs_view().unwrap();
    assert!(!v.following() && !v.tail());
    assert_eq!(ids(&a), [12, 11, 10]);
}

#[test]
fn w_toggles_wrapping_long_lines() {
    let mut a = app();
    press(&mut a, "l");
    page_query(&mut a);
    assert!(!a.logs_view().unwrap().wrap());
    press(&mut a, "w");
    assert!(a.logs_view().unwrap().wrap());
    assert_eq!(
        a.logs_view().unwrap().message(),
        Some("long lines wrap; w again: one line per entry")
    );
    press(&mut a, "w");
    assert!(!a.logs_view().unwrap().wrap());
}

#[test]
fn every_key_the_browser_help_names_does_something() {
    for k in LOG_KEYS {
        let names: Vec<&str> = match k.keys {
            "/" => vec!["/"],
            keys => keys.split('/').collect(),
        };
        for name in names {
            // `1-6` is a range: its first key stands for it.
            let name = name.split('-').next().unwrap_or(name);
            let key: crate::app::KeyBinding = name.parse().unwrap();
            let mut a = app();
            press(&mut a, "l");
            page_query(&mut a);
            reply(
                &mut a,
                vec![
                    entry(9, "lead", Source::Output, None),
                    entry(8, "lead", Source::Event, Some(3)),
                ],
                Some(7),
            );
            a.handle_key(KeyEvent::new(key.code, key.modifiers), NOW);
            let said = a.logs_view().and_then(|v| v.message().map(str::to_string));
            assert!(
                !said.as_deref().unwrap_or("").contains("does nothing"),
                "{name} ({}) does nothing: {said:?}",
                k.what
            );
        }
    }
}
