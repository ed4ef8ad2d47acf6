//! The advisory panel's rules: municipal years, how often the panel must meet, whether every
//! political group sits on it, and how members' training needs rank.
//!
//! A municipal year runs from the council's annual meeting in May; the day it turns is
//! configurable (1 May by default) and a year is named like the financial year, "2025-26".

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};

use crate::DomainError;
use crate::calendar;

/// The day of the year a municipal year starts: the council's annual meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct YearStart {
    month: u32,
    day: u32,
}

impl Default for YearStart {
    fn default() -> Self {
        Self { month: 5, day: 1 }
    }
}

impl YearStart {
    /// Reads "MM-DD", such as "05-01". 29 February is refused: the year would start on a
    /// different day three years in four.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let invalid = || {
            DomainError::invalid(
                "municipal_year_start",
                "must be a day of the year as MM-DD, such as 05-01, and not 02-29",
            )
        };
        let (month, day) = raw.trim().split_once('-').ok_or_else(invalid)?;
        let month: u32 = month.parse().map_err(|_| invalid())?;
        let day: u32 = day.parse().map_err(|_| invalid())?;
        // 2023 is not a leap year, so this accepts exactly the days every year has.
        NaiveDate::from_ymd_opt(2023, month, day).ok_or_else(invalid)?;
        Ok(Self { month, day })
    }

    fn in_year(self, year: i32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, self.month, self.day).unwrap_or(NaiveDate::MIN)
    }
}

/// A municipal year, named like "2025-26".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct MunicipalYear {
    starts_in: i32,
    start: YearStart,
}

impl MunicipalYear {
    /// The municipal year a day falls in.
    pub fn containing(date: NaiveDate, start: YearStart) -> Self {
        let starts_in = if date >= start.in_year(date.year()) {
            date.year()
        } else {
            date.year() - 1
        };
        Self { starts_in, start }
    }

    /// Reads "2025-26"; the second year must follow the first.
    pub fn parse(raw: &str, start: YearStart) -> Result<Self, DomainError> {
        let starts_in = calendar::parse_span_name(raw, 1900..=2998).ok_or_else(|| {
            DomainError::invalid(
                "municipal_year",
                "must name a year like 2025-26, the second year following the first",
            )
        })?;
        Ok(Self { starts_in, start })
    }

    pub fn first_day(self) -> NaiveDate {
        self.start.in_year(self.starts_in)
    }

    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().unwrap_or(NaiveDate::MIN)
    }

    pub fn next(self) -> Self {
        Self {
            starts_in: self.starts_in + 1,
            start: self.start,
        }
    }

    pub fn contains(self, date: NaiveDate) -> bool {
        (self.first_day()..=self.last_day()).contains(&date)
    }

    pub fn name(self) -> String {
        calendar::span_name(self.starts_in)
    }
}

/// The municipal years a panel's cadence is reported for: from the year it was set up, or
/// first met if earlier, to the current year, or the year of a meeting already scheduled
/// beyond it; oldest first.
pub fn years_to_review(
    set_up: NaiveDate,
    held_on: &[NaiveDate],
    today: NaiveDate,
    start: YearStart,
) -> Vec<MunicipalYear> {
    let first = held_on.iter().copied().fold(set_up, NaiveDate::min);
    let last = held_on.iter().copied().fold(today, NaiveDate::max);
    let last = MunicipalYear::containing(last, start);
    std::iter::successors(Some(MunicipalYear::containing(first, start)), |y| {
        Some(y.next())
    })
    .take_while(|y| *y <= last)
    .collect()
}

/// How a municipal year's meetings stand against the minimum the panel must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cadence {
    pub year: MunicipalYear,
    /// Meetings held in the year, up to and including today.
    pub meetings: u32,
    /// Meetings in the year still to come; they count once held.
    pub scheduled: u32,
    pub minimum: u32,
    pub met: bool,
    /// For the year in progress: meetings still to hold to reach the minimum, and the days
    /// left to hold them in (today included).
    pub remaining: Option<u32>,
    pub days_left: Option<i64>,
}

/// The cadence of `year`, given the days of the panel's meetings (in any year, some perhaps
/// still to come) and today.
pub fn cadence(
    year: MunicipalYear,
    held_on: &[NaiveDate],
    minimum: u32,
    today: NaiveDate,
) -> Cadence {
    let count = |held: bool| {
        let n = held_on
            .iter()
            .filter(|day| year.contains(**day) && (**day <= today) == held)
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    };
    let meetings = count(true);
    let current = year.contains(today);
    Cadence {
        year,
        meetings,
        scheduled: count(false),
        minimum,
        met: meetings >= minimum,
        remaining: current.then(|| minimum.saturating_sub(meetings)),
        days_left: current.then(|| (year.last_day() - today).num_days() + 1),
    }
}

/// Which of the council's political groups have a current member on the panel, and which
/// have none: the strategy wants "representation from all political groups".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composition {
    pub represented: Vec<String>,
    pub missing: Vec<String>,
}

/// `council` is the political groups of the council's active elected members; `panel` the
/// groups of the panel's current members. Names match exactly; both lists come out sorted.
pub fn composition<'a>(
    council: impl IntoIterator<Item = &'a str>,
    panel: impl IntoIterator<Item = &'a str>,
) -> Composition {
    let council: BTreeSet<&str> = council.into_iter().collect();
    let panel: BTreeSet<&str> = panel.into_iter().collect();
    Composition {
        represented: council
            .intersection(&panel)
            .map(|g| (*g).to_owned())
            .collect(),
        missing: council
            .difference(&panel)
            .map(|g| (*g).to_owned())
            .collect(),
    }
}

/// The lowest priority a respondent can give a subject area; 1 is the highest.
pub const LOWEST_PRIORITY: u8 = 3;

/// A subject area chosen in a needs-assessment response, with its priority (1 to 3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub subject: String,
    pub priority: u8,
}

/// One subject area's demand across a round's responses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Demand {
    pub subject: String,
    /// Priority 1 weighs 3, priority 2 weighs 2, priority 3 weighs 1.
    pub weighted: u32,
    /// Respondents who chose it at all.
    pub respondents: u32,
    /// Respondents who gave it priority 1.
    pub first_choices: u32,
}

/// Ranks subject areas by weighted demand, then by how many chose them, then by name. Every
/// offered subject appears, so one nobody chose shows as wanted by none.
pub fn rank<'a>(
    offered: &[String],
    responses: impl IntoIterator<Item = &'a [Choice]>,
) -> Vec<Demand> {
    let mut demand: Vec<Demand> = offered
        .iter()
        .map(|subject| Demand {
            subject: subject.clone(),
            weighted: 0,
            respondents: 0,
            first_choices: 0,
        })
        .collect();
    for response in responses {
        for choice in response {
            let Some(entry) = demand.iter_mut().find(|d| d.subject == choice.subject) else {
                continue;
            };
            let priority = choice.priority.clamp(1, LOWEST_PRIORITY);
            entry.weighted += u32::from(LOWEST_PRIORITY + 1 - priority);
            entry.respondents += 1;
            entry.first_choices += u32::from(priority == 1);
        }
    }
    demand.sort_by(|a, b| {
        (b.weighted, b.respondents)
            .cmp(&(a.weighted, a.respondents))
            .then_with(|| a.subject.cmp(&b.subject))
    });
    demand
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().expect("a date")
    }

    #[test]
    fn a_municipal_year_turns_at_the_annual_meeting_in_may() {
        let may = YearStart::default();
        assert_eq!(
            MunicipalYear::containing(day("2026-04-30"), may).name(),
            "2025-26"
        );
        assert_eq!(
            MunicipalYear::containing(day("2026-05-01"), may).name(),
            "2026-27"
        );
        let year = MunicipalYear::parse("2025-26", may).expect("a year");
        assert_eq!(
            (year.first_day(), year.last_day()),
            (day("2025-05-01"), day("2026-04-30"))
        );
        assert_eq!(
            MunicipalYear::parse("1999-00", may).map(MunicipalYear::name),
            Ok("1999-00".into())
        );
        assert!(MunicipalYear::parse("2025-27", may).is_err());
        assert!(MunicipalYear::parse("25-26", may).is_err());
    }

    #[test]
    fn a_configured_start_moves_the_boundary_and_leap_days_stay_inside() {
        let late_may = YearStart::parse("05-21").expect("a start");
        assert_eq!(
            MunicipalYear::containing(day("2024-05-20"), late_may).name(),
            "2023-24"
        );
        assert_eq!(
            MunicipalYear::containing(day("2024-05-21"), late_may).name(),
            "2024-25"
        );
        let year = MunicipalYear::containing(day("2024-02-29"), late_may);
        assert!(year.contains(day("2024-02-29")));
        assert_eq!(year.last_day(), day("2024-05-20"));
        let march = YearStart::parse("03-01").expect("a start");
        assert_eq!(
            MunicipalYear::containing(day("2024-02-29"), march).last_day(),
            day("2024-02-29"),
            "a year ending in February ends on the 29th in a leap year"
        );
        assert!(YearStart::parse("02-29").is_err());
        assert!(YearStart::parse("13-01").is_err());
        assert!(YearStart::parse("May").is_err());
    }

    #[test]
    fn a_year_with_one_meeting_is_short_and_the_current_year_counts_down() {
        let may = YearStart::default();
        let meetings = [
            day("2025-06-10"),
            day("2026-06-15"),
            day("2026-11-02"),
            day("2027-02-01"),
        ];
        let past = cadence(
            MunicipalYear::parse("2025-26", may).expect("a year"),
            &meetings,
            2,
            day("2026-11-22"),
        );
        assert_eq!(
            (past.meetings, past.met, past.remaining, past.days_left),
            (1, false, None, None)
        );
        let current = cadence(
            MunicipalYear::parse("2026-27", may).expect("a year"),
            &meetings,
            3,
            day("2026-11-22"),
        );
        assert_eq!(
            (
                current.meetings,
                current.scheduled,
                current.met,
                current.remaining,
                current.days_left
            ),
            (2, 1, false, Some(1), Some(160)),
            "a meeting still to come does not count until it is held"
        );
        let done = cadence(
            MunicipalYear::parse("2026-27", may).expect("a year"),
            &meetings,
            2,
            day("2027-04-30"),
        );
        assert_eq!(
            (done.meetings, done.met, done.remaining, done.days_left),
            (3, true, Some(0), Some(1))
        );
    }

    #[test]
    fn the_years_reviewed_run_from_set_up_or_the_first_meeting_to_now_or_the_last() {
        let may = YearStart::default();
        let names = |set_up: &str, held: &[&str], today: &str| {
            let held: Vec<NaiveDate> = held.iter().map(|d| day(d)).collect();
            years_to_review(day(set_up), &held, day(today), may)
                .into_iter()
                .map(MunicipalYear::name)
                .collect::<Vec<_>>()
        };
        assert_eq!(names("2026-11-23", &[], "2026-11-23"), ["2026-27"]);
        assert_eq!(
            names("2026-11-23", &["2025-06-10"], "2026-11-23"),
            ["2025-26", "2026-27"],
            "a meeting recorded from before the panel was"
        );
        assert_eq!(
            names("2025-05-20", &["2027-06-01"], "2026-11-23"),
            ["2025-26", "2026-27", "2027-28"],
            "a meeting scheduled next year"
        );
    }

    #[test]
    fn composition_names_groups_without_a_seat_until_one_joins() {
        let council = [
            "Labour",
            "Conservative",
            "Green",
            "Labour",
            "Liberal Democrat",
        ];
        let before = composition(council, ["Labour", "Conservative"]);
        assert_eq!(before.missing, ["Green", "Liberal Democrat"]);
        assert_eq!(before.represented, ["Conservative", "Labour"]);
        let after = composition(
            council,
            ["Labour", "Conservative", "Green", "Liberal Democrat"],
        );
        assert!(after.missing.is_empty());
        // A group that leaves the council (its last member goes) is no longer missing.
        let smaller = composition(["Labour", "Conservative"], ["Labour"]);
        assert_eq!(smaller.missing, ["Conservative"]);
    }

    #[test]
    fn subjects_rank_by_weighted_demand_then_by_how_many_chose_them() {
        let choice = |subject: &str, priority| Choice {
            subject: subject.into(),
            priority,
        };
        let offered: Vec<String> = ["Planning", "Scrutiny", "Social media", "Finance"]
            .map(String::from)
            .to_vec();
        let responses = [
            vec![choice("Scrutiny", 1), choice("Planning", 3)],
            vec![
                choice("Planning", 2),
                choice("Social media", 3),
                choice("Unknown", 1),
            ],
            vec![choice("Social media", 2)],
        ];
        let ranked = rank(&offered, responses.iter().map(Vec::as_slice));
        let summary: Vec<(&str, u32, u32, u32)> = ranked
            .iter()
            .map(|d| {
                (
                    d.subject.as_str(),
                    d.weighted,
                    d.respondents,
                    d.first_choices,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("Planning", 3, 2, 0),
                ("Social media", 3, 2, 0),
                ("Scrutiny", 3, 1, 1),
                ("Finance", 0, 0, 0),
            ]
        );
    }
}
