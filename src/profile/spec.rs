//! The profile TOML format, and turning a file into a checked [`Profile`].
//!
//! Every string that becomes a regex or a name is read with its span, so a mistake is
//! reported with the file, line and column where the operator has to fix it.

use super::error::{Problem, ProfileError};
use super::layout::Layout;
use super::region::Region;
use super::rules::Rule;
use super::{Keys, Profile, Recognize, SessionArgs};
use crate::fleet::{Activity, ErrorKind};
use regex::Regex;
use serde::Deserialize;
use std::path::Path;
use toml::Spanned;

/// A profile file as written; unknown keys are refused so a typo is reported, not ignored.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    name: Spanned<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    turn_start: Option<Spanned<String>>,
    #[serde(default)]
    masks: Vec<Spanned<String>>,
    #[serde(default)]
    reset: Vec<Spanned<String>>,
    #[serde(default)]
    recognize: RecognizeFile,
    #[serde(default)]
    keys: KeysFile,
    #[serde(default)]
    screen: ScreenFile,
    #[serde(default)]
    session: Option<SessionFile>,
    #[serde(default)]
    usage: UsageFile,
    #[serde(default)]
    hooks: Option<super::signals::HooksFile>,
    #[serde(default)]
    title: Vec<super::signals::TitleFile>,
    rules: Vec<RuleFile>,
}

/// `[session]`: how the CLI's session gets its id (shoal assigns it at launch, or learns
/// it from the name of the transcript file the CLI writes), and how it is resumed.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionFile {
    #[serde(default)]
    launch: Option<Spanned<String>>,
    #[serde(default)]
    discover: Option<Spanned<String>>,
    resume: Spanned<String>,
}

/// `[usage]`: where the agent's token usage shows when it writes no transcript shoal
/// reads: a regex over screen lines with named groups (see `crate::usage::screen`).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct UsageFile {
    #[serde(default)]
    screen: Option<Spanned<String>>,
}

/// `[screen]`: the chrome under the transcript, the composer in it, and how input arrives.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ScreenFile {
    #[serde(default)]
    chrome: Vec<Spanned<String>>,
    #[serde(default)]
    chrome_always: bool,
    #[serde(default)]
    composer: Option<Spanned<String>>,
    #[serde(default)]
    composer_prefix: Option<Spanned<String>>,
    #[serde(default)]
    placeholder: Option<Spanned<String>>,
    #[serde(default)]
    pasted: Option<Spanned<String>>,
    #[serde(default)]
    bracketed_paste: bool,
}

/// `[recognize]`: how to tell this CLI from a command line or a saved screen.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RecognizeFile {
    #[serde(default)]
    commands: Vec<String>,
    #[serde(default)]
    command_patterns: Vec<Spanned<String>>,
    #[serde(default)]
    banner: Vec<Spanned<String>>,
}

/// `[keys]`: tmux key names.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct KeysFile {
    #[serde(default)]
    approve: Vec<Spanned<String>>,
    #[serde(default)]
    deny: Vec<Spanned<String>>,
    #[serde(default)]
    interrupt: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    continue_message: Option<String>,
}

/// One `[[rules]]` entry.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    name: String,
    region: Spanned<String>,
    #[serde(default)]
    lines: Option<usize>,
    regex: Spanned<String>,
    #[serde(default)]
    unless: Option<Spanned<String>>,
    priority: i64,
    activity: Spanned<String>,
    #[serde(default)]
    error: Option<Spanned<String>>,
    #[serde(default)]
    approve: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    deny: Option<Vec<Spanned<String>>>,
}

/// Reads a profile from TOML text; `file` is only used to name the source in errors.
pub fn parse(file: &Path, source: &str) -> Result<Profile, ProfileError> {
    let at = |span: Option<std::ops::Range<usize>>, problem: Problem| {
        let (line, column) = span.map_or((None, None), |s| {
            let (l, c) = line_col(source, s.start);
            (Some(l), Some(c))
        });
        ProfileError {
            file: file.to_path_buf(),
            line,
            column,
            problem,
        }
    };
    let spec: ProfileFile = toml::from_str(source).map_err(|e| {
        let msg = e.message().trim().to_string();
        let problem = match missing_field(&msg) {
            Some(f) => Problem::MissingField(f),
            None => Problem::Syntax(msg),
        };
        at(e.span(), problem)
    })?;
    let name = spec.name.get_ref();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_alphanumeric() || "-_.".contains(c))
    {
        return Err(at(Some(spec.name.span()), Problem::BadName(name.clone())));
    }
    let regex = |field: &'static str, s: &Spanned<String>| {
        Regex::new(s.get_ref()).map_err(|e| {
            let problem = Problem::BadRegex {
                field,
                pattern: s.get_ref().clone(),
                error: e.to_string(),
            };
            at(Some(s.span()), problem)
        })
    };
    let regexes = |field: &'static str, list: &[Spanned<String>]| {
        list.iter()
            .map(|s| regex(field, s))
            .collect::<Result<Vec<_>, _>>()
    };
    let keys = |list: &[Spanned<String>]| {
        list.iter()
            .map(|k| {
                let v = k.get_ref();
                if v.is_empty() || v.chars().any(char::is_whitespace) {
                    Err(at(Some(k.span()), Problem::BadKey(v.clone())))
                } else {
                    Ok(v.clone())
                }
            })
            .collect::<Result<Vec<_>, _>>()
    };

    let turn_start = spec
        .turn_start
        .as_ref()
        .map(|s| regex("turn_start", s))
        .transpose()?;
    let reset = regexes("reset", &spec.reset)?;
    let screen = &spec.screen;
    let chrome = screen
        .chrome
        .iter()
        .map(|s| {
            // Checked as written first, so an error quotes the operator's own pattern.
            regex("screen.chrome", s)?;
            Regex::new(&Layout::anchor_chrome(s.get_ref())).map_err(|e| {
                let problem = Problem::BadRegex {
                    field: "screen.chrome",
                    pattern: s.get_ref().clone(),
                    error: e.to_string(),
                };
                at(Some(s.span()), problem)
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let composer = match &screen.composer {
        None => None,
        Some(c) => {
            let re = regex("screen.composer", c)?;
            if !re.capture_names().flatten().any(|n| n == "text") {
                return Err(at(
                    Some(c.span()),
                    Problem::ComposerWithoutText(c.get_ref().clone()),
                ));
            }
            if chrome.is_empty() {
                return Err(at(Some(c.span()), Problem::ComposerWithoutChrome));
            }
            Some(re)
        }
    };
    let layout = Layout {
        chrome,
        chrome_always: screen.chrome_always,
        composer,
        composer_prefix: screen
            .composer_prefix
            .as_ref()
            .map(|p| regex("screen.composer_prefix", p))
            .transpose()?,
        placeholder: match &screen.placeholder {
            None => None,
            Some(p) => {
                regex("screen.placeholder", p)?;
                // The whole composer text must be the placeholder, not a word of a draft.
                Some(
                    Regex::new(&format!(r"\A(?:{})\z", p.get_ref())).map_err(|e| {
                        let problem = Problem::BadRegex {
                            field: "screen.placeholder",
                            pattern: p.get_ref().clone(),
                            error: e.to_string(),
                        };
                        at(Some(p.span()), problem)
                    })?,
                )
            }
        },
        pasted: screen
            .pasted
            .as_ref()
            .map(|p| regex("screen.pasted", p))
            .transpose()?,
        bracketed_paste: screen.bracketed_paste,
    };
    for (re, s) in reset.iter().zip(&spec.reset) {
        let names: Vec<_> = re.capture_names().flatten().collect();
        if !names.contains(&"clock") && !names.contains(&"duration") {
            return Err(at(
                Some(s.span()),
                Problem::ResetWithoutGroup(s.get_ref().clone()),
            ));
        }
    }

    let mut rules = Vec::with_capacity(spec.rules.len() + 1);
    for r in &spec.rules {
        let region = Region::parse(r.region.get_ref(), r.lines).ok_or_else(|| {
            at(
                Some(r.region.span()),
                Problem::UnknownRegion(r.region.get_ref().clone()),
            )
        })?;
        if region == Region::LastTurn && turn_start.is_none() {
            return Err(at(
                Some(r.region.span()),
                Problem::LastTurnWithoutTurnStart(r.name.clone()),
            ));
        }
        let activity = r
            .activity
            .get_ref()
            .parse::<Activity>()
            .ok()
            .filter(|a| *a != Activity::Unknown)
            .ok_or_else(|| {
                at(
                    Some(r.activity.span()),
                    Problem::UnknownActivity(r.activity.get_ref().clone()),
                )
            })?;
        let error = match &r.error {
            None => None,
            Some(e) => Some(
                e.get_ref()
                    .parse::<ErrorKind>()
                    .map_err(|_| at(Some(e.span()), Problem::UnknownError(e.get_ref().clone())))?,
            ),
        };
        rules.push(Rule {
            name: r.name.clone(),
            region,
            regex: regex("regex", &r.regex)?,
            unless: r.unless.as_ref().map(|u| regex("unless", u)).transpose()?,
            priority: r.priority,
            activity,
            error,
            approve: r.approve.as_deref().map(keys).transpose()?,
            deny: r.deny.as_deref().map(keys).transpose()?,
        });
    }
    if !rules.iter().any(|r| r.name == "pane-dead") {
        rules.push(Rule::pane_dead());
    }
    if !rules.iter().any(|r| r.name == "not-installed") {
        rules.push(Rule::not_installed());
    }
    // Stable: rules of equal priority keep the order they were written in.
    rules.sort_by_key(|r| std::cmp::Reverse(r.priority));

    let approve = keys(&spec.keys.approve)?;
    let deny = keys(&spec.keys.deny)?;
    if rules.iter().any(|r| r.activity == Activity::NeedsInput)
        && (approve.is_empty() || deny.is_empty())
    {
        return Err(at(Some(spec.name.span()), Problem::NoAnswerKeys));
    }
    let session = match &spec.session {
        None => None,
        Some(s) => Some(session_args(s, &at, &regex)?),
    };
    let (hooks, titles) = super::signals::parse(spec.hooks.as_ref(), &spec.title, &at)?;
    let interrupt = match &spec.keys.interrupt {
        Some(list) => keys(list)?,
        None => vec!["C-c".to_string()],
    };

    Ok(Profile {
        name: spec.name.get_ref().clone(),
        description: spec.description,
        recognize: Recognize {
            commands: spec.recognize.commands,
            command_patterns: regexes(
                "recognize.command_patterns",
                &spec.recognize.command_patterns,
            )?,
            banner: regexes("recognize.banner", &spec.recognize.banner)?,
        },
        turn_start,
        masks: regexes("masks", &spec.masks)?,
        reset,
        keys: Keys {
            approve,
            deny,
            interrupt,
            continue_message: spec.keys.continue_message,
            session,
        },
        rules,
        layout,
        usage_screen: match &spec.usage.screen {
            Some(re) => Some(regex("usage.screen", re)?.as_str().to_string()),
            None => None,
        },
        hooks,
        titles,
        source: file.to_path_buf(),
    })
}

/// toml reports an absent key as "missing field `name`".
fn missing_field(msg: &str) -> Option<String> {
    let rest = msg.strip_prefix("missing field `")?;
    Some(rest.split('`').next()?.to_string())
}

/// 1-based line and column (in characters) of byte `offset` in `source`.
fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// A place in the profile's text.
type Span = std::ops::Range<usize>;

/// Compiles one of the profile's regexes, naming the field and place when it fails.
type RegexOf<'a> = dyn Fn(&'static str, &Spanned<String>) -> Result<Regex, ProfileError> + 'a;

/// Check a `[session]` table: the arguments hold `{session}`, and the id comes from
/// exactly one place (`launch`, shoal assigns it; `discover`, a regex over the
/// transcript file's name with a `session` group).
fn session_args(
    s: &SessionFile,
    at: &dyn Fn(Option<Span>, Problem) -> ProfileError,
    regex: &RegexOf<'_>,
) -> Result<SessionArgs, ProfileError> {
    let with_id = |v: &Spanned<String>| {
        if v.get_ref().contains("{session}") {
            Ok(v.get_ref().clone())
        } else {
            Err(at(
                Some(v.span()),
                Problem::Syntax(format!(
                    "session arguments {:?} lack {{session}}, where shoal puts the session id (e.g. \"--resume {{session}}\")",
                    v.get_ref()
                )),
            ))
        }
    };
    let resume = with_id(&s.resume)?;
    let discover = match &s.discover {
        Some(re) => {
            let compiled = regex("session.discover", re)?;
            if !compiled.capture_names().any(|n| n == Some("session")) {
                return Err(at(
                    Some(re.span()),
                    Problem::Syntax(format!(
                        "session.discover {:?} has no (?P<session>…) group, which names the id in the transcript file's name",
                        re.get_ref()
                    )),
                ));
            }
            Some(compiled.as_str().to_string())
        }
        None => None,
    };
    let launch = s.launch.as_ref().map(with_id).transpose()?;
    if launch.is_some() == discover.is_some() {
        return Err(at(
            Some(s.resume.span()),
            Problem::Syntax(
                "[session] needs exactly one of `launch` (the arguments that give the CLI an id shoal chose, e.g. \"--session-id {session}\") and `discover` (a regex over the transcript file's name with a (?P<session>…) group)".into(),
            ),
        ));
    }
    Ok(SessionArgs {
        launch,
        discover,
        resume,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"
name = "t"
[keys]
approve = ["y", "Enter"]
deny = ["n", "Enter"]

[[rules]]
name = "ask"
region = "last-lines"
lines = 1
regex = '\[y/N\]\s*$'
priority = 10
activity = "needs-input"
"#;

    fn err(src: &str) -> ProfileError {
        match parse(Path::new("t.toml"), src) {
            Ok(_) => panic!("expected an error for:\n{src}"),
            Err(e) => e,
        }
    }

    #[test]
    fn a_good_profile_parses_with_defaults() {
        let p = parse(Path::new("t.toml"), OK).unwrap();
        assert_eq!(p.name(), "t");
        assert_eq!(p.interrupt_keys(), ["C-c"]);
        assert_eq!(p.approve_keys(), ["y", "Enter"]);
        // The implicit rules for a dead pane come first (highest priority).
        assert_eq!(p.rules[0].name, "not-installed");
        assert_eq!(p.rules[1].name, "pane-dead");
    }

    #[test]
    fn bad_regex_names_line_column_and_pattern() {
        let e = err(&OK.replace(r"'\[y/N\]\s*$'", "'([y/N]'"));
        assert_eq!((e.line, e.column), (Some(11), Some(9)));
        let msg = e.to_string();
        assert!(
            msg.starts_with("t.toml:11:9: bad regex in `regex`: \"([y/N]\""),
            "{msg}"
        );
        assert!(msg.contains("unclosed"), "{msg}");
    }

    #[test]
    fn unknown_region_lists_the_valid_ones() {
        let e = err(&OK.replace("\"last-lines\"", "\"bottom\""));
        assert_eq!(e.problem, Problem::UnknownRegion("bottom".into()));
        assert_eq!(e.line, Some(9));
        assert!(e.to_string().contains("below-rule, last-box"));
    }

    #[test]
    fn missing_and_unknown_fields() {
        let e = err(&OK.replace("priority = 10\n", ""));
        assert_eq!(e.problem, Problem::MissingField("priority".into()));
        assert!(e.line.is_some());
        let e = err(&OK.replace("lines = 1", "line = 1"));
        assert!(
            matches!(e.problem, Problem::Syntax(ref m) if m.contains("line")),
            "{e}"
        );
        assert_eq!(e.line, Some(10));
    }

    #[test]
    fn unknown_activity_and_error() {
        let e = err(&OK.replace("\"needs-input\"", "\"busy\""));
        assert_eq!(e.problem, Problem::UnknownActivity("busy".into()));
        assert!(e.to_string().contains("working, needs-input"));
        let e = err(&OK.replace("activity = \"needs-input\"", "activity = \"unknown\""));
        assert_eq!(e.problem, Problem::UnknownActivity("unknown".into()));
        let e = err(&format!("{OK}error = \"billing\"\n"));
        assert_eq!(e.problem, Problem::UnknownError("billing".into()));
    }

    #[test]
    fn consistency_checks() {
        let e = err(&OK.replace("approve = [\"y\", \"Enter\"]\n", ""));
        assert_eq!(e.problem, Problem::NoAnswerKeys);
        let e = err(&OK.replace("\"last-lines\"", "\"last-turn\""));
        assert_eq!(e.problem, Problem::LastTurnWithoutTurnStart("ask".into()));
        let e = err(&OK.replace("name = \"t\"", "name = \"t\"\nreset = ['in (\\d+)s']"));
        assert!(matches!(e.problem, Problem::ResetWithoutGroup(_)));
        let e = err(&OK.replace("name = \"t\"", "name = \"my tool\""));
        assert_eq!(e.problem, Problem::BadName("my tool".into()));
        assert_eq!(e.line, Some(2));
        let e = err(&OK.replace("\"y\", \"Enter\"", "\"y Enter\""));
        assert_eq!(e.problem, Problem::BadKey("y Enter".into()));
    }

    #[test]
    fn the_screen_table_is_checked() {
        // A table must come before the [[rules]] array in TOML.
        let put =
            |screen: &str| OK.replace("[[rules]]", &format!("[screen]\n{screen}\n\n[[rules]]"));
        let p = parse(
            Path::new("t.toml"),
            &put("chrome = ['> [^\\n]*']\ncomposer = '> (?P<text>.*)'\nbracketed_paste = true"),
        )
        .unwrap();
        assert!(p.bracketed_paste());
        assert_eq!(p.composer_text("out\n> draft").as_deref(), Some("draft"));
        let e = err(&put("chrome = ['> .*']\ncomposer = '> (.*)'"));
        assert!(matches!(e.problem, Problem::ComposerWithoutText(_)), "{e}");
        assert!(e.to_string().contains("(?P<text>"), "{e}");
        let e = err(&put("composer = '> (?P<text>.*)'"));
        assert_eq!(e.problem, Problem::ComposerWithoutChrome);
        let e = err(&put("chrome = ['(> ']"));
        assert!(
            matches!(&e.problem, Problem::BadRegex { field: "screen.chrome", pattern, .. } if pattern == "(> "),
            "{e}"
        );
        let e = err(&put("chrome = ['x']\nchrome_alwayz = true"));
        assert!(
            matches!(e.problem, Problem::Syntax(ref m) if m.contains("chrome_alwayz")),
            "{e}"
        );
    }

    #[test]
    fn rule_keys_are_checked_like_the_profile_keys() {
        let p = parse(Path::new("t.toml"), &format!("{OK}deny = [\"2\"]\n")).unwrap();
        let d = p.classify("Go? [y/N]");
        assert_eq!(
            (d.approve.as_slice(), d.deny.as_slice()),
            (
                &["y".to_string(), "Enter".to_string()][..],
                &["2".to_string()][..]
            )
        );
        let e = err(&format!("{OK}deny = [\"a b\"]\n"));
        assert_eq!(e.problem, Problem::BadKey("a b".into()));
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\n❯❯x", 9), (2, 3));
        assert_eq!(line_col("ab", 99), (1, 3));
    }
}
