//! An agent's `worktree` key: `true` (a branch named after the agent) or a branch name.
//! The agent's directory must be inside a git repository; the error names the line.

use super::{FleetFileError, Locator};
use crate::fleet::draft::{check_branch, repo_root};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// `worktree = true | false | "branch"`, as written.
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum RawWorktree {
    /// `true` or `false`.
    Flag(bool),
    /// A branch name.
    Branch(String),
}

/// A git worktree an agent runs in: created under the fleet's data directory at its
/// first start, reused by every later attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorktreeSpec {
    /// The branch it checks out (created from the repository's HEAD when missing).
    pub branch: String,
    /// The repository's top directory.
    pub repo: PathBuf,
    /// Where in the repository the agent starts (`cwd` relative to `repo`).
    pub subdir: PathBuf,
}

impl Locator<'_> {
    /// The worktree an agent asks for, checked: a branch git accepts, a directory inside
    /// a git repository (`cwd`, else the fleet file's directory), and this machine.
    pub(super) fn worktree(
        &self,
        agent: &str,
        raw: Option<&Spanned<RawWorktree>>,
        cwd: Option<&Path>,
        host: Option<&str>,
    ) -> Result<Option<WorktreeSpec>, FleetFileError> {
        let Some(raw) = raw else {
            return Ok(None);
        };
        let branch = match raw.get_ref() {
            RawWorktree::Flag(false) => return Ok(None),
            RawWorktree::Flag(true) => agent.to_string(),
            RawWorktree::Branch(b) => b.clone(),
        };
        check_branch(&branch).map_err(|e| {
            self.at(
                raw.span(),
                format!("agent {agent:?}: worktree: {e}"),
                "worktree = true names the branch after the agent",
            )
        })?;
        if let Some(h) = host {
            return Err(self.at(
                raw.span(),
                format!("agent {agent:?}: worktree works for agents on this machine only, and this one runs on host {h:?}"),
                "remove the worktree line, or the host line",
            ));
        }
        let dir = match cwd {
            Some(c) => c.to_path_buf(),
            None => self
                .path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
        };
        let dir = std::path::absolute(&dir).unwrap_or(dir);
        let Some(repo) = repo_root(&dir) else {
            let which = if cwd.is_some() {
                "its cwd"
            } else {
                "the fleet file's directory (it has no cwd)"
            };
            return Err(self.at(
                raw.span(),
                format!(
                    "agent {agent:?}: worktree needs a git repository, and {which} {} is not inside one",
                    dir.display()
                ),
                "set cwd to a directory of a git repository (`git init` makes one), or remove the worktree line",
            ));
        };
        let subdir = dir
            .strip_prefix(&repo)
            .unwrap_or(Path::new(""))
            .to_path_buf();
        Ok(Some(WorktreeSpec {
            branch,
            repo,
            subdir,
        }))
    }
}

#[cfg(test)]
mod tests {
    use crate::fleet::file::parse;
    use std::path::Path;

    fn fleet(dir: &Path, agent: &str) -> String {
        format!(
            "[fleet]\nname = \"f\"\n\n[[agent]]\nname = \"w1\"\ncmd = \"bash\"\ncwd = \"{}\"\n{agent}",
            dir.display()
        )
    }

    #[test]
    fn worktree_true_takes_the_agents_name_and_the_repository_of_its_cwd() {
        let repo = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(repo.path().join(".git")).unwrap();
        std::fs::create_dir_all(repo.path().join("app")).unwrap();
        let f = parse(
            Path::new("shoal.toml"),
            &fleet(&repo.path().join("app"), "worktree = true\n"),
        )
        .unwrap();
        let w = f.agents[0].worktree.clone().unwrap();
        assert_eq!(w.branch, "w1");
        assert_eq!(w.repo, repo.path());
        assert_eq!(w.subdir, Path::new("app"));
        let f = parse(
            Path::new("shoal.toml"),
            &fleet(repo.path(), "worktree = \"agent/w1\"\n"),
        )
        .unwrap();
        assert_eq!(f.agents[0].worktree.as_ref().unwrap().branch, "agent/w1");
        let f = parse(
            Path::new("shoal.toml"),
            &fleet(repo.path(), "worktree = false\n"),
        )
        .unwrap();
        assert_eq!(f.agents[0].worktree, None);
    }

    #[test]
    fn a_cwd_outside_git_or_a_bad_branch_is_refused_at_its_line() {
        let plain = tempfile::tempdir().unwrap();
        let e = parse(
            Path::new("shoal.toml"),
            &fleet(plain.path(), "worktree = true\n"),
        )
        .unwrap_err();
        assert_eq!(e.line, 8, "{e}");
        assert!(
            e.message.contains("not inside one")
                && e.message.contains(&plain.path().display().to_string()),
            "{e}"
        );
        assert!(e.hint.contains("git init"), "{e}");
        let repo = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(repo.path().join(".git")).unwrap();
        let e = parse(
            Path::new("shoal.toml"),
            &fleet(repo.path(), "worktree = \"a b\"\n"),
        )
        .unwrap_err();
        assert_eq!(e.line, 8, "{e}");
        assert!(e.message.contains("\"a b\""), "{e}");
        let e = parse(
            Path::new("shoal.toml"),
            &fleet(repo.path(), "worktree = 3\n"),
        )
        .unwrap_err();
        assert_eq!(e.line, 8, "{e}");
    }
}
