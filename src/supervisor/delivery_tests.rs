//! Confirmed delivery decided on the real CLIs' recorded screens: the composer shows the
//! text before Enter, an Enter the CLI dropped is pressed once more, and a CLI that never
//! takes the text is a failure. Pure: recorded screens in, acts out.

use super::delivery::{Act, Delivery, Readback, SHOW_WAIT_MS, TAKE_WAIT_MS};
use super::detector::Detector;
use crate::profile::Registry;

const CLIS: [&str; 4] = ["claude", "codex", "gemini", "aider"];
const TASK: &str = "Create a marker file in this directory";

fn screen(kind: &str, state: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/screens/{kind}/{state}.ansi",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Run a delivery of `text` over `screens`, one per read-back at `at` ms; returns the acts.
fn run(kind: &str, text: &str, screens: &[(&str, i64)]) -> Vec<Act> {
    let reg = Registry::builtin();
    assert!(reg.reads_composer(kind), "{kind}");
    let mut d = Delivery::new();
    let mut acts = vec![d.step(Readback::Unreadable, 0)];
    for (state, at) in screens {
        let s = screen(kind, state);
        let seen = if reg.is_torn(kind, &s) {
            Readback::Unreadable
        } else {
            match reg.composer_holds(kind, &s, text) {
                Some(holds) => Readback::Composer(holds),
                None => Readback::NoComposer,
            }
        };
        let act = d.step(seen, *at);
        let end = matches!(act, Act::Done | Act::Fail(_));
        acts.push(act);
        if end {
            break;
        }
    }
    acts
}

#[test]
fn every_cli_shows_the_typed_task_then_takes_it_on_enter() {
    for kind in CLIS {
        let acts = run(
            kind,
            TASK,
            &[
                ("startup_idle", 50),
                ("composer_typed", 200),
                ("composer_typed", 300),
                ("working", 600),
            ],
        );
        assert_eq!(
            acts,
            vec![Act::Paste, Act::Wait, Act::Enter, Act::Wait, Act::Done],
            "{kind}"
        );
    }
}

#[test]
fn an_enter_the_cli_dropped_is_pressed_once_more() {
    // Gemini CLI kept the line in its composer when Enter came right behind it.
    let text = "Say hello once more please";
    let late = 100 + TAKE_WAIT_MS;
    let acts = run(
        "gemini",
        text,
        &[
            ("typed_enter_back_to_back", 100),
            ("typed_enter_back_to_back", 100 + TAKE_WAIT_MS / 2),
            ("typed_enter_back_to_back", late),
            ("working", late + 300),
        ],
    );
    assert_eq!(
        acts,
        vec![Act::Paste, Act::Enter, Act::Wait, Act::Enter, Act::Done]
    );
}

#[test]
fn a_cli_that_keeps_the_text_after_two_enters_is_a_failure() {
    let text = "Say hello once more please";
    let acts = run(
        "gemini",
        text,
        &[
            ("typed_enter_back_to_back", 100),
            ("typed_enter_back_to_back", 100 + TAKE_WAIT_MS),
            ("typed_enter_back_to_back", 100 + 2 * TAKE_WAIT_MS),
        ],
    );
    assert_eq!(acts.len(), 4, "{acts:?}");
    assert_eq!(acts[1], Act::Enter);
    assert_eq!(acts[2], Act::Enter);
    let Act::Fail(why) = &acts[3] else {
        panic!("{acts:?}")
    };
    assert!(why.contains("still in the input box"), "{why}");
}

#[test]
fn text_that_never_shows_or_a_dialog_in_the_way_is_a_failure_with_no_enter() {
    for kind in CLIS {
        let acts = run(
            kind,
            TASK,
            &[("startup_idle", 100), ("startup_idle", SHOW_WAIT_MS)],
        );
        assert!(!acts.contains(&Act::Enter), "{kind}: {acts:?}");
        assert!(
            matches!(acts.last(), Some(Act::Fail(w)) if w.contains("never showed")),
            "{kind}: {acts:?}"
        );
        let acts = run(
            kind,
            TASK,
            &[("approval_prompt", 100), ("approval_prompt", SHOW_WAIT_MS)],
        );
        assert!(!acts.contains(&Act::Enter), "{kind}: {acts:?}");
        assert!(
            matches!(acts.last(), Some(Act::Fail(w)) if w.contains("no input box")),
            "{kind}: {acts:?}"
        );
    }
}

#[test]
fn readiness_for_the_task_is_read_from_the_screen() {
    let reg = Registry::builtin();
    for kind in CLIS {
        let ready = |state: &str| reg.ready_for_input(kind, &screen(kind, state));
        assert_eq!(ready("startup_idle"), Some(true), "{kind}");
        assert_eq!(ready("composer_typed"), Some(false), "{kind}");
        assert_eq!(ready("working"), Some(false), "{kind}");
        assert_eq!(ready("approval_prompt"), Some(false), "{kind}");
    }
    assert_eq!(
        reg.ready_for_input("shell", "$ "),
        None,
        "the shell profile cannot tell"
    );
}

#[test]
fn a_torn_frame_after_enter_is_not_taken_for_a_submitted_text() {
    // Gemini CLI redraws its whole frame: a capture caught mid-redraw shows no composer,
    // which is not proof that the text left it.
    let text = "Say hello once more please";
    let acts = run(
        "gemini",
        text,
        &[
            ("typed_enter_back_to_back", 100),
            ("torn_redraw", 200),
            ("typed_enter_back_to_back", 100 + TAKE_WAIT_MS),
            ("working", 300 + TAKE_WAIT_MS),
        ],
    );
    assert_eq!(
        acts,
        vec![Act::Paste, Act::Enter, Act::Wait, Act::Enter, Act::Done]
    );
}
