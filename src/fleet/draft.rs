//! A new agent as the operator describes it (the console's `N` form, `shoal add`),
//! checked field by field with the fleet file's own rules before it is written there.

use super::file::{check_name, expand_home};
use std::fmt;
use std::path::{Path, PathBuf};

/// What `worktree = …` asks for: a git worktree of the agent's repository, on a branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorktreeChoice {
    /// `worktree = true`: a branch named after the agent.
    AgentBranch,
    /// `worktree = "name"`: this branch.
    Branch(String),
}

impl WorktreeChoice {
    /// The branch the worktree checks out for agent `agent`.
    pub fn branch(&self, agent: &str) -> String {
        match self {
            WorktreeChoice::AgentBranch => agent.to_string(),
            WorktreeChoice::Branch(b) => b.clone(),
        }
    }

    /// What the form's worktree field holds: empty or `no` for none, `yes` for a branch
    /// named after the agent, anything else names the branch.
    pub fn from_field(text: &str) -> Option<WorktreeChoice> {
        match text.trim() {
            "" | "no" | "false" | "n" => None,
            "yes" | "true" | "y" => Some(WorktreeChoice::AgentBranch),
            b => Some(WorktreeChoice::Branch(b.to_string())),
        }
    }
}

/// Check a branch name as `git check-ref-format --branch` would, so a bad name is
/// refused where it is written rather than when git runs at start.
pub fn check_branch(name: &str) -> Result<(), String> {
    let bad = |why: &str| {
        Err(format!(
            "the branch name {name:?} cannot be used: {why}; write e.g. \"agent/fix-login\""
        ))
    };
    if name.is_empty() {
        return bad("it is empty");
    }
    if name.starts_with('-') || name.starts_with('/') || name.ends_with('/') {
        return bad("it may not start with '-' or '/' or end with '/'");
    }
    if name.ends_with('.') || name == "@" || name == "HEAD" {
        return bad("it is not a branch name git accepts");
    }
    if let Some(c) = name
        .chars()
        .find(|c| c.is_control() || " ~^:?*[\\".contains(*c))
    {
        return bad(&format!("it holds {c:?}"));
    }
    if name.contains("..") || name.contains("//") || name.contains("@{") {
        return bad("it holds '..', '//' or '@{'");
    }
    if name
        .split('/')
        .any(|part| part.starts_with('.') || part.ends_with(".lock"))
    {
        return bad("a part starts with '.' or ends with '.lock'");
    }
    Ok(())
}

/// The directory a path is in, or the nearest enclosing one, that is inside a git
/// repository: the repository's top directory (the one holding `.git`).
pub fn repo_root(dir: &Path) -> Option<PathBuf> {
    let dir = std::path::absolute(dir).ok()?;
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// One field of the add form, in the order the form shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// The agent's name.
    Name,
    /// Its detection profile.
    Kind,
    /// The command line that starts it.
    Command,
    /// Its start directory.
    Cwd,
    /// The first message typed into it.
    Task,
    /// A git worktree for it: `yes`, a branch name, or empty.
    Worktree,
}

impl Field {
    /// Every field, in form order.
    pub const ALL: [Field; 6] = [
        Field::Name,
        Field::Kind,
        Field::Command,
        Field::Cwd,
        Field::Task,
        Field::Worktree,
    ];

    /// The label the form shows and the fleet file's key for it.
    pub fn label(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Kind => "kind",
            Field::Command => "cmd",
            Field::Cwd => "cwd",
            Field::Task => "task",
            Field::Worktree => "worktree",
        }
    }
}

/// A new agent's declaration, before it is written to the fleet file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentDraft {
    /// Unique name.
    pub name: String,
    /// Detection profile; guessed from the command when absent.
    pub kind: Option<String>,
    /// Command line.
    pub cmd: String,
    /// Start directory as written (`~` allowed).
    pub cwd: Option<String>,
    /// First message.
    pub task: Option<String>,
    /// Parent agent.
    pub parent: Option<String>,
    /// A git worktree as its working directory.
    pub worktree: Option<WorktreeChoice>,
}

/// Why a draft cannot be written, and which field to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftError {
    /// The field at fault; `None` for a problem of the whole file.
    pub field: Option<Field>,
    /// What is wrong, quoting the value.
    pub message: String,
    /// What to do instead.
    pub hint: String,
}

impl DraftError {
    fn at(field: Field, message: String, hint: &str) -> DraftError {
        DraftError {
            field: Some(field),
            message,
            hint: hint.to_string(),
        }
    }

    /// A problem of the fleet file as a whole, not of one field.
    pub fn whole(message: String) -> DraftError {
        DraftError {
            field: None,
            message,
            hint: String::new(),
        }
    }
}

impl fmt::Display for DraftError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(field) = self.field {
            write!(f, "{}: ", field.label())?;
        }
        f.write_str(&self.message)?;
        if !self.hint.is_empty() {
            write!(f, "; {}", self.hint)?;
        }
        Ok(())
    }
}

impl std::error::Error for DraftError {}

/// What a draft is checked against.
pub struct DraftContext<'a> {
    /// Profile names a `kind` may take.
    pub kinds: &'a [String],
    /// Names already taken in the fleet (file and store).
    pub taken: &'a [String],
    /// Where the fleet file is: a worktree agent without `cwd` uses its directory.
    pub fleet_dir: &'a Path,
}

impl AgentDraft {
    /// Check every field with the fleet file's rules, the first problem first.
    pub fn check(&self, cx: &DraftContext<'_>) -> Result<(), DraftError> {
        check_name(&self.name).map_err(|e| DraftError::at(Field::Name, e, "e.g. worker-1"))?;
        if cx.taken.iter().any(|t| t == &self.name) {
            return Err(DraftError::at(
                Field::Name,
                format!("an agent named {:?} is already in the fleet", self.name),
                "choose another name",
            ));
        }
        if let Some(kind) = &self.kind {
            if !cx.kinds.iter().any(|k| k == kind) {
                let hint = match super::words::suggest(kind, cx.kinds) {
                    Some(near) => format!("did you mean `{near}`? known: {}", cx.kinds.join(", ")),
                    None => format!(
                        "known kinds: {} (or leave it empty to guess)",
                        cx.kinds.join(", ")
                    ),
                };
                return Err(DraftError::at(
                    Field::Kind,
                    format!("unknown kind {kind:?}"),
                    &hint,
                ));
            }
        }
        if self.cmd.trim().is_empty() {
            return Err(DraftError::at(
                Field::Command,
                "the command is empty".into(),
                "write the command line that starts the agent, e.g. claude",
            ));
        }
        if self.cmd.contains('\0') {
            return Err(DraftError::at(
                Field::Command,
                "the command holds a NUL byte, which no program can take".into(),
                "remove it",
            ));
        }
        let dir = match &self.cwd {
            Some(c) => {
                let p = expand_home(c);
                if !p.is_dir() {
                    return Err(DraftError::at(
                        Field::Cwd,
                        format!("{c:?} is not a directory"),
                        "create it or fix the path (~ means your home directory)",
                    ));
                }
                p
            }
            None => cx.fleet_dir.to_path_buf(),
        };
        if let Some(task) = &self.task {
            super::typed::check_typed(task)
                .map_err(|e| DraftError::at(Field::Task, e, "write plain text"))?;
        }
        if let Some(w) = &self.worktree {
            check_branch(&w.branch(&self.name)).map_err(|e| {
                DraftError::at(
                    Field::Worktree,
                    e,
                    "or `yes` for a branch named after the agent",
                )
            })?;
            if repo_root(&dir).is_none() {
                return Err(DraftError::at(
                    Field::Worktree,
                    format!("{} is not inside a git repository", dir.display()),
                    "set cwd to a directory of a git repository, or leave worktree empty",
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "draft_tests.rs"]
mod tests;
