//! The set of known profiles: built-ins embedded in the binary, plus the operator's own.

use super::error::{Problem, ProfileError};
use super::Profile;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Kind used when nothing else matches: a plain shell.
pub const FALLBACK_KIND: &str = "shell";

/// Built-in profiles, in the order kinds are tried when guessing.
const BUILTIN: &[(&str, &str)] = &[
    ("claude", include_str!("../../assets/profiles/claude.toml")),
    ("codex", include_str!("../../assets/profiles/codex.toml")),
    ("gemini", include_str!("../../assets/profiles/gemini.toml")),
    ("aider", include_str!("../../assets/profiles/aider.toml")),
    ("shell", include_str!("../../assets/profiles/shell.toml")),
];

/// Known profiles by kind name.
#[derive(Debug, Clone)]
pub struct Registry {
    profiles: Vec<Arc<Profile>>,
}

impl Registry {
    /// The profiles shipped with shoal.
    pub fn builtin() -> Registry {
        let mut reg = Registry {
            profiles: Vec::new(),
        };
        for (name, source) in BUILTIN {
            let file = PathBuf::from(format!("built-in:{name}"));
            match Profile::from_toml(&file, source) {
                Ok(p) => reg.insert(p),
                // The built-in files are checked by the tests; a broken one is left out
                // rather than taking the whole console down.
                Err(e) => debug_assert!(false, "{e}"),
            }
        }
        reg
    }

    /// The TOML text of a built-in profile, e.g. to copy it as a starting point.
    pub fn builtin_source(kind: &str) -> Option<&'static str> {
        BUILTIN.iter().find(|(n, _)| *n == kind).map(|(_, s)| *s)
    }

    /// Built-ins, then every `*.toml` in `dir` overriding/extending by name. A bad file is
    /// skipped (the built-in of that name stays) and reported. A missing dir is no error.
    pub fn load(user_dir: Option<&Path>) -> (Registry, Vec<ProfileError>) {
        let mut reg = Registry::builtin();
        let mut errors = Vec::new();
        let Some(dir) = user_dir else {
            return (reg, errors);
        };
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (reg, errors),
            Err(e) => {
                errors.push(unreadable(dir, &e));
                return (reg, errors);
            }
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
            .collect();
        files.sort();
        for file in files {
            let parsed = std::fs::read_to_string(&file)
                .map_err(|e| unreadable(&file, &e))
                .and_then(|src| Profile::from_toml(&file, &src));
            match parsed {
                Ok(p) => reg.insert(p),
                Err(e) => errors.push(e),
            }
        }
        (reg, errors)
    }

    /// Adds a profile, replacing one of the same name.
    pub fn insert(&mut self, profile: Profile) {
        let profile = Arc::new(profile);
        match self
            .profiles
            .iter_mut()
            .find(|p| p.name() == profile.name())
        {
            Some(slot) => *slot = profile,
            None => self.profiles.push(profile),
        }
    }

    /// The profile for `kind`, if known.
    pub fn get(&self, kind: &str) -> Option<Arc<Profile>> {
        self.profiles.iter().find(|p| p.name() == kind).cloned()
    }

    /// Every known kind, built-ins first.
    pub fn names(&self) -> Vec<String> {
        self.profiles.iter().map(|p| p.name().to_string()).collect()
    }

    /// Guess the kind from a fleet-file command line or the pane's process names; "shell"
    /// when none match. The profile matching earliest in `cmd` wins, so
    /// `aider --model claude-3` is aider and `env X=1 claude` is claude.
    pub fn guess_kind(&self, cmd: &str) -> String {
        let mut best: Option<(usize, &str)> = None;
        for p in &self.profiles {
            if let Some(at) = p.command_match(cmd) {
                if best.map_or(true, |(b, _)| at < b) {
                    best = Some((at, p.name()));
                }
            }
        }
        best.map_or(FALLBACK_KIND, |(_, n)| n).to_string()
    }

    /// Guess the kind of a saved screen from the profiles' banner patterns: the profile
    /// with most matching patterns wins. Returns the kind and its first matching pattern.
    pub fn guess_kind_from_screen(&self, screen: &str) -> Option<(String, String)> {
        let mut best: Option<(usize, &Profile, &str)> = None;
        for p in &self.profiles {
            let (score, pattern) = p.banner_score(screen);
            if let Some(pattern) = pattern {
                if best.map_or(true, |(b, _, _)| score > b) {
                    best = Some((score, p, pattern));
                }
            }
        }
        best.map(|(_, p, pat)| (p.name().to_string(), pat.to_string()))
    }
}

fn unreadable(file: &Path, e: &std::io::Error) -> ProfileError {
    ProfileError {
        file: file.to_path_buf(),
        line: None,
        column: None,
        problem: Problem::Unreadable(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_compiles() {
        for (name, source) in BUILTIN {
            let p = Profile::from_toml(Path::new(name), source)
                .unwrap_or_else(|e| panic!("built-in {name}: {e}"));
            assert_eq!(p.name(), *name);
        }
        assert_eq!(
            Registry::builtin().names(),
            ["claude", "codex", "gemini", "aider", "shell"]
        );
    }

    #[test]
    fn guess_kind_from_command_lines() {
        let reg = Registry::builtin();
        let cases = [
            ("claude", "claude"),
            ("claude --resume 3adb", "claude"),
            ("env FOO=1 /usr/local/bin/claude -p 'hi'", "claude"),
            (
                "node /usr/lib/node_modules/@anthropic-ai/claude-code/cli.js",
                "claude",
            ),
            ("codex --full-auto", "codex"),
            ("node /home/u/.npm/bin/codex", "codex"),
            ("npx @google/gemini-cli", "gemini"),
            ("gemini", "gemini"),
            ("aider --model claude-3-opus", "aider"),
            ("python -m aider --yes", "aider"),
            ("bash", "shell"),
            ("bash -lc 'claude --print hi'", "claude"),
            ("vim notes/claude.md", "shell"),
            ("", "shell"),
        ];
        for (cmd, want) in cases {
            assert_eq!(reg.guess_kind(cmd), want, "command line {cmd:?}");
        }
    }

    #[test]
    fn user_profiles_override_and_extend() {
        let dir = tempfile::tempdir().unwrap();
        let claude = Registry::builtin_source("claude").unwrap().replace(
            "continue_message = \"continue\"",
            "continue_message = \"go on\"",
        );
        std::fs::write(dir.path().join("claude.toml"), claude).unwrap();
        let mine = Registry::builtin_source("shell")
            .unwrap()
            .replace("name = \"shell\"", "name = \"mytool\"");
        std::fs::write(dir.path().join("mytool.toml"), mine).unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not a profile").unwrap();
        let (reg, errors) = Registry::load(Some(dir.path()));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(reg.get("claude").unwrap().continue_message(), Some("go on"));
        assert!(reg.names().contains(&"mytool".to_string()));
        assert_eq!(reg.names().len(), 6);
    }

    #[test]
    fn missing_dir_is_fine() {
        let (reg, errors) = Registry::load(Some(Path::new("/nonexistent/shoal/profiles")));
        assert!(errors.is_empty());
        assert_eq!(reg.names().len(), 5);
    }
}
