//! Where shoal keeps things: the config file, themes and user profiles under the
//! platform's config directory; stores under its data directory. `SHOAL_CONFIG` and
//! `SHOAL_HOME` move them.

use std::path::{Path, PathBuf};

/// Every place shoal reads or writes outside the fleet file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// The config directory: `SHOAL_CONFIG`, else e.g. `~/.config/shoal`.
    pub config_dir: PathBuf,
    /// The data directory: `SHOAL_HOME`, else e.g. `~/.local/share/shoal`.
    pub data_dir: PathBuf,
}

/// Neither `SHOAL_CONFIG`/`SHOAL_HOME` nor a home directory says where to look.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot find a {what} directory for shoal (no home directory?); set {var}")]
pub struct NoDirectory {
    /// "config" or "data".
    pub what: &'static str,
    /// The variable that fixes it.
    pub var: &'static str,
}

impl Paths {
    /// Paths from the process environment and the platform's conventions.
    pub fn from_env() -> Result<Paths, NoDirectory> {
        Paths::resolve(|k| std::env::var_os(k).map(PathBuf::from))
    }

    /// Paths from `var` (an environment lookup), for tests.
    pub fn resolve(var: impl Fn(&str) -> Option<PathBuf>) -> Result<Paths, NoDirectory> {
        let set = |k: &str| var(k).filter(|p| !p.as_os_str().is_empty());
        let dirs = directories::ProjectDirs::from("", "", "shoal");
        let config_dir = match set("SHOAL_CONFIG") {
            Some(p) => p,
            None => dirs
                .as_ref()
                .map(|d| d.config_dir().to_path_buf())
                .ok_or(NoDirectory {
                    what: "config",
                    var: "SHOAL_CONFIG",
                })?,
        };
        let data_dir = match set("SHOAL_HOME") {
            Some(p) => p,
            None => dirs
                .as_ref()
                .map(|d| d.data_dir().to_path_buf())
                .ok_or(NoDirectory {
                    what: "data",
                    var: "SHOAL_HOME",
                })?,
        };
        Ok(Paths {
            config_dir,
            data_dir,
        })
    }

    /// Paths rooted at given directories.
    pub fn at(config_dir: &Path, data_dir: &Path) -> Paths {
        Paths {
            config_dir: config_dir.to_path_buf(),
            data_dir: data_dir.to_path_buf(),
        }
    }

    /// The config file (optional: built-in defaults apply without it).
    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }

    /// The folder of user themes (`NAME.toml`).
    pub fn themes_dir(&self) -> PathBuf {
        self.config_dir.join("themes")
    }

    /// The folder of user agent profiles (`KIND.toml`).
    pub fn profiles_dir(&self) -> PathBuf {
        self.config_dir.join("profiles")
    }

    /// The store of a fleet.
    pub fn store(&self, fleet: &str) -> PathBuf {
        self.data_dir.join(format!("{fleet}.sqlite"))
    }

    /// A listing for `shoal paths`: (what, where, whether it exists).
    pub fn listing(&self) -> Vec<(&'static str, PathBuf, bool)> {
        let rows = [
            ("config dir", self.config_dir.clone()),
            ("config file", self.config_file()),
            ("themes", self.themes_dir()),
            ("profiles", self.profiles_dir()),
            ("data dir", self.data_dir.clone()),
        ];
        rows.into_iter()
            .map(|(what, p)| {
                let exists = p.exists();
                (what, p, exists)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_the_platform_dirs() {
        let p = Paths::resolve(|k| match k {
            "SHOAL_CONFIG" => Some("/c".into()),
            "SHOAL_HOME" => Some("/d".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(p.config_file(), Path::new("/c/config.toml"));
        assert_eq!(p.themes_dir(), Path::new("/c/themes"));
        assert_eq!(p.profiles_dir(), Path::new("/c/profiles"));
        assert_eq!(p.store("demo"), Path::new("/d/demo.sqlite"));
    }

    #[test]
    fn empty_variables_are_ignored() {
        let p = Paths::resolve(|k| (k == "SHOAL_CONFIG").then(|| PathBuf::from(""))).unwrap();
        assert!(p.config_dir.ends_with("shoal"), "{:?}", p.config_dir);
    }
}
