//! The console's fleet-file edits: `N` opens a form for a new agent, `D` removes the
//! selected one after asking (its attempt is killed first, the file is edited once it
//! has ended). The edits themselves are the host's; here is what the operator sees
//! and types, and what waits for what.

use super::{Action, App, Effect, Mode};
use crate::fleet::draft::{AgentDraft, DraftError, Field, WorktreeChoice};
use crate::fleet::{AgentView, LifeState};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// How long a removal waits for the killed attempt to end before it gives up.
pub const REMOVE_WAIT_MS: i64 = 30_000;
/// Longest value a form field takes.
const MAX_FIELD: usize = 4096;

/// The add form: one text per field, the field being typed in, and the last problem.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddForm {
    /// The text of each field, in [`Field::ALL`] order.
    pub values: [String; 6],
    /// Index of the field being typed in.
    pub focus: usize,
    /// Why the last submit was refused: the field at fault and what to do.
    pub error: Option<(Option<Field>, String)>,
}

impl AddForm {
    /// The field being typed in.
    pub fn focused(&self) -> Field {
        Field::ALL[self.focus.min(Field::ALL.len() - 1)]
    }

    fn value(&self, f: Field) -> Option<String> {
        let i = Field::ALL.iter().position(|x| *x == f).unwrap_or(0);
        Some(self.values[i].trim().to_string()).filter(|v| !v.is_empty())
    }

    /// The agent the form describes.
    pub fn draft(&self) -> AgentDraft {
        AgentDraft {
            name: self.value(Field::Name).unwrap_or_default(),
            kind: self.value(Field::Kind),
            cmd: self.value(Field::Command).unwrap_or_default(),
            cwd: self.value(Field::Cwd),
            task: self.value(Field::Task),
            parent: None,
            worktree: WorktreeChoice::from_field(&self.values[5]),
        }
    }
}

/// The diff of an agent's directory, as the `v` view shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffView {
    /// The agent.
    pub agent: String,
    /// Its directory.
    pub dir: String,
    /// The diff's lines once computed; the reason when it could not be.
    pub lines: Option<Result<Vec<String>, String>>,
    /// Lines scrolled down from the top.
    pub scroll: usize,
}

impl App {
    /// The diff view, when open.
    pub fn diff_view(&self) -> Option<&DiffView> {
        self.diff.as_ref()
    }

    /// Open the add form.
    pub(super) fn open_add_form(&mut self) {
        self.mode = Mode::AddAgent(Box::default());
    }

    pub(super) fn form_key(&mut self, key: KeyEvent, mut form: Box<AddForm>) -> Vec<Effect> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let n = Field::ALL.len();
        let text = &mut form.values[form.focus];
        match key.code {
            KeyCode::Esc => {
                self.set_info("nothing added".to_string());
                return vec![Effect::Redraw];
            }
            KeyCode::Char('c') if ctrl => {
                self.set_info("nothing added".to_string());
                return vec![Effect::Redraw];
            }
            KeyCode::Enter => {
                let draft = form.draft();
                form.error = None;
                self.mode = Mode::AddAgent(form);
                return vec![Effect::AddAgent(draft), Effect::Redraw];
            }
            KeyCode::Tab | KeyCode::Down => form.focus = (form.focus + 1) % n,
            KeyCode::BackTab | KeyCode::Up => form.focus = (form.focus + n - 1) % n,
            KeyCode::Char('u') if ctrl => text.clear(),
            KeyCode::Backspace => {
                text.pop();
            }
            KeyCode::Char(c)
                if !ctrl
                    && !key.modifiers.contains(KeyModifiers::ALT)
                    && text.chars().count() < MAX_FIELD =>
            {
                text.push(c);
            }
            _ => {}
        }
        self.mode = Mode::AddAgent(form);
        vec![Effect::Redraw]
    }

    /// Pasted text goes into the form's field; true when the form took it.
    pub(super) fn form_paste(&mut self, pasted: &str) -> bool {
        let Mode::AddAgent(form) = &mut self.mode else {
            return false;
        };
        let text = &mut form.values[form.focus];
        let room = MAX_FIELD.saturating_sub(text.chars().count());
        text.extend(pasted.chars().take(room));
        true
    }

    /// What became of a submitted form: closed on success, kept open on the field at
    /// fault otherwise.
    pub fn on_added(&mut self, name: &str, result: Result<String, DraftError>) {
        match result {
            Ok(done) => {
                if matches!(self.mode, Mode::AddAgent(_)) {
                    self.mode = Mode::Normal;
                }
                self.own_edits.insert(name.to_string());
                self.set_info(format!("{done}; starting it"));
            }
            Err(e) => {
                if let Mode::AddAgent(form) = &mut self.mode {
                    if let Some(i) = e
                        .field
                        .and_then(|f| Field::ALL.iter().position(|x| *x == f))
                    {
                        form.focus = i;
                    }
                    form.error = Some((e.field, e.to_string()));
                } else {
                    self.set_error(format!("add {name} failed: {e}"));
                }
            }
        }
    }

    /// `D` on an agent: ask first.
    pub(super) fn ask_remove(&mut self, a: &AgentView) {
        self.mode = Mode::Remove {
            agent: a.name.clone(),
            branch: a.lineage.worktree.clone(),
            live: matches!(a.state, LifeState::Starting | LifeState::Running),
        };
    }

    pub(super) fn remove_key(
        &mut self,
        key: KeyEvent,
        agent: String,
        branch: Option<String>,
        live: bool,
    ) -> Vec<Effect> {
        match key.code {
            KeyCode::Char('y' | 'Y') if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.set_info(format!("removing {agent}…"));
                vec![Effect::RemoveAgent(agent), Effect::Redraw]
            }
            KeyCode::Char('n' | 'N' | 'q') | KeyCode::Esc => {
                self.set_info(format!("{agent} not removed"));
                vec![Effect::Redraw]
            }
            _ => {
                // Keep asking: a mistyped key must not decide.
                self.mode = Mode::Remove {
                    agent,
                    branch,
                    live,
                };
                Vec::new()
            }
        }
    }

    /// The host sent the kill that ends `agent` before its removal: the file is edited
    /// once its attempt has ended.
    pub fn await_end(&mut self, agent: &str) {
        self.removing.retain(|(n, _)| n != agent);
        self.removing.push((agent.to_string(), self.clock_ms));
        self.set_info(format!(
            "killing {agent}; it leaves the fleet file once its attempt has ended"
        ));
    }

    /// Removals whose agent has ended (or left the fleet) since; ones that waited too
    /// long are given up, saying so.
    pub fn take_ready_removals(&mut self, now_ms: i64) -> Vec<String> {
        let mut ready = Vec::new();
        let mut gave_up = Vec::new();
        let latest = std::sync::Arc::clone(&self.latest);
        self.removing.retain(|(name, since)| {
            let ended = latest.agent(name).map_or(true, |a| a.state.is_ended());
            if ended {
                ready.push(name.clone());
                false
            } else if now_ms - since > REMOVE_WAIT_MS {
                gave_up.push(name.clone());
                false
            } else {
                true
            }
        });
        if self.removing.is_empty() {
            self.quit_warned = false;
        }
        for name in gave_up {
            self.set_error(format!(
                "{name} is still running {}s after its kill; it stays in the fleet file (`shoal remove {name}` tries again)",
                REMOVE_WAIT_MS / 1000
            ));
        }
        ready
    }

    /// Quitting while a removal waits for its kill would leave the agent in the file:
    /// the first quit says so, the second quits.
    pub(super) fn hold_quit(&mut self) -> bool {
        if self.removing.is_empty() || self.quit_warned {
            return false;
        }
        self.quit_warned = true;
        let names: Vec<&str> = self.removing.iter().map(|(n, _)| n.as_str()).collect();
        self.set_error(format!(
            "the removal of {} waits for its kill to end; quit again to leave anyway (it stays in the fleet file)",
            names.join(", ")
        ));
        true
    }

    /// A kill sent for a removal failed: the removal stops there.
    pub(super) fn removal_kill_failed(&mut self, agent: &str) -> bool {
        let before = self.removing.len();
        self.removing.retain(|(n, _)| n != agent);
        before != self.removing.len()
    }

    /// What became of a removal.
    pub fn on_removed(&mut self, agent: &str, result: Result<Vec<String>, String>) {
        match result {
            Ok(lines) => {
                self.own_edits.insert(agent.to_string());
                self.set_info(lines.join("; "));
            }
            Err(e) => self.set_error(format!("remove {agent}: {e}")),
        }
    }

    /// `v`: the diff of the agent's worktree, or of its directory.
    pub(super) fn open_diff(&mut self, a: &AgentView) -> Option<Effect> {
        let Some(dir) = a.lineage.cwd.clone() else {
            self.set_error(format!(
                "{} has no directory on record (it starts where tmux does); nothing to diff",
                a.name
            ));
            return None;
        };
        self.diff = Some(DiffView {
            agent: a.name.clone(),
            dir: dir.clone(),
            lines: None,
            scroll: 0,
        });
        Some(Effect::Diff {
            agent: a.name.clone(),
            dir,
        })
    }

    /// The diff computed for `agent` (`Ok(None)`: its directory is not a git repository).
    pub fn on_diff(&mut self, agent: &str, result: Result<Option<String>, String>) {
        let Some(view) = self.diff.as_mut().filter(|d| d.agent == agent) else {
            return;
        };
        view.lines = Some(match result {
            Ok(Some(text)) => Ok(text.lines().map(str::to_string).collect()),
            Ok(None) => Err(format!(
                "{} is not inside a git repository; nothing to diff",
                view.dir
            )),
            Err(e) => Err(e),
        });
    }

    /// Keys while the diff view is open: movement scrolls, the refresh key computes it
    /// again, Esc, `q` or the diff key close it.
    pub(super) fn diff_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        // The view takes the body: a page is its height less its border and title.
        let page = self.regions.tree.height.saturating_sub(3).max(1) as isize;
        let Some(view) = self.diff.as_mut() else {
            return Vec::new();
        };
        let total = match &view.lines {
            Some(Ok(l)) => l.len(),
            _ => 0,
        };
        let step: isize = match self.keymap.action_for(&key) {
            Some(Action::MoveDown) => 1,
            Some(Action::MoveUp) => -1,
            Some(Action::ScrollDown) => page,
            Some(Action::ScrollUp) => -page,
            Some(Action::MoveToTop) => -(total as isize),
            Some(Action::MoveToBottom) => total as isize,
            Some(Action::Retry) => {
                view.lines = None;
                view.scroll = 0;
                return vec![
                    Effect::Diff {
                        agent: view.agent.clone(),
                        dir: view.dir.clone(),
                    },
                    Effect::Redraw,
                ];
            }
            Some(Action::ShowDiff | Action::ClearFilter | Action::Quit) => {
                self.diff = None;
                return vec![Effect::Redraw];
            }
            _ if key.code == KeyCode::Char(' ') => page,
            _ => return Vec::new(),
        };
        view.scroll = view
            .scroll
            .saturating_add_signed(step)
            .min(total.saturating_sub(1));
        vec![Effect::Redraw]
    }
}

#[cfg(test)]
#[path = "fleet_edit_tests.rs"]
mod tests;
