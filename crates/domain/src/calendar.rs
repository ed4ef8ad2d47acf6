use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Europe::London;

/// The council reasons in calendar dates in London: "today" changes at midnight there, not in UTC.
pub fn london_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&London).date_naive()
}

/// The instant a London calendar day begins, for turning a date range into a time range.
pub fn london_day_start(date: NaiveDate) -> DateTime<Utc> {
    use chrono::TimeZone;
    let midnight = date.and_time(chrono::NaiveTime::MIN);
    // Clocks change at 01:00 or 02:00 in London, never at midnight, so midnight is unambiguous.
    London
        .from_local_datetime(&midnight)
        .earliest()
        .map_or_else(|| midnight.and_utc(), |t| t.with_timezone(&Utc))
}

/// Whether a day is one the council's records can sensibly name: 1900 to 2999. Dates are
/// kept as text on SQLite, so four-digit years also keep them in order there.
pub fn is_plausible(day: NaiveDate) -> bool {
    (1900..3000).contains(&day.year())
}

/// What to say of a day that is not plausible.
pub const PLAUSIBLE: &str = "must be a day between 1900 and 2999";

/// A council year that spans two calendar years, named like "2025-26": the financial year
/// and the municipal year are both named this way.
pub fn span_name(starts_in: i32) -> String {
    format!("{}-{:02}", starts_in, (starts_in + 1) % 100)
}

/// Reads a name like "2025-26" back to the year it starts in, if the second year follows the
/// first and the first lies in `years`.
pub fn parse_span_name(raw: &str, years: std::ops::RangeInclusive<i32>) -> Option<i32> {
    let (first, second) = raw.trim().split_once('-')?;
    let starts_in: i32 = first.parse().ok()?;
    let ends: i32 = second.parse().ok()?;
    let valid = first.len() == 4
        && second.len() == 2
        && years.contains(&starts_in)
        && ends == (starts_in + 1) % 100;
    valid.then_some(starts_in)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_span_name_reads_back_only_when_the_second_year_follows_the_first() {
        assert_eq!(span_name(1999), "1999-00");
        assert_eq!(parse_span_name(" 2025-26 ", 2000..=2999), Some(2025));
        assert_eq!(parse_span_name("1999-00", 1900..=2999), Some(1999));
        for bad in ["2025-27", "25-26", "2025-2026", "1999-00", "2025"] {
            assert_eq!(parse_span_name(bad, 2000..=2999), None, "{bad}");
        }
    }

    #[test]
    fn just_after_midnight_in_british_summer_time_is_already_tomorrow() {
        let at =
            DateTime::parse_from_rfc3339("2026-06-30T23:30:00Z").map(|t| t.with_timezone(&Utc));
        assert_eq!(
            at.map(london_date),
            Ok(NaiveDate::from_ymd_opt(2026, 7, 1).unwrap_or_default())
        );
    }

    #[test]
    fn a_summer_day_in_london_starts_at_eleven_the_night_before_in_utc() {
        let day = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap_or_default();
        assert_eq!(
            london_day_start(day).to_rfc3339(),
            "2026-06-30T23:00:00+00:00"
        );
        let winter = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
        assert_eq!(
            london_day_start(winter).to_rfc3339(),
            "2026-01-01T00:00:00+00:00"
        );
    }

    #[test]
    fn in_winter_london_is_on_utc() {
        let at =
            DateTime::parse_from_rfc3339("2026-01-31T23:30:00Z").map(|t| t.with_timezone(&Utc));
        assert_eq!(
            at.map(london_date),
            Ok(NaiveDate::from_ymd_opt(2026, 1, 31).unwrap_or_default())
        );
    }
}
