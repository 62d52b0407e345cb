//! Theme files: the built-ins embedded from `themes/`, the user's in the themes folder,
//! each setting styles by meaning on top of a parent.

use super::style::parse_style;
use super::Theme;
use crate::config::{ConfigError, Locator, Pos};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The built-in themes, by name.
pub const BUILTIN: &[(&str, &str)] = &[
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("monochrome", include_str!("../../themes/monochrome.toml")),
];

/// Parents deeper than this are taken for a cycle.
const MAX_DEPTH: usize = 8;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTheme {
    parent: Option<Spanned<String>>,
    #[serde(default)]
    styles: BTreeMap<Spanned<String>, Spanned<String>>,
}

/// One theme file, read but not yet laid over its parent.
#[derive(Debug, Clone)]
pub struct ThemeFile {
    /// The parent's name, if the file names one.
    pub parent: Option<(String, Pos)>,
    /// (meaning, style) pairs the file sets.
    pub styles: Vec<(&'static str, ratatui::style::Style)>,
}

/// Read a theme file's text; `path` names it in messages.
pub fn parse(path: &Path, text: &str) -> Result<ThemeFile, ConfigError> {
    let loc = Locator { path, text };
    let raw: RawTheme = toml::from_str(text).map_err(|e| {
        loc.toml(
            &e,
            "theme",
            "a theme has `parent = \"NAME\"` and a [styles] table of meaning = \"style\"",
        )
    })?;
    let mut styles = Vec::new();
    for (k, v) in raw.styles {
        let Some(meaning) = Theme::MEANINGS.iter().find(|m| **m == k.get_ref()) else {
            let hint = match crate::config::suggest(k.get_ref(), Theme::MEANINGS) {
                Some(near) => format!("did you mean `{near}`?"),
                None => format!("meanings: {}", Theme::MEANINGS.join(", ")),
            };
            return Err(loc.at(
                k.span(),
                format!("unknown meaning `{}` in the theme", k.get_ref()),
                hint,
            ));
        };
        let style = parse_style(v.get_ref())
            .map_err(|e| loc.at(v.span(), format!("{meaning}: {}", e.message), e.hint))?;
        styles.push((*meaning, style));
    }
    Ok(ThemeFile {
        parent: raw
            .parent
            .map(|p| (p.get_ref().clone(), loc.pos(p.span().start))),
        styles,
    })
}

/// Names of every theme: built-ins, then the user's (`NAME.toml` in `user_dir`).
pub fn names(user_dir: Option<&Path>) -> Vec<String> {
    let mut out: Vec<String> = BUILTIN.iter().map(|(n, _)| (*n).to_string()).collect();
    if let Some(dir) = user_dir {
        let mut user: Vec<String> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let p = e.path();
                (p.extension()? == "toml")
                    .then(|| p.file_stem()?.to_str().map(str::to_string))
                    .flatten()
            })
            .filter(|n| !out.contains(n))
            .collect();
        user.sort();
        out.extend(user);
    }
    out
}

/// Where a theme name was asked for, for the error if it names no theme.
#[derive(Debug, Clone)]
pub struct Asker {
    /// The file that names the theme.
    pub path: PathBuf,
    /// Where in it.
    pub pos: Pos,
}

/// Build the named theme: the user's file of that name if there is one, else the
/// built-in; parents first, each file's styles on top.
pub fn resolve(
    name: &str,
    user_dir: Option<&Path>,
    asker: Option<&Asker>,
) -> Result<Theme, ConfigError> {
    let mut chain: Vec<ThemeFile> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    let mut current = name.to_string();
    let mut from_user = true;
    let mut asked_at = asker.cloned();
    loop {
        let user_file = user_dir
            .filter(|_| from_user)
            .map(|d| d.join(format!("{current}.toml")))
            .filter(|p| p.is_file());
        let (path, text, builtin) = match user_file {
            Some(p) => {
                let text = std::fs::read_to_string(&p)
                    .map_err(|e| Locator::unreadable(&p, &e, "fix its permissions or remove it"))?;
                (p, text, false)
            }
            None => match BUILTIN.iter().find(|(n, _)| *n == current) {
                Some((n, text)) => (
                    PathBuf::from(format!("(built-in theme {n})")),
                    (*text).to_string(),
                    true,
                ),
                None => return Err(unknown(&current, user_dir, asked_at.as_ref())),
            },
        };
        let file = parse(&path, &text)?;
        seen.push(current.clone());
        let parent = file.parent.clone();
        chain.push(file);
        let next = match parent {
            Some((p, pos)) => {
                asked_at = Some(Asker {
                    path: path.clone(),
                    pos,
                });
                p
            }
            // A user theme without a parent builds on the default; built-ins are whole.
            None if !builtin => "dark".to_string(),
            None => break,
        };
        // A user theme named like a built-in that builds on that name means the built-in.
        from_user = next != current && !seen.contains(&next);
        if seen.len() >= MAX_DEPTH
            || (seen.contains(&next) && !BUILTIN.iter().any(|(n, _)| *n == next))
        {
            let at = asked_at.as_ref().map_or(Pos::default(), |a| a.pos);
            return Err(ConfigError {
                path: asked_at.map_or_else(|| PathBuf::from(name), |a| a.path),
                line: at.line,
                column: at.column,
                message: format!(
                    "theme parents go round in a circle: {} → {next}",
                    seen.join(" → ")
                ),
                hint:
                    "point one parent at a built-in theme (dark, light, high-contrast, monochrome)"
                        .into(),
            });
        }
        current = next;
    }
    let mut theme = Theme::blank();
    for file in chain.iter().rev() {
        for (meaning, style) in &file.styles {
            theme.set(meaning, *style);
        }
    }
    Ok(theme)
}

fn unknown(name: &str, user_dir: Option<&Path>, asker: Option<&Asker>) -> ConfigError {
    let all = names(user_dir);
    let hint = match crate::config::suggest(name, &all) {
        Some(near) => format!("did you mean \"{near}\"? themes: {}", all.join(", ")),
        None => format!(
            "themes: {}{}",
            all.join(", "),
            user_dir.map_or(String::new(), |d| format!(
                "; or add {}",
                d.join(format!("{name}.toml")).display()
            ))
        ),
    };
    let (path, pos) = asker.map_or((PathBuf::from("theme"), Pos::default()), |a| {
        (a.path.clone(), a.pos)
    });
    ConfigError {
        path,
        line: pos.line,
        column: pos.column,
        message: format!("unknown theme {name:?}"),
        hint,
    }
}
