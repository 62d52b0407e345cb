//! Detection against verbatim captures of the four real agent CLIs (`tests/fixtures/screens`,
//! recorded with the agent lab), and the ways detection must not be fooled: quoted dialogs,
//! answered prompts, busy footers, broken profile files, and captures that are huge,
//! binary or not UTF-8.

mod anchoring;
mod fatal;
mod screens;

use shoal::fleet::{Activity, ErrorKind};
use shoal::profile::{Profile, Registry};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// The recorded screens: `<kind>/<state>.{txt,ansi}` under each folder, described by the
/// folder's `expected.toml`. `strict` folders say what every screen's composer holds and
/// whether the CLI is ready for input; the shared captures say activity and keys only.
const SETS: [(&str, bool); 2] = [
    ("tests/fixtures/screens", true),
    ("tests/fixtures/screens/shared", false),
];

/// The four CLIs with recorded screens.
pub const CLIS: [&str; 4] = ["claude", "codex", "gemini", "aider"];

/// One capture's entry of an expected.toml: a state in one variant (`txt` or `ansi`).
#[derive(Debug, Clone)]
pub struct Expected {
    pub dir: PathBuf,
    pub strict: bool,
    pub kind: String,
    pub state: String,
    pub ext: &'static str,
    pub activity: Activity,
    pub error: Option<ErrorKind>,
    pub approve: Vec<String>,
    pub deny: Vec<String>,
    pub composer: Option<String>,
    pub ready: bool,
    pub torn: bool,
    pub progress_pair: Option<String>,
}

impl Expected {
    /// `kind/state.ext`, prefixed with `shared/` for the shared captures.
    pub fn label(&self) -> String {
        let set = if self.strict { "" } else { "shared/" };
        format!("{set}{}/{}.{}", self.kind, self.state, self.ext)
    }

    /// The capture's text (invalid UTF-8 replaced).
    pub fn screen(&self) -> String {
        let path = self.path();
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        String::from_utf8_lossy(&bytes).into_owned()
    }

    pub fn path(&self) -> PathBuf {
        self.dir
            .join(&self.kind)
            .join(format!("{}.{}", self.state, self.ext))
    }
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every capture of every set, in file order.
pub fn expected() -> &'static [Expected] {
    static ALL: OnceLock<Vec<Expected>> = OnceLock::new();
    ALL.get_or_init(|| {
        let mut out = Vec::new();
        for (dir, strict) in SETS {
            let dir = root().join(dir);
            out.extend(read_set(&dir, strict));
        }
        out
    })
}

/// A state's fields, with the variant's own table (`txt = { … }` / `ansi = { … }`) laid
/// over them: the two captures are taken a moment apart and may show different things.
fn read_set(dir: &Path, strict: bool) -> Vec<Expected> {
    let path = dir.join("expected.toml");
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let doc: toml::Table =
        toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    for (kind, states) in &doc {
        for (state, e) in states.as_table().expect("a table per kind") {
            let base = e.as_table().expect("a table per state");
            let where_ = format!("{}: {kind}.{state}", path.display());
            let only = base.get("only").and_then(|v| v.as_str());
            for ext in ["txt", "ansi"] {
                if only.is_some_and(|o| o != ext) {
                    continue;
                }
                let mut e = base.clone();
                if let Some(over) = base.get(ext).and_then(|v| v.as_table()) {
                    e.extend(over.clone());
                }
                let field = |k: &str| e.get(k).and_then(|v| v.as_str()).map(str::to_string);
                let flag = |k: &str| e.get(k).and_then(toml::Value::as_bool).unwrap_or(false);
                let keys = |k: &str| -> Vec<String> {
                    e.get(k)
                        .and_then(|v| v.as_array())
                        .map(|a| {
                            a.iter()
                                .map(|k| k.as_str().expect("key names").to_string())
                                .collect()
                        })
                        .unwrap_or_default()
                };
                out.push(Expected {
                    dir: dir.to_path_buf(),
                    strict,
                    kind: kind.clone(),
                    state: state.clone(),
                    ext,
                    activity: field("activity")
                        .unwrap_or_else(|| panic!("{where_}: no activity"))
                        .parse()
                        .unwrap_or_else(|e| panic!("{where_}: {e}")),
                    error: field("error")
                        .map(|s| s.parse().unwrap_or_else(|e| panic!("{where_}: {e}"))),
                    approve: keys("approve"),
                    deny: keys("deny"),
                    composer: field("composer"),
                    ready: flag("ready"),
                    torn: flag("torn"),
                    progress_pair: field("progress_pair"),
                });
            }
        }
    }
    out
}

pub fn registry() -> &'static Registry {
    static REG: OnceLock<Registry> = OnceLock::new();
    REG.get_or_init(Registry::builtin)
}

pub fn profile(kind: &str) -> Arc<Profile> {
    registry()
        .get(kind)
        .unwrap_or_else(|| panic!("no built-in profile {kind:?}"))
}

/// A recorded screen by kind and state, from the main set.
pub fn fixture(kind: &str, state: &str, ext: &str) -> String {
    let path = root()
        .join(SETS[0].0)
        .join(kind)
        .join(format!("{state}.{ext}"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    String::from_utf8_lossy(&bytes).into_owned()
}

/// A screen of the shared set (the first captures of Claude Code and aider).
pub fn shared(kind: &str, state: &str, ext: &str) -> String {
    let path = root()
        .join(SETS[1].0)
        .join(kind)
        .join(format!("{state}.{ext}"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    String::from_utf8_lossy(&bytes).into_owned()
}
