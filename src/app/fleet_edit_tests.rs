use super::*;
use crate::fleet::sample::{family, snapshot, NOW};
use crate::fleet::{Command, CommandOutcome};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn code(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        app.handle_key(key(c), NOW);
    }
}

fn form(app: &App) -> &AddForm {
    match app.mode() {
        Mode::AddAgent(f) => f,
        other => panic!("no form: {other:?}"),
    }
}

#[test]
fn n_opens_a_form_whose_fields_make_the_draft() {
    let mut app = App::default();
    app.on_snapshot(snapshot(family()));
    app.handle_key(key('N'), NOW);
    typed(&mut app, "w2");
    app.handle_key(code(KeyCode::Tab), NOW);
    typed(&mut app, "shell");
    app.handle_key(code(KeyCode::Tab), NOW);
    typed(&mut app, "bash -l");
    // Down twice: past cwd to the task.
    app.handle_key(code(KeyCode::Down), NOW);
    app.handle_key(code(KeyCode::Down), NOW);
    app.handle_paste("say hi");
    app.handle_key(code(KeyCode::Tab), NOW);
    typed(&mut app, "yes");
    assert_eq!(form(&app).focused(), Field::Worktree);
    let fx = app.handle_key(code(KeyCode::Enter), NOW);
    let draft = fx
        .iter()
        .find_map(|e| match e {
            Effect::AddAgent(d) => Some(d.clone()),
            _ => None,
        })
        .expect("enter submits");
    assert_eq!(
        draft,
        AgentDraft {
            name: "w2".into(),
            kind: Some("shell".into()),
            cmd: "bash -l".into(),
            cwd: None,
            task: Some("say hi".into()),
            parent: None,
            worktree: Some(WorktreeChoice::AgentBranch),
        }
    );
    // The form stays until the host says how it went.
    assert!(matches!(app.mode(), Mode::AddAgent(_)));
}

#[test]
fn a_refused_draft_keeps_the_form_open_on_the_field_at_fault() {
    let mut app = App::default();
    app.on_snapshot(snapshot(family()));
    app.handle_key(key('N'), NOW);
    typed(&mut app, "w2");
    app.handle_key(code(KeyCode::Enter), NOW);
    app.on_added(
        "w2",
        Err(DraftError {
            field: Some(Field::Kind),
            message: "unknown kind \"cluade\"".into(),
            hint: "did you mean `claude`?".into(),
        }),
    );
    let f = form(&app);
    assert_eq!(f.focused(), Field::Kind);
    let (at, text) = f.error.clone().unwrap();
    assert_eq!(at, Some(Field::Kind));
    assert!(text.contains("did you mean `claude`?"), "{text}");
    assert_eq!(f.values[0], "w2", "what was typed stays");
    app.on_added("w2", Ok("added w2 to shoal.toml".into()));
    assert_eq!(app.mode(), &Mode::Normal);
    assert!(app.footer().unwrap().text.contains("added w2"));
    // Its own addition is not announced as a change of the fleet file.
    app.set_fleet_change(FleetChange {
        added: vec!["w2".into()],
        removed: vec![],
    });
    assert_eq!(app.fleet_change(), None);
    // Esc drops a form.
    app.handle_key(key('N'), NOW);
    app.handle_key(code(KeyCode::Esc), NOW);
    assert_eq!(app.mode(), &Mode::Normal);
    assert!(app.footer().unwrap().text.contains("nothing added"));
}

use super::super::FleetChange;

#[test]
fn d_asks_then_the_removal_waits_for_the_kill_to_end_the_attempt() {
    let mut app = App::default();
    app.on_snapshot(snapshot(family()));
    app.select(Some("builder".into()));
    app.handle_key(key('D'), NOW);
    assert!(matches!(
        app.mode(),
        Mode::Remove { agent, live: true, .. } if agent == "builder"
    ));
    // A stray key keeps asking; n keeps the agent.
    assert!(app.handle_key(key('x'), NOW).is_empty());
    app.handle_key(key('n'), NOW);
    assert_eq!(app.mode(), &Mode::Normal);
    app.handle_key(key('D'), NOW);
    let fx = app.handle_key(key('y'), NOW);
    assert!(
        fx.contains(&Effect::RemoveAgent("builder".into())),
        "{fx:?}"
    );
    // The host killed it: nothing is ready while it runs.
    app.set_clock(NOW);
    app.await_end("builder");
    assert!(app.take_ready_removals(NOW + 1000).is_empty());
    // Quitting now would drop the removal: the first q says so.
    assert_eq!(app.handle_key(key('q'), NOW), vec![Effect::Redraw]);
    assert!(app.footer().unwrap().text.contains("quit again"));
    let mut agents = family();
    agents[1] = agents[1]
        .clone()
        .with_ended(LifeState::Killed, None, NOW + 1500);
    app.on_snapshot(snapshot(agents));
    assert_eq!(app.take_ready_removals(NOW + 2000), ["builder"]);
    assert!(app.take_ready_removals(NOW + 2500).is_empty(), "once");
    app.on_removed(
        "builder",
        Ok(vec!["builder: removed from shoal.toml".into()]),
    );
    assert!(app
        .footer()
        .unwrap()
        .text
        .contains("removed from shoal.toml"));
    assert_eq!(
        app.handle_key(key('q'), NOW),
        vec![Effect::Redraw, Effect::Quit]
    );
}

#[test]
fn a_removal_whose_kill_fails_or_never_ends_stops_and_says_so() {
    let mut app = App::default();
    app.on_snapshot(snapshot(family()));
    app.set_clock(NOW);
    app.await_end("builder");
    app.on_outcome(CommandOutcome {
        command: Command::Kill {
            agent: "builder".into(),
        },
        result: Err("adopted pane".into()),
    });
    assert!(app
        .footer()
        .unwrap()
        .text
        .contains("stays in the fleet file"));
    assert!(app.take_ready_removals(NOW + 1).is_empty());
    app.await_end("builder");
    assert!(app.take_ready_removals(NOW + REMOVE_WAIT_MS + 1).is_empty());
    let f = app.footer().unwrap();
    assert!(
        f.is_error && f.text.contains("still running 30s after its kill"),
        "{}",
        f.text
    );
}

#[test]
fn v_opens_the_diff_of_the_agents_directory_and_scrolls_it() {
    let mut agents = family();
    agents[0].lineage.cwd = Some("/work/repo".into());
    let mut app = App::default();
    app.on_snapshot(snapshot(agents));
    app.select(Some("builder".into()));
    app.handle_key(key('v'), NOW);
    assert!(app
        .footer()
        .unwrap()
        .text
        .contains("no directory on record"));
    app.select(Some("lead".into()));
    let fx = app.handle_key(key('v'), NOW);
    assert!(fx.contains(&Effect::Diff {
        agent: "lead".into(),
        dir: "/work/repo".into()
    }));
    let text: String = (0..100).map(|i| format!("+line {i}\n")).collect();
    app.on_diff("someone-else", Ok(Some("x".into())));
    assert_eq!(
        app.diff_view().unwrap().lines,
        None,
        "another agent's answer is dropped"
    );
    app.on_diff("lead", Ok(Some(text)));
    app.handle_key(key('j'), NOW);
    app.handle_key(key('j'), NOW);
    assert_eq!(app.diff_view().unwrap().scroll, 2);
    app.handle_key(key('G'), NOW);
    assert_eq!(app.diff_view().unwrap().scroll, 99);
    // r asks again; v closes.
    let fx = app.handle_key(key('r'), NOW);
    assert!(fx.iter().any(|e| matches!(e, Effect::Diff { .. })));
    app.handle_key(key('v'), NOW);
    assert_eq!(app.diff_view(), None);
    app.handle_key(key('v'), NOW);
    app.on_diff("lead", Ok(None));
    let lines = app.diff_view().unwrap().lines.clone().unwrap();
    assert!(lines.unwrap_err().contains("not inside a git repository"));
}
