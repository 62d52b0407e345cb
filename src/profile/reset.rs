//! When an errored agent may try again: reset times read off an error screen.

use regex::Regex;
use serde::ser::{Serialize, SerializeStruct, Serializer};
use std::fmt;
use std::sync::LazyLock;
use std::time::Duration;

const DAY_MS: i64 = 86_400_000;

/// A reset time shown on an error screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetHint {
    /// A wall-clock time in the machine's local time ("resets 4:20pm", "at 16:20").
    At {
        /// Hour, 0–23.
        hour: u8,
        /// Minute, 0–59.
        minute: u8,
    },
    /// A delay from the moment of the capture ("try again in 4 days 6 hours").
    In(Duration),
}

impl ResetHint {
    /// The reset moment as unix milliseconds, given the capture time and the local UTC
    /// offset. A clock time already past today means that time tomorrow.
    pub fn resolve(&self, now_ms: i64, local_offset_secs: i32) -> i64 {
        match *self {
            ResetHint::In(d) => {
                now_ms.saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            }
            ResetHint::At { hour, minute } => {
                let offset_ms = i64::from(local_offset_secs) * 1000;
                let local_now = now_ms + offset_ms;
                let midnight = local_now.div_euclid(DAY_MS) * DAY_MS;
                let mut at = midnight + (i64::from(hour) * 3600 + i64::from(minute) * 60) * 1000;
                if at < local_now {
                    at += DAY_MS;
                }
                at - offset_ms
            }
        }
    }

    /// Reads a clock time: `4pm`, `4:20pm`, `4:20 p.m.`, `16:20`.
    pub fn parse_clock(text: &str) -> Option<ResetHint> {
        static CLOCK: LazyLock<Regex> =
            LazyLock::new(|| re(r"(?i)^\s*(\d{1,2})(?::(\d{2}))?\s*(?:([ap])\.?\s*m\.?)?\s*$"));
        let c = CLOCK.captures(text)?;
        let mut hour: u8 = c.get(1)?.as_str().parse().ok()?;
        let minute: u8 = c.get(2).map_or(Some(0), |m| m.as_str().parse().ok())?;
        if let Some(half) = c.get(3) {
            if !(1..=12).contains(&hour) {
                return None;
            }
            hour %= 12;
            if half.as_str().eq_ignore_ascii_case("p") {
                hour += 12;
            }
        } else if c.get(2).is_none() {
            // A bare number ("resets 5") could be anything; only a clock-shaped value counts.
            return None;
        }
        (hour < 24 && minute < 60).then_some(ResetHint::At { hour, minute })
    }

    /// Reads a duration: `32.0 seconds`, `4 days 6 hours`, `1h 5m`, `5 minutes`, `200ms`.
    pub fn parse_duration(text: &str) -> Option<ResetHint> {
        static PART: LazyLock<Regex> = LazyLock::new(|| {
            re(
                r"(?i)(\d+(?:\.\d+)?)\s*(milliseconds?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w)\b",
            )
        });
        let mut total = 0f64;
        let mut any = false;
        for c in PART.captures_iter(text) {
            let n: f64 = c[1].parse().ok()?;
            let unit = c[2].to_ascii_lowercase();
            let secs = match unit.as_str() {
                "ms" | "millisecond" | "milliseconds" => 0.001,
                "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
                "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
                "h" | "hr" | "hrs" | "hour" | "hours" => 3600.0,
                "d" | "day" | "days" => 86_400.0,
                _ => 604_800.0,
            };
            total += n * secs;
            any = true;
        }
        (any && total.is_finite() && total < 1e12)
            .then(|| ResetHint::In(Duration::from_secs_f64(total)))
    }
}

fn re(pattern: &str) -> Regex {
    // Constant patterns, exercised by the unit tests.
    Regex::new(pattern).expect("built-in reset pattern compiles")
}

/// Finds the reset hint in `text`: the match nearest the bottom among all `patterns`.
/// A pattern's named group `clock` is read as a clock time, `duration` as a delay.
pub fn extract(patterns: &[Regex], text: &str) -> Option<ResetHint> {
    let mut best: Option<(usize, ResetHint)> = None;
    for re in patterns {
        for c in re.captures_iter(text) {
            let hint = if let Some(m) = c.name("clock") {
                ResetHint::parse_clock(m.as_str()).map(|h| (m.start(), h))
            } else if let Some(m) = c.name("duration") {
                ResetHint::parse_duration(m.as_str()).map(|h| (m.start(), h))
            } else {
                None
            };
            if let Some((at, h)) = hint {
                if best.map_or(true, |(b, _)| at >= b) {
                    best = Some((at, h));
                }
            }
        }
    }
    best.map(|(_, h)| h)
}

impl fmt::Display for ResetHint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResetHint::At { hour, minute } => write!(f, "at {hour:02}:{minute:02} local time"),
            ResetHint::In(d) => {
                let rounded = Duration::from_millis(u64::try_from(d.as_millis()).unwrap_or(0));
                write!(f, "in {}", humantime::format_duration(rounded))
            }
        }
    }
}

impl Serialize for ResetHint {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ResetHint::At { hour, minute } => {
                let mut st = s.serialize_struct("ResetHint", 3)?;
                st.serialize_field("kind", "at")?;
                st.serialize_field("hour", hour)?;
                st.serialize_field("minute", minute)?;
                st.end()
            }
            ResetHint::In(d) => {
                let mut st = s.serialize_struct("ResetHint", 2)?;
                st.serialize_field("kind", "in")?;
                st.serialize_field("seconds", &d.as_secs_f64())?;
                st.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-11-21 15:59:12 UTC.
    const NOW: i64 = 1_795_276_752_000;

    #[test]
    fn clock_times() {
        let at = |h, m| Some(ResetHint::At { hour: h, minute: m });
        assert_eq!(ResetHint::parse_clock("4:20pm"), at(16, 20));
        assert_eq!(ResetHint::parse_clock("4pm"), at(16, 0));
        assert_eq!(ResetHint::parse_clock("12am"), at(0, 0));
        assert_eq!(ResetHint::parse_clock("12:05 p.m."), at(12, 5));
        assert_eq!(ResetHint::parse_clock("16:20"), at(16, 20));
        assert_eq!(ResetHint::parse_clock("5"), None);
        assert_eq!(ResetHint::parse_clock("25:00"), None);
        assert_eq!(ResetHint::parse_clock("13pm"), None);
    }

    #[test]
    fn durations() {
        let secs = |s: u64| Some(ResetHint::In(Duration::from_secs(s)));
        assert_eq!(
            ResetHint::parse_duration("4 days 6 hours"),
            secs(4 * 86_400 + 6 * 3600)
        );
        assert_eq!(ResetHint::parse_duration("32.0 seconds"), secs(32));
        assert_eq!(ResetHint::parse_duration("5 minutes"), secs(300));
        assert_eq!(ResetHint::parse_duration("1h 5m"), secs(3900));
        assert_eq!(
            ResetHint::parse_duration("2 days, 3 hours and 10 minutes"),
            secs(2 * 86_400 + 3 * 3600 + 600)
        );
        assert_eq!(
            ResetHint::parse_duration("200ms"),
            Some(ResetHint::In(Duration::from_millis(200)))
        );
        assert_eq!(ResetHint::parse_duration("soon"), None);
    }

    #[test]
    fn resolve_relative() {
        let h = ResetHint::In(Duration::from_secs(90));
        assert_eq!(h.resolve(NOW, 0), NOW + 90_000);
        assert_eq!(h.resolve(NOW, 3600), NOW + 90_000);
    }

    #[test]
    fn resolve_clock_later_today_and_tomorrow() {
        // 15:59:12 UTC; 16:20 is later today.
        let later = ResetHint::At {
            hour: 16,
            minute: 20,
        };
        assert_eq!(later.resolve(NOW, 0), NOW + (20 * 60 + 48) * 1000);
        // 15:00 has passed: tomorrow.
        let passed = ResetHint::At {
            hour: 15,
            minute: 0,
        };
        assert_eq!(passed.resolve(NOW, 0), NOW - (59 * 60 + 12) * 1000 + DAY_MS);
        // At UTC+2 it is 17:59 locally, so 16:20 local is tomorrow = 14:20 UTC tomorrow.
        let r = later.resolve(NOW, 7200);
        assert_eq!(r, NOW - (99 * 60 + 12) * 1000 + DAY_MS);
        // At UTC-5 it is 10:59 locally, so 16:20 local is today = 21:20 UTC.
        assert_eq!(
            later.resolve(NOW, -18_000),
            NOW + (5 * 3600 + 20 * 60 + 48) * 1000
        );
    }

    #[test]
    fn extract_takes_the_lowest_match() {
        let pats = [
            Regex::new(r"Retrying in (?P<duration>[\d.]+ seconds?)").unwrap(),
            Regex::new(r"(?i)resets (?P<clock>\d{1,2}(?::\d{2})?\s*[ap]m)").unwrap(),
        ];
        let text = "Retrying in 1.0 seconds\nRetrying in 32.0 seconds\nlimit resets 4:20pm";
        assert_eq!(
            extract(&pats, text),
            Some(ResetHint::At {
                hour: 16,
                minute: 20
            })
        );
        assert_eq!(
            extract(
                &pats,
                "Retrying in 1.0 seconds\nRetrying in 32.0 seconds..."
            ),
            Some(ResetHint::In(Duration::from_secs(32)))
        );
        assert_eq!(extract(&pats, "nothing here"), None);
    }

    #[test]
    fn display_and_json() {
        let h = ResetHint::In(Duration::from_secs(3900));
        assert_eq!(h.to_string(), "in 1h 5m");
        assert_eq!(
            serde_json::to_string(&ResetHint::At { hour: 4, minute: 5 }).unwrap(),
            r#"{"kind":"at","hour":4,"minute":5}"#
        );
        assert_eq!(
            serde_json::to_string(&h).unwrap(),
            r#"{"kind":"in","seconds":3900.0}"#
        );
    }
}
