use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::London;

/// The council reasons in calendar dates in London: "today" changes at midnight there, not in UTC.
pub fn london_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&London).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn in_winter_london_is_on_utc() {
        let at =
            DateTime::parse_from_rfc3339("2026-01-31T23:30:00Z").map(|t| t.with_timezone(&Utc));
        assert_eq!(
            at.map(london_date),
            Ok(NaiveDate::from_ymd_opt(2026, 1, 31).unwrap_or_default())
        );
    }
}
