//! Git worktrees for agents (`worktree = true` in the fleet file): one per agent under
//! the fleet's data directory, on a branch of its own, created at its first start and
//! reused by every later attempt; deleted only when asked, and never with uncommitted
//! changes unless forced. Also the diff of an agent's directory, for the console's `v`.
//!
//! Everything here runs the real `git` with the operator's own configuration, stdin
//! closed, and reports git's own words when it fails.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Most bytes of diff kept for the console: beyond this the view says it was cut.
pub const DIFF_MAX_BYTES: usize = 4 << 20;

/// One agent's worktree, as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Worktree {
    /// The repository's top directory.
    pub repo: PathBuf,
    /// The branch checked out in it.
    pub branch: String,
    /// The worktree's directory.
    pub path: PathBuf,
    /// Where in it the agent starts.
    #[serde(default)]
    pub subdir: PathBuf,
}

impl Worktree {
    /// The worktree agent `agent` of fleet `fleet` gets under data directory `home`.
    pub fn for_agent(
        home: &Path,
        fleet: &str,
        agent: &str,
        spec: &crate::fleet::file::WorktreeSpec,
    ) -> Worktree {
        Worktree {
            repo: spec.repo.clone(),
            branch: spec.branch.clone(),
            path: home.join("worktrees").join(fleet).join(agent),
            subdir: spec.subdir.clone(),
        }
    }

    /// The directory the agent starts in.
    pub fn cwd(&self) -> PathBuf {
        if self.subdir.as_os_str().is_empty() {
            return self.path.clone();
        }
        self.path.join(&self.subdir)
    }
}

/// A git command that failed, in git's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: {detail}")]
pub struct GitError {
    /// What shoal was doing.
    pub what: String,
    /// What git said (or why it could not run).
    pub detail: String,
}

/// What [`ensure`] found or did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ensured {
    /// The worktree was there already.
    Reused,
    /// It was made now, on an existing branch.
    Created,
    /// It was made now, on a new branch from the repository's HEAD.
    CreatedBranch,
}

/// What [`remove`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removed {
    /// Deleted (its branch is kept: it holds the agent's commits).
    Deleted,
    /// Nothing was there.
    Absent,
    /// Kept: it has uncommitted changes (the first few paths) and removal was not forced.
    KeptDirty(Vec<String>),
}

fn git(dir: &Path, args: &[&str], what: &str) -> Result<String, GitError> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "core.quotepath=off"])
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| GitError {
            what: what.to_string(),
            detail: format!("cannot run git ({e}); is git installed?"),
        })?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        Err(GitError {
            what: what.to_string(),
            detail: err.trim().replace('\n', "; "),
        })
    }
}

/// Make the worktree if it is not there; reuse it if it is.
pub fn ensure(w: &Worktree) -> Result<Ensured, GitError> {
    if w.path.join(".git").exists() {
        return Ok(Ensured::Reused);
    }
    let what = format!(
        "cannot create the worktree {} of {} on branch {}",
        w.path.display(),
        w.repo.display(),
        w.branch
    );
    if w.path.exists() && std::fs::read_dir(&w.path).is_ok_and(|mut d| d.next().is_some()) {
        return Err(GitError {
            what,
            detail: "the directory exists and is not a git worktree; move it away".into(),
        });
    }
    if let Some(parent) = w.path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| GitError {
            what: what.clone(),
            detail: e.to_string(),
        })?;
    }
    // A worktree deleted by hand is still registered until pruned, and blocks the add.
    git(&w.repo, &["worktree", "prune"], &what)?;
    let path = w.path.to_string_lossy().into_owned();
    let branch_ref = format!("refs/heads/{}", w.branch);
    let exists = git(
        &w.repo,
        &["rev-parse", "--verify", "--quiet", &branch_ref],
        &what,
    )
    .is_ok();
    if exists {
        git(&w.repo, &["worktree", "add", &path, &w.branch], &what)?;
        Ok(Ensured::Created)
    } else {
        git(&w.repo, &["worktree", "add", "-b", &w.branch, &path], &what)?;
        Ok(Ensured::CreatedBranch)
    }
}

/// Paths with uncommitted changes (untracked files included), as `git status` lists them.
pub fn changes(dir: &Path) -> Result<Vec<String>, GitError> {
    let out = git(
        dir,
        &["status", "--porcelain"],
        &format!("cannot read the status of {}", dir.display()),
    )?;
    Ok(out
        .lines()
        .filter(|l| l.len() > 3)
        .map(|l| l[3..].to_string())
        .collect())
}

/// Delete the worktree (never its branch). One with uncommitted changes is kept unless
/// `force`.
pub fn remove(w: &Worktree, force: bool) -> Result<Removed, GitError> {
    let what = format!("cannot delete the worktree {}", w.path.display());
    if !w.path.exists() {
        if w.repo.is_dir() {
            git(&w.repo, &["worktree", "prune"], &what)?;
        }
        return Ok(Removed::Absent);
    }
    if !force {
        let dirty = changes(&w.path)?;
        if !dirty.is_empty() {
            return Ok(Removed::KeptDirty(dirty.into_iter().take(5).collect()));
        }
    }
    let path = w.path.to_string_lossy().into_owned();
    let mut args = vec!["worktree", "remove"];
    if force {
        args.push("--force");
    }
    args.push(&path);
    git(&w.repo, &args, &what)?;
    Ok(Removed::Deleted)
}

/// The changes in `dir`'s repository against its last commit: `git diff --stat`, the
/// untracked files, then the diff itself. `Ok(None)`: `dir` is not in a git repository.
pub fn diff(dir: &Path) -> Result<Option<String>, GitError> {
    let what = format!("cannot diff {}", dir.display());
    if !dir.is_dir() {
        return Err(GitError {
            what,
            detail: "the directory does not exist (yet)".into(),
        });
    }
    if git(dir, &["rev-parse", "--is-inside-work-tree"], &what).is_err() {
        return Ok(None);
    }
    // A repository without commits has no HEAD to compare with: its index stands in.
    let base: &[&str] = if git(dir, &["rev-parse", "--verify", "--quiet", "HEAD"], &what).is_ok() {
        &["HEAD"]
    } else {
        &[]
    };
    let plain = ["--no-color", "--no-ext-diff"];
    let stat_args: Vec<&str> = ["diff"]
        .iter()
        .chain(&plain)
        .chain(&["--stat"])
        .chain(base)
        .copied()
        .collect();
    let diff_args: Vec<&str> = ["diff"].iter().chain(&plain).chain(base).copied().collect();
    let stat = git(dir, &stat_args, &what)?;
    let untracked = git(dir, &["ls-files", "--others", "--exclude-standard"], &what)?;
    let body = git(dir, &diff_args, &what)?;
    let mut out = String::new();
    if stat.trim().is_empty() && untracked.trim().is_empty() {
        out.push_str("no changes since the last commit\n");
    }
    out.push_str(&stat);
    for f in untracked.lines() {
        out.push_str(&format!(" {f} (untracked)\n"));
    }
    if !body.is_empty() {
        out.push('\n');
        out.push_str(&body);
    }
    if out.len() > DIFF_MAX_BYTES {
        let mut cut = DIFF_MAX_BYTES;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push_str("\n… (diff cut at 4 MiB; run git diff in the directory for the rest)\n");
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests;
