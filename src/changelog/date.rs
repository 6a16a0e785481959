//! Calendar dates as written in release files: `YYYY-MM-DD` (ISO 8601, proleptic Gregorian).

use std::time::{SystemTime, UNIX_EPOCH};

/// A valid calendar date. Ordering is chronological.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: u32,
    pub month: u32,
    pub day: u32,
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn is_leap(y: u32) -> bool {
    (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400)
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Parse `YYYY-MM-DD` exactly (four-digit year, two-digit month and day, a real day).
pub fn parse(text: &str) -> Result<Date, String> {
    let b = text.as_bytes();
    let shape_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape_ok {
        return Err(format!("`{text}` is not a date in the form YYYY-MM-DD"));
    }
    let num = |r: std::ops::Range<usize>| text.get(r).and_then(|s| s.parse::<u32>().ok()).unwrap_or(0);
    let (year, month, day) = (num(0..4), num(5..7), num(8..10));
    if !(1..=12).contains(&month) {
        return Err(format!("`{text}` has no month {month}"));
    }
    if day == 0 || day > days_in_month(year, month) {
        return Err(format!("`{text}`: month {month} of {year} has no day {day}"));
    }
    Ok(Date { year, month, day })
}

/// Today's date in UTC (`SOURCE_DATE_EPOCH`, when set, stands for "now" so builds and tests are
/// reproducible).
pub fn today() -> Date {
    let secs = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        });
    from_days(secs.div_euclid(86_400))
}

/// Civil date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
pub fn from_days(z: i64) -> Date {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    Date {
        year: y.clamp(0, 9999) as u32,
        month: m as u32,
        day: d as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_real_dates_only() {
        assert_eq!(
            parse("2021-04-02"),
            Ok(Date {
                year: 2021,
                month: 4,
                day: 2
            })
        );
        assert!(parse("2020-02-29").is_ok());
        assert!(parse("2021-02-29").is_err());
        assert!(parse("2021-13-01").is_err());
        assert!(parse("02-04-2021").is_err());
        assert!(parse("2021-4-2").is_err());
        assert!(parse("2021-04-02x").is_err());
        assert!(parse("２021-04-02").is_err());
    }

    #[test]
    fn civil_from_days() {
        assert_eq!(from_days(0).to_string(), "1970-01-01");
        assert_eq!(from_days(18_719).to_string(), "2021-04-02");
        assert_eq!(from_days(11_016).to_string(), "2000-02-29");
    }
}
