//! Named parts of a screen that rules look at.
//!
//! Anchoring is what keeps detection truthful: a live dialog sits at the bottom of the
//! screen (in the last box, below the last rule, in the last lines), while the same words
//! higher up are only transcript. Every region is a contiguous range of screen lines, so a
//! match can always be reported with its line numbers.

use regex::Regex;
use std::fmt;
use std::ops::Range;

/// A screen split into transcript and chrome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Frame {
    /// Lines above the chrome; the whole screen when no chrome was found.
    pub transcript: Range<usize>,
    /// Lines of the chrome, when a chrome shape matched.
    pub chrome: Option<Range<usize>>,
}

impl Frame {
    /// The whole screen as transcript, no chrome (a profile without `[screen] chrome`).
    pub fn whole(screen: &Screen) -> Frame {
        Frame {
            transcript: 0..screen.end(),
            chrome: None,
        }
    }
}

/// Every region name a profile may use, as written in the TOML.
pub const REGION_NAMES: &[&str] = &[
    "screen",
    "last-lines",
    "below-rule",
    "last-box",
    "bottom-block",
    "last-turn",
    "transcript",
    "chrome",
];

/// Non-empty lines allowed under a box's bottom edge for it still to count as "at the
/// bottom" (key hints, a status footer). A horizontal rule under it never is a footer:
/// it means an input area follows and the box is transcript.
const BOX_FOOTER_LINES: usize = 3;

/// Default `lines` for `last-lines` when a rule gives none.
pub const DEFAULT_LAST_LINES: usize = 5;

/// A part of the screen a rule's regex is matched against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Region {
    /// The whole visible screen.
    Screen,
    /// The last N non-empty lines (and the blank lines between them).
    LastLines(usize),
    /// Everything below the last horizontal rule (`────`); empty when there is none.
    BelowRule,
    /// The last `╭…╰` / `┌…└` box, only when it sits at the bottom of the screen.
    LastBox,
    /// The lines after the last blank line.
    BottomBlock,
    /// From the last line above the chrome matching the profile's `turn_start` to the
    /// bottom (the chrome's composer may look like a turn start; it never is one).
    LastTurn,
    /// The lines above the chrome (`[screen] chrome`); the whole screen without one.
    Transcript,
    /// The chrome at the bottom; empty when the profile names none or none is drawn.
    Chrome,
}

impl Region {
    /// Parses a TOML region name; `lines` only matters for `last-lines`.
    pub fn parse(name: &str, lines: Option<usize>) -> Option<Region> {
        Some(match name {
            "screen" => Region::Screen,
            "last-lines" => Region::LastLines(lines.unwrap_or(DEFAULT_LAST_LINES).max(1)),
            "below-rule" => Region::BelowRule,
            "last-box" => Region::LastBox,
            "bottom-block" => Region::BottomBlock,
            "last-turn" => Region::LastTurn,
            "transcript" => Region::Transcript,
            "chrome" => Region::Chrome,
            _ => return None,
        })
    }

    /// The TOML name of this region.
    pub fn name(&self) -> &'static str {
        match self {
            Region::Screen => "screen",
            Region::LastLines(_) => "last-lines",
            Region::BelowRule => "below-rule",
            Region::LastBox => "last-box",
            Region::BottomBlock => "bottom-block",
            Region::LastTurn => "last-turn",
            Region::Transcript => "transcript",
            Region::Chrome => "chrome",
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A screen split into lines (ANSI already stripped, trailing blanks trimmed per line).
#[derive(Debug, Clone)]
pub struct Screen {
    lines: Vec<String>,
    /// One past the last non-empty line: regions never include the blank tail.
    end: usize,
}

impl Screen {
    /// Splits stripped screen text into lines.
    pub fn new(text: &str) -> Screen {
        let lines: Vec<String> = text
            .split('\n')
            .map(|l| l.trim_end_matches([' ', '\t', '\r']).to_string())
            .collect();
        let end = lines
            .iter()
            .rposition(|l| !l.trim().is_empty())
            .map_or(0, |i| i + 1);
        Screen { lines, end }
    }

    /// One past the last non-empty line.
    pub fn end(&self) -> usize {
        self.end
    }

    /// The screen's lines, top first.
    #[cfg(test)]
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// The line indices (0-based, end exclusive) that `region` covers; `frame` is where
    /// the screen's chrome is.
    pub fn range(&self, region: Region, turn_start: Option<&Regex>, frame: &Frame) -> Range<usize> {
        let end = self.end;
        let blank = |i: usize| self.lines[i].trim().is_empty();
        match region {
            Region::Screen => 0..end,
            Region::LastLines(n) => {
                let mut seen = 0;
                let mut start = end;
                while start > 0 && seen < n {
                    start -= 1;
                    if !blank(start) {
                        seen += 1;
                    }
                }
                start..end
            }
            Region::BelowRule => match (0..end).rev().find(|&i| is_rule(&self.lines[i])) {
                Some(r) => (r + 1)..end,
                None => end..end,
            },
            Region::LastBox => self.last_box(),
            Region::BottomBlock => {
                let start = (0..end).rev().find(|&i| blank(i)).map_or(0, |i| i + 1);
                start..end
            }
            Region::LastTurn => {
                let above = frame.transcript.end.min(end);
                let start = turn_start
                    .and_then(|re| (0..above).rev().find(|&i| re.is_match(&self.lines[i])))
                    .unwrap_or(0);
                start..end
            }
            Region::Transcript => frame.transcript.start..frame.transcript.end.min(end),
            Region::Chrome => frame.chrome.clone().unwrap_or(end..end),
        }
    }

    fn last_box(&self) -> Range<usize> {
        let end = self.end;
        let edge = |i: usize, corners: &[char]| {
            self.lines[i]
                .trim_start()
                .starts_with(|c: char| corners.contains(&c))
        };
        let bottom = (0..end).rev().find(|&i| edge(i, &['╰', '└']));
        let top = (0..end).rev().find(|&i| edge(i, &['╭', '┌']));
        match (top, bottom) {
            // A box still open at the bottom (its lower edge not drawn yet or cut off).
            (Some(t), b) if b.map_or(true, |b| t > b) => t..end,
            (t, Some(b)) => {
                let below: Vec<&String> = self.lines[b + 1..end]
                    .iter()
                    .filter(|l| !l.trim().is_empty())
                    .collect();
                if below.len() > BOX_FOOTER_LINES || below.iter().any(|l| is_rule(l)) {
                    return end..end;
                }
                let t = t.filter(|&t| t <= b).unwrap_or(0);
                t..(b + 1)
            }
            _ => end..end,
        }
    }

    /// The lines of `range` joined with `\n`.
    pub fn text(&self, range: &Range<usize>) -> String {
        self.lines[range.clone()].join("\n")
    }
}

/// A horizontal rule: a line made of box-drawing dashes (a few words inside are allowed).
fn is_rule(line: &str) -> bool {
    const DASHES: &[char] = &['─', '━', '═', '╌', '╍', '┄', '┅', '┈', '┉'];
    let t = line.trim();
    if !t.starts_with(DASHES) {
        return false;
    }
    let total = t.chars().filter(|c| !c.is_whitespace()).count();
    let dashes = t.chars().filter(|c| DASHES.contains(c)).count();
    dashes >= 8 && dashes * 5 >= total * 4
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(screen: &Screen, region: Region, turn: Option<&Regex>) -> Vec<String> {
        let frame = Frame::whole(screen);
        let r = screen.range(region, turn, &frame);
        screen.lines()[r].to_vec()
    }

    const DIALOG: &str = "transcript\n╭──────╮\n│ old  │\n╰──────╯\nmore\n\n╭──────╮\n│ Do it? │\n│ 1. Yes │\n╰──────╯\n  esc to cancel\n\n";

    #[test]
    fn last_box_is_the_bottom_one() {
        let s = Screen::new(DIALOG);
        assert_eq!(
            lines_of(&s, Region::LastBox, None),
            vec!["╭──────╮", "│ Do it? │", "│ 1. Yes │", "╰──────╯"]
        );
    }

    #[test]
    fn a_box_far_above_the_bottom_is_not_the_last_box() {
        let s = Screen::new("╭────╮\n│ q? │\n╰────╯\na\nb\nc\nd\ne\n");
        assert!(lines_of(&s, Region::LastBox, None).is_empty());
    }

    #[test]
    fn a_box_above_an_input_area_is_not_the_last_box() {
        let rule = "─".repeat(40);
        let s = Screen::new(&format!(
            "╭────╮\n│ q? │\n╰────╯\n{rule}\n❯\n{rule}\n  hints"
        ));
        assert!(lines_of(&s, Region::LastBox, None).is_empty());
    }

    #[test]
    fn an_open_box_at_the_bottom_counts() {
        let s = Screen::new("x\n┌────────\n│ Allow? │\n│ 1. Yes");
        assert_eq!(lines_of(&s, Region::LastBox, None).len(), 3);
    }

    #[test]
    fn below_rule_and_last_lines() {
        let s = Screen::new("a\n────────────\n❯ \n────────────\n\n  footer\n\n\n");
        assert_eq!(lines_of(&s, Region::BelowRule, None), vec!["", "  footer"]);
        assert_eq!(
            lines_of(&s, Region::LastLines(2), None),
            vec!["────────────", "", "  footer"]
        );
        let no_rule = Screen::new("a\nb");
        assert!(lines_of(&no_rule, Region::BelowRule, None).is_empty());
    }

    #[test]
    fn rule_detection_ignores_markdown_and_boxes() {
        assert!(is_rule(&"─".repeat(80)));
        assert!(!is_rule("--------------"));
        assert!(!is_rule("╭────────────╮"));
        assert!(!is_rule("── a long sentence with a dash prefix ──"));
    }

    #[test]
    fn bottom_block_and_last_turn() {
        let s = Screen::new("> one\nx\n\n> two\ny\nz\n\n");
        assert_eq!(
            lines_of(&s, Region::BottomBlock, None),
            vec!["> two", "y", "z"]
        );
        let turn = Regex::new(r"^> \S").unwrap();
        assert_eq!(
            lines_of(&s, Region::LastTurn, Some(&turn)),
            vec!["> two", "y", "z"]
        );
        assert_eq!(lines_of(&s, Region::LastTurn, None).len(), 6);
    }

    #[test]
    fn transcript_chrome_and_a_composer_that_looks_like_a_turn() {
        let s = Screen::new("› fix it\nok\n\n› draft\n  footer\n");
        let frame = Frame {
            transcript: 0..3,
            chrome: Some(3..5),
        };
        let turn = Regex::new(r"^› \S").unwrap();
        let of = |r| s.lines()[s.range(r, Some(&turn), &frame)].to_vec();
        assert_eq!(of(Region::Transcript), vec!["› fix it", "ok", ""]);
        assert_eq!(of(Region::Chrome), vec!["› draft", "  footer"]);
        assert_eq!(
            of(Region::LastTurn).len(),
            5,
            "the turn starts above the chrome"
        );
        let none = Frame::whole(&s);
        assert!(s.lines()[s.range(Region::Chrome, None, &none)].is_empty());
    }

    #[test]
    fn region_names_round_trip() {
        for name in REGION_NAMES {
            assert_eq!(Region::parse(name, Some(2)).map(|r| r.name()), Some(*name));
        }
        assert_eq!(Region::parse("bottom", None), None);
    }
}
