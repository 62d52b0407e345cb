//! Where a screen's transcript ends and its chrome begins, and what the composer holds.
//!
//! An agent CLI draws the same furniture under its transcript on every frame: a status
//! line, the input box (the composer), a footer. That chrome animates (spinners, timers,
//! a footer that shifts when a timer gains a digit) without the agent making any progress,
//! and it is where typed text shows before it is submitted. A profile's `[screen]` table
//! says what a complete frame's chrome looks like; from it come the progress region (the
//! transcript above the chrome), torn captures (a frame caught mid-redraw, with no chrome),
//! and the composer's text.

use super::normalize::{digest, normalize_stripped, strip_ansi};
pub(crate) use super::region::Frame;
use super::region::{self, Screen};
use super::{rules, Profile};
use crate::fleet::Activity;
use regex::Regex;

/// The `[screen]` table of a profile, compiled.
#[derive(Debug, Clone, Default)]
pub(crate) struct Layout {
    /// Shapes of a complete frame's bottom, each compiled as `(?m)^(?:P)\z`: the chrome
    /// starts at the leftmost line from which one of them matches to the end.
    pub chrome: Vec<Regex>,
    /// Every complete frame draws one of the chrome shapes, apart from dialogs and a dead
    /// pane: a capture with none of them was taken mid-redraw.
    pub chrome_always: bool,
    /// The composer, matched in the chrome; group `text` is what it holds.
    pub composer: Option<Regex>,
    /// Removed from the start of every line of the composer's text (aider repeats its
    /// "> " prompt on each line of a multi-line draft).
    pub composer_prefix: Option<Regex>,
    /// Composer text that is only a hint (`Ask Codex to do anything`): the composer is empty.
    pub placeholder: Option<Regex>,
    /// How the composer shows a long paste it collapsed (`[Pasted text #1 +17 lines]`).
    pub pasted: Option<Regex>,
    /// The CLI understands bracketed paste (pasted newlines do not submit).
    pub bracketed_paste: bool,
}

impl Layout {
    /// Wraps a `chrome` pattern so it must start at a line start and reach the screen's end.
    pub fn anchor_chrome(pattern: &str) -> String {
        format!(r"(?m)^(?:{pattern})\z")
    }

    /// Where the chrome of `screen` starts, if one of the shapes matches.
    pub fn frame(&self, screen: &Screen) -> Frame {
        if self.chrome.is_empty() {
            return Frame::whole(screen);
        }
        let all = 0..screen.end();
        let text = screen.text(&all);
        let start = self
            .chrome
            .iter()
            .filter_map(|re| re.find(&text).map(|m| m.start()))
            .min();
        match start {
            Some(at) => {
                let line = text.as_bytes()[..at]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count();
                Frame {
                    transcript: 0..line,
                    chrome: Some(line..all.end),
                }
            }
            None => Frame {
                transcript: all,
                chrome: None,
            },
        }
    }

    /// The composer's text: `None` when no composer is on the screen, `Some("")` when it is
    /// empty or shows only its placeholder. Lines are trimmed and joined with `\n`, so a
    /// long line the composer wrapped comes back as several lines.
    pub fn composer_text(&self, screen: &Screen) -> Option<String> {
        let re = self.composer.as_ref()?;
        let chrome = self.frame(screen).chrome?;
        let text = screen.text(&chrome);
        let caps = re.captures_iter(&text).last()?;
        let raw = caps.name("text").map_or("", |m| m.as_str());
        let strip = |l: &'_ str| -> String {
            let l = l.trim();
            match &self.composer_prefix {
                Some(p) => p.replace(l, "").trim().to_string(),
                None => l.to_string(),
            }
        };
        let lines: Vec<String> = raw.lines().map(strip).collect();
        let mut typed = lines.join("\n").trim().to_string();
        if self
            .placeholder
            .as_ref()
            .is_some_and(|p| p.is_match(&typed))
        {
            typed.clear();
        }
        Some(typed)
    }
}

/// Reading a screen's parts: what the supervisor needs for proof of life and for typing.
impl Profile {
    /// The proof-of-life text of a capture: the transcript above the chrome (the whole
    /// screen when the profile names no chrome or none is drawn), with timers, counters,
    /// spinners and alignment masked. Two captures of an agent that printed nothing new give
    /// the same text, whatever the status line and footer did in between.
    pub fn progress_text(&self, screen: &str) -> String {
        let text = strip_ansi(screen);
        let s = region::Screen::new(&text);
        let frame = self.layout.frame(&s);
        normalize_stripped(&s.text(&frame.transcript), &self.masks)
    }

    /// The 0-based screen line where the chrome starts (the transcript is above it), when
    /// the profile names a chrome and the screen draws one.
    pub fn chrome_start(&self, screen: &str) -> Option<usize> {
        let text = strip_ansi(screen);
        let s = region::Screen::new(&text);
        self.layout.frame(&s).chrome.map(|c| c.start)
    }

    /// The digest of [`Profile::progress_text`]: equal digests mean no progress.
    pub fn progress_digest(&self, screen: &str) -> String {
        digest(&self.progress_text(screen))
    }

    /// True when the capture caught the CLI mid-redraw: the profile says every complete
    /// frame draws its chrome (`chrome_always`), this one has none, and no rule recognises
    /// it as a chrome-less frame (a dialog, a dead pane). A torn capture is evidence of
    /// nothing: neither progress nor a change of activity.
    pub fn is_torn(&self, screen: &str) -> bool {
        if !self.layout.chrome_always {
            return false;
        }
        let text = strip_ansi(screen);
        let s = region::Screen::new(&text);
        if s.end() == 0 {
            return false;
        }
        let frame = self.layout.frame(&s);
        if frame.chrome.is_some() {
            return false;
        }
        let d = rules::apply(self, &s, &frame);
        !matches!(d.activity, Activity::NeedsInput | Activity::Exited)
    }

    /// What the composer (the input box) holds: `None` when no composer is drawn (a
    /// dialog is up, the pane is dead, the capture is torn, or the profile names none),
    /// `Some("")` when it is empty or shows its placeholder. Wrapped lines come back as
    /// separate lines; compare with [`composer_shows`].
    pub fn composer_text(&self, screen: &str) -> Option<String> {
        let text = strip_ansi(screen);
        let s = region::Screen::new(&text);
        let frame = self.layout.frame(&s);
        // A live dialog takes the keys: whatever looks like a composer under it is not one
        // (Codex's approval list is drawn where its composer was).
        frame.chrome.as_ref()?;
        if rules::apply(self, &s, &frame).activity == Activity::NeedsInput {
            return None;
        }
        self.layout.composer_text(&s)
    }

    /// Whether the composer holds `typed`: its text contains it (compared with
    /// [`composer_shows`], as the composer wraps long lines), or the CLI collapsed a long
    /// paste into its placeholder (`[Pasted text #1 +17 lines]`, `screen.pasted`). `None`
    /// when no composer is drawn.
    pub fn composer_holds(&self, screen: &str, typed: &str) -> Option<bool> {
        let shown = self.composer_text(screen)?;
        let collapsed = !typed.trim().is_empty()
            && self
                .layout
                .pasted
                .as_ref()
                .is_some_and(|p| p.is_match(&shown));
        Some(collapsed || composer_shows(&shown, typed))
    }

    /// True when the CLI waits at its own prompt with an empty composer: the moment to type
    /// a task (or, after an error, a message). Never true while it starts up or works,
    /// shows a dialog, has a draft typed, or the capture is torn.
    pub fn ready_for_input(&self, screen: &str) -> bool {
        let text = strip_ansi(screen);
        let s = region::Screen::new(&text);
        let frame = self.layout.frame(&s);
        if frame.chrome.is_none() || self.layout.composer.is_none() {
            return false;
        }
        matches!(
            rules::apply(self, &s, &frame).activity,
            Activity::Idle | Activity::Errored
        ) && self.layout.composer_text(&s).is_some_and(|t| t.is_empty())
    }

    /// The profile names a composer and a chrome to find it in: typed text can be read
    /// back, and readiness is known from the screen rather than guessed.
    pub fn reads_composer(&self) -> bool {
        self.layout.composer.is_some() && !self.layout.chrome.is_empty()
    }

    /// The CLI understands bracketed paste: text pasted with `paste-buffer -p` lands in the
    /// composer whole, newlines included, and only Enter submits it.
    pub fn bracketed_paste(&self) -> bool {
        self.layout.bracketed_paste
    }
}

/// True when `shown` (a composer's text, wrapped by the CLI) holds `typed`: both compared
/// with every run of whitespace as one space, since the composer wraps long lines.
pub fn composer_shows(shown: &str, typed: &str) -> bool {
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let typed = squash(typed);
    !typed.is_empty() && squash(shown).contains(&typed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(chrome: &[&str], composer: Option<&str>, placeholder: Option<&str>) -> Layout {
        Layout {
            chrome: chrome
                .iter()
                .map(|p| Regex::new(&Layout::anchor_chrome(p)).unwrap())
                .collect(),
            composer: composer.map(|c| Regex::new(c).unwrap()),
            composer_prefix: None,
            placeholder: placeholder.map(|p| Regex::new(&format!(r"\A(?:{p})\z")).unwrap()),
            chrome_always: true,
            pasted: None,
            bracketed_paste: true,
        }
    }

    const BOX: &str = r"─{8,}\n› [^\n]*(?:\n  [^\n]*)*\n─{8,}(?:\n[^\n]*)?";

    #[test]
    fn the_chrome_is_the_bottom_shape_and_the_rest_is_transcript() {
        let l = layout(
            &[BOX],
            Some(r"(?m)^› (?P<text>[^\n]*(?:\n  [^\n]*)*)"),
            None,
        );
        let rule = "─".repeat(20);
        let s = Screen::new(&format!(
            "hello\n› old turn\nanswer\n{rule}\n› draft\n  more\n{rule}\n  footer\n\n"
        ));
        let f = l.frame(&s);
        assert_eq!(f.transcript, 0..3);
        assert_eq!(f.chrome, Some(3..8));
        assert_eq!(l.composer_text(&s).as_deref(), Some("draft\nmore"));
    }

    #[test]
    fn no_chrome_means_the_whole_screen_and_no_composer() {
        let l = layout(&[BOX], Some(r"› (?P<text>.*)"), None);
        let s = Screen::new("hello\n› half a fra");
        assert_eq!(
            l.frame(&s),
            Frame {
                transcript: 0..2,
                chrome: None
            }
        );
        assert_eq!(l.composer_text(&s), None);
    }

    #[test]
    fn a_placeholder_is_an_empty_composer() {
        let l = layout(
            &[r"› [^\n]*"],
            Some(r"› (?P<text>.*)"),
            Some("Ask .* anything"),
        );
        assert_eq!(
            l.composer_text(&Screen::new("x\n› Ask me anything"))
                .as_deref(),
            Some("")
        );
        assert_eq!(
            l.composer_text(&Screen::new("x\n› Ask me")).as_deref(),
            Some("Ask me")
        );
    }

    #[test]
    fn composer_shows_ignores_wrapping() {
        assert!(composer_shows(
            "Create a marker\nfile in this",
            "Create a marker file in"
        ));
        assert!(!composer_shows("Create a", "Create a marker"));
        assert!(!composer_shows("anything", "  "));
    }
}
