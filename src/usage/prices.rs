//! Model prices as data: `assets/prices.toml` built in, and the operator's
//! `prices.toml` in the config directory on top, each entry dated.

use super::Tokens;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The built-in price list.
pub const BUILTIN: &str = include_str!("../../assets/prices.toml");

/// The file name of the operator's price overrides in the config directory.
pub const FILE_NAME: &str = "prices.toml";

/// Dollars per million tokens of one model.
#[derive(Debug, Clone, PartialEq)]
pub struct Price {
    /// Input at the full rate.
    pub input: f64,
    /// Output.
    pub output: f64,
    /// Prompt-cache reads.
    pub cache_read: f64,
    /// Prompt-cache writes.
    pub cache_write: f64,
    /// When the price was read from the provider.
    pub as_of: String,
}

impl Price {
    /// Dollars for `t`.
    pub fn cost(&self, t: &Tokens) -> f64 {
        let per = |n: u64, rate: f64| n as f64 * rate / 1_000_000.0;
        per(t.input, self.input)
            + per(t.output, self.output)
            + per(t.cache_read, self.cache_read)
            + per(t.cache_write, self.cache_write)
    }
}

/// A price file that cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}:{line}:{col}: {message}")]
pub struct PriceError {
    /// The file.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// What is wrong and what to do.
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PriceFile {
    #[serde(default)]
    models: BTreeMap<String, Spanned<ModelFile>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelFile {
    input: Spanned<f64>,
    output: Spanned<f64>,
    #[serde(default)]
    cache_read: Option<Spanned<f64>>,
    #[serde(default)]
    cache_write: Option<Spanned<f64>>,
    as_of: String,
    #[serde(default)]
    aliases: Vec<String>,
}

/// Prices by model name, with their aliases.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PriceTable {
    models: BTreeMap<String, Price>,
    aliases: BTreeMap<String, String>,
}

impl PriceTable {
    /// The built-in prices.
    pub fn builtin() -> PriceTable {
        let mut t = PriceTable::default();
        // The built-in file is tested; a mistake in it is a build-time bug.
        t.merge(BUILTIN, Path::new("assets/prices.toml"))
            .expect("built-in prices.toml is valid");
        t
    }

    /// The built-in prices with the operator's `prices.toml` from `config_dir` on top, if
    /// it exists.
    pub fn load(config_dir: &Path) -> Result<PriceTable, PriceError> {
        let mut t = PriceTable::builtin();
        let path = config_dir.join(FILE_NAME);
        match std::fs::read_to_string(&path) {
            Ok(text) => t.merge(&text, &path)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(PriceError {
                    file: path,
                    line: 0,
                    col: 0,
                    message: format!("cannot read it: {e}"),
                })
            }
        }
        Ok(t)
    }

    /// Add the models of `text` (read from `file`), replacing those already known.
    pub fn merge(&mut self, text: &str, file: &Path) -> Result<(), PriceError> {
        let at = |offset: usize, message: String| {
            let (line, col) = line_col(text, offset);
            PriceError {
                file: file.to_path_buf(),
                line,
                col,
                message,
            }
        };
        let parsed: PriceFile = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            at(
                offset,
                format!(
                    "{}; each model is [models.NAME] with input, output, cache_read, cache_write (dollars per million tokens) and as_of = \"YYYY-MM-DD\"",
                    e.message().trim()
                ),
            )
        })?;
        for (name, m) in parsed.models {
            let m = m.into_inner();
            let rate = |v: &Spanned<f64>, what: &str| -> Result<f64, PriceError> {
                let x = *v.get_ref();
                if x.is_finite() && x >= 0.0 {
                    Ok(x)
                } else {
                    Err(at(
                        v.span().start,
                        format!("{name}: {what} = {x} is not a price; give dollars per million tokens, 0 or more"),
                    ))
                }
            };
            let opt = |v: &Option<Spanned<f64>>, what: &str| {
                v.as_ref().map_or(Ok(0.0), |v| rate(v, what))
            };
            let price = Price {
                input: rate(&m.input, "input")?,
                output: rate(&m.output, "output")?,
                cache_read: opt(&m.cache_read, "cache_read")?,
                cache_write: opt(&m.cache_write, "cache_write")?,
                as_of: m.as_of,
            };
            for a in m.aliases {
                self.aliases.insert(a, name.clone());
            }
            self.models.insert(name, price);
        }
        Ok(())
    }

    /// The price of `model`: by its name, an alias, or its name without a date suffix
    /// (`-20250514`) or a `@version`; `None` when unknown.
    pub fn price(&self, model: &str) -> Option<&Price> {
        let lookup = |m: &str| {
            self.models
                .get(m)
                .or_else(|| self.aliases.get(m).and_then(|n| self.models.get(n)))
        };
        if let Some(p) = lookup(model) {
            return Some(p);
        }
        let base = model.split('@').next().unwrap_or(model);
        let base = match base.rsplit_once('-') {
            Some((head, date)) if date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit()) => {
                head
            }
            _ => base,
        };
        lookup(base)
    }

    /// Dollars for `tokens` of `model`, `None` when the model has no price.
    pub fn cost(&self, model: &str, tokens: &Tokens) -> Option<f64> {
        self.price(model).map(|p| p.cost(tokens))
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, col)
}
