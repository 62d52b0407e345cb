//! The host's side of `N`, `D` and `v`: fleet-file edits through the command line's
//! editor (a trait here, so tests drive the console without a fleet file), and diffs
//! computed on a thread of their own, never per frame.

use super::wake::Bell;
use crate::app::{App, Effect};
use crate::fleet::draft::{AgentDraft, DraftError};
use crate::fleet::{Command, FleetSnapshot, LifeState};
use std::sync::mpsc;

/// Edits of the fleet file the console asks for.
pub trait FleetEdits {
    /// Check the draft, write its block and record it; the supervisor starts it.
    fn add(&mut self, draft: &AgentDraft) -> Result<String, DraftError>;
    /// Whether the agent ran in this fleet before (removed, now added again): a retry,
    /// not a first start, runs it.
    fn ran_before(&mut self, name: &str) -> bool;
    /// Whether the fleet file declares the agent.
    fn declares(&mut self, name: &str) -> Result<bool, String>;
    /// Take an ended agent out of the file (its worktree deleted unless it has
    /// uncommitted changes); what was done, a line each.
    fn remove(&mut self, name: &str) -> Result<Vec<String>, String>;
}

/// A diff's answer: the agent, and its diff (`None`: not a git repository).
type DiffReply = (String, Result<Option<String>, String>);

/// The console's edits and diffs.
pub(crate) struct Edits {
    editor: Option<Box<dyn FleetEdits>>,
    bell: Bell,
    tx: mpsc::Sender<DiffReply>,
    rx: mpsc::Receiver<DiffReply>,
}

/// What the host must send the supervisor for an edit.
pub(crate) enum Then {
    /// Nothing more.
    Done,
    /// This command: the kill a removal waits for, or the retry that starts an agent
    /// added again.
    Send(Command),
}

impl Edits {
    pub(crate) fn new(editor: Option<Box<dyn FleetEdits>>, bell: Bell) -> Edits {
        let (tx, rx) = mpsc::channel();
        Edits {
            editor,
            bell,
            tx,
            rx,
        }
    }

    fn editor(&mut self, app: &mut App) -> Option<&mut Box<dyn FleetEdits>> {
        if self.editor.is_none() {
            app.set_message(
                "this console does not follow a fleet file, so it cannot edit one; use `shoal add` / `shoal remove -f FILE`".into(),
                true,
            );
        }
        self.editor.as_mut()
    }

    /// Carry out an edit effect; returns what must go to the supervisor.
    pub(crate) fn apply(&mut self, effect: Effect, app: &mut App, shown: &FleetSnapshot) -> Then {
        match effect {
            Effect::AddAgent(draft) => {
                if let Some(ed) = self.editor(app) {
                    let r = ed.add(&draft);
                    let again = r.is_ok() && ed.ran_before(&draft.name);
                    app.on_added(&draft.name, r);
                    if again {
                        return Then::Send(Command::Retry { agent: draft.name });
                    }
                }
            }
            Effect::RemoveAgent(name) => return self.remove(&name, app, shown),
            Effect::Diff { agent, dir } => self.diff(agent, dir),
            _ => {}
        }
        Then::Done
    }

    /// End the agent first when it runs (the file is edited once it has ended, see
    /// [`Edits::finish_removals`]); an agent the file does not declare is left alone.
    fn remove(&mut self, name: &str, app: &mut App, shown: &FleetSnapshot) -> Then {
        let Some(ed) = self.editor(app) else {
            return Then::Done;
        };
        match ed.declares(name) {
            Ok(true) => {}
            Ok(false) => {
                app.on_removed(name, Err("it is not declared in the fleet file (spawned or adopted agents have no block there); K kills it".into()));
                return Then::Done;
            }
            Err(e) => {
                app.on_removed(name, Err(e));
                return Then::Done;
            }
        }
        let live = shown
            .agent(name)
            .is_some_and(|a| matches!(a.state, LifeState::Starting | LifeState::Running));
        if live {
            app.await_end(name);
            return Then::Send(Command::Kill {
                agent: name.to_string(),
            });
        }
        let r = ed.remove(name);
        app.on_removed(name, r);
        Then::Done
    }

    /// Edit the file for removals whose agent has ended since.
    pub(crate) fn finish_removals(&mut self, app: &mut App, now_ms: i64) -> bool {
        let ready = app.take_ready_removals(now_ms);
        let any = !ready.is_empty();
        for name in ready {
            if let Some(ed) = self.editor.as_mut() {
                let r = ed.remove(&name);
                app.on_removed(&name, r);
            }
        }
        any
    }

    fn diff(&mut self, agent: String, dir: String) {
        let who = agent.clone();
        let tx = self.tx.clone();
        let bell = self.bell.clone();
        let spawned = std::thread::Builder::new()
            .name("shoal-console-diff".into())
            .spawn(move || {
                let r =
                    crate::worktree::diff(std::path::Path::new(&dir)).map_err(|e| e.to_string());
                let _ = tx.send((agent, r));
                bell.ring();
            });
        if let Err(e) = spawned {
            let _ = self
                .tx
                .send((who, Err(format!("cannot start the diff: {e}"))));
        }
    }

    /// Diffs that arrived; true if any did.
    pub(crate) fn take_diffs(&mut self, app: &mut App) -> bool {
        let mut any = false;
        while let Ok((agent, r)) = self.rx.try_recv() {
            app.on_diff(&agent, r);
            any = true;
        }
        any
    }
}
