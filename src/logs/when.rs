//! Reading the times and sizes an operator writes: `15m` (ago), `2h`, `yesterday`,
//! `2024-05-01 14:30`, an RFC 3339 instant; `512MB`, `2 GiB`.
//!
//! The clock and the local offset are passed in, so every case is tested at a fixed time.

use chrono::{DateTime, Duration as Span, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime};

/// What a time may look like, for error messages.
pub const TIME_HINT: &str = "write a time ago like 90s, 15m, 2h or 3d, a day like today, \
     yesterday or 2024-05-01, a local time like 14:30 or 2024-05-01 14:30, or an RFC 3339 \
     instant like 2024-05-01T14:30:00Z";

/// The instant (unix ms) `text` names, seen at `now_ms` in a zone `offset` from UTC.
/// `None` when it names no time.
pub fn parse_time(text: &str, now_ms: i64, offset: FixedOffset) -> Option<i64> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    let now = DateTime::from_timestamp_millis(now_ms)?.with_timezone(&offset);
    let midnight = |d: NaiveDate| local_ms(d.and_time(NaiveTime::MIN), offset);
    match t.to_ascii_lowercase().as_str() {
        "now" => return Some(now_ms),
        "today" => return midnight(now.date_naive()),
        "yesterday" => return midnight(now.date_naive().pred_opt()?),
        _ => {}
    }
    if let Some(ago) = parse_ago(t) {
        return now_ms.checked_sub(ago);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(dt.timestamp_millis());
    }
    for fmt in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, fmt) {
            return local_ms(dt, offset);
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return midnight(d);
    }
    for fmt in ["%H:%M:%S", "%H:%M"] {
        if let Ok(time) = NaiveTime::parse_from_str(t, fmt) {
            return local_ms(now.date_naive().and_time(time), offset);
        }
    }
    None
}

fn local_ms(dt: NaiveDateTime, offset: FixedOffset) -> Option<i64> {
    dt.and_local_timezone(offset)
        .single()
        .map(|d| d.timestamp_millis())
}

/// A duration written as a count and a unit (`90s`, `15m`, `2h`, `3d`, `1w`, `1h30m`,
/// `2 hours`), in milliseconds.
fn parse_ago(t: &str) -> Option<i64> {
    let t = t.strip_suffix(" ago").unwrap_or(t);
    if !t.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let d = humantime::parse_duration(t).ok()?;
    // Days and weeks are plain multiples here; humantime accepts them too.
    i64::try_from(d.as_millis()).ok()
}

/// How long a span (ms) is, for chips and messages: `15m`, `2h`, `1d`.
pub fn short_span(ms: i64) -> String {
    let s = Span::milliseconds(ms);
    if s.num_days() > 0 && s.num_hours() % 24 == 0 {
        format!("{}d", s.num_days())
    } else if s.num_hours() > 0 && s.num_minutes() % 60 == 0 {
        format!("{}h", s.num_hours())
    } else if s.num_minutes() > 0 && s.num_seconds() % 60 == 0 {
        format!("{}m", s.num_minutes())
    } else {
        format!("{}s", s.num_seconds())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2024-01-10 12:00:00 UTC.
    const NOW: i64 = 1_704_888_000_000;
    const MIN: i64 = 60_000;
    const HOUR: i64 = 60 * MIN;

    fn utc() -> FixedOffset {
        FixedOffset::east_opt(0).unwrap()
    }

    #[test]
    fn relative_times_count_back_from_now() {
        let p = |t: &str| parse_time(t, NOW, utc());
        assert_eq!(p("15m"), Some(NOW - 15 * MIN));
        assert_eq!(p("2h"), Some(NOW - 2 * HOUR));
        assert_eq!(p("90s"), Some(NOW - 90_000));
        assert_eq!(p("3d"), Some(NOW - 72 * HOUR));
        assert_eq!(p("1h30m"), Some(NOW - 90 * MIN));
        assert_eq!(p("2h ago"), Some(NOW - 2 * HOUR));
        assert_eq!(p("now"), Some(NOW));
    }

    #[test]
    fn days_and_clock_times_are_local() {
        let plus2 = FixedOffset::east_opt(2 * 3600).unwrap();
        // Local time is 14:00 on the 10th; local midnight is 22:00 UTC on the 9th.
        assert_eq!(parse_time("today", NOW, plus2), Some(NOW - 14 * HOUR));
        assert_eq!(parse_time("yesterday", NOW, plus2), Some(NOW - 38 * HOUR));
        assert_eq!(parse_time("13:30", NOW, plus2), Some(NOW - 30 * MIN));
        assert_eq!(
            parse_time("2024-01-10 14:00", NOW, plus2),
            Some(NOW),
            "a local date-time"
        );
        assert_eq!(parse_time("2024-01-10", NOW, utc()), Some(NOW - 12 * HOUR));
        assert_eq!(parse_time("2024-01-10T12:00:00Z", NOW, plus2), Some(NOW));
        assert_eq!(
            parse_time("2024-01-10T13:00:00+01:00", NOW, utc()),
            Some(NOW)
        );
    }

    #[test]
    fn nonsense_is_no_time() {
        for t in ["", "soon", "15x", "2024-13-01", "25:00", "m15", "-5m"] {
            assert_eq!(parse_time(t, NOW, utc()), None, "{t:?}");
        }
    }

    #[test]
    fn spans() {
        assert_eq!(short_span(15 * MIN), "15m");
        assert_eq!(short_span(24 * HOUR), "1d");
        assert_eq!(short_span(6 * HOUR), "6h");
        assert_eq!(short_span(90_000), "90s");
    }
}
