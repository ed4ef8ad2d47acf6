//! Money and the financial year. The council's year runs from 1 April to 31 March; every sum is
//! whole pence in an `i64`, never a float.

use chrono::{Datelike, NaiveDate};

use crate::DomainError;
use crate::calendar;
use crate::course::Pillar;

/// A financial year, named like "2024-25": 1 April 2024 to 31 March 2025.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FinancialYear {
    starts_in: i32,
}

impl FinancialYear {
    /// The financial year a day falls in.
    pub fn containing(date: NaiveDate) -> Self {
        let starts_in = if date.month() >= 4 {
            date.year()
        } else {
            date.year() - 1
        };
        Self { starts_in }
    }

    /// Reads "2024-25"; the second year must follow the first.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let starts_in = calendar::parse_span_name(raw, 2000..=2999).ok_or_else(|| {
            DomainError::invalid(
                "financial_year",
                "must name a year like 2024-25 (1 April 2024 to 31 March 2025)",
            )
        })?;
        Ok(Self { starts_in })
    }

    /// The year `years` after this one (before it, when negative).
    pub fn offset(self, years: i32) -> Self {
        Self {
            starts_in: self.starts_in + years,
        }
    }

    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.starts_in, 4, 1).unwrap_or(NaiveDate::MIN)
    }

    pub fn last_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.starts_in + 1, 3, 31).unwrap_or(NaiveDate::MAX)
    }

    pub fn name(self) -> String {
        calendar::span_name(self.starts_in)
    }
}

impl std::fmt::Display for FinancialYear {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

/// The most any one amount of money may be: £1 billion. No council's training budget comes
/// near it, so a larger figure is a mistake or a probe, and sums of such amounts stay far
/// inside an `i64` (they wrapped round to negative totals before).
pub const MAX_PENCE: i64 = 100_000_000_000;

/// What an amount a client sends must be, for its error message.
pub const AMOUNT_RULE: &str = "must be whole pence from 0 to 100000000000 (£1,000,000,000.00)";

/// Whether `pence` is an amount a client may send: from nothing to [`MAX_PENCE`].
pub fn is_amount(pence: i64) -> bool {
    (0..=MAX_PENCE).contains(&pence)
}

fn too_large_to_add() -> DomainError {
    DomainError::invalid("amount", "the sums of money are too large to add up")
}

/// Formats pence as pounds for people to read, e.g. 1_400_000_00 as "£1,400,000.00".
pub fn pounds(pence: i64) -> String {
    let sign = if pence < 0 { "-" } else { "" };
    let (whole, part) = (pence.unsigned_abs() / 100, pence.unsigned_abs() % 100);
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}£{grouped}.{part:02}")
}

/// A pillar's position in a year: what is allocated, committed and spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    pub allocated: i64,
    pub committed: i64,
    pub spent: i64,
}

impl Position {
    /// What is left; never more negative than an `i64` holds, which amounts within
    /// [`MAX_PENCE`] cannot come near.
    pub fn remaining(self) -> i64 {
        self.allocated
            .saturating_sub(self.committed)
            .saturating_sub(self.spent)
    }

    /// The positions added up, refused rather than wrapped round when they overflow.
    pub fn total(positions: impl IntoIterator<Item = Position>) -> Result<Position, DomainError> {
        positions
            .into_iter()
            .try_fold(Position::default(), |sum, p| {
                Some(Position {
                    allocated: sum.allocated.checked_add(p.allocated)?,
                    committed: sum.committed.checked_add(p.committed)?,
                    spent: sum.spent.checked_add(p.spent)?,
                })
            })
            .ok_or_else(too_large_to_add)
    }

    /// Whether `amount` may be committed. Overspending is refused unless an admin gives a
    /// reason, which is then what the commitment records.
    pub fn commit(
        self,
        year: FinancialYear,
        pillar: Pillar,
        amount: i64,
        override_reason: Option<&str>,
    ) -> Result<Option<String>, DomainError> {
        let after = self
            .remaining()
            .checked_sub(amount)
            .ok_or_else(|| DomainError::invalid("estimated_cost_pence", "is too large"))?;
        match override_reason.map(str::trim).filter(|r| !r.is_empty()) {
            _ if after >= 0 => Ok(None),
            Some(reason) => Ok(Some(reason.to_owned())),
            None => Err(DomainError::Conflict(format!(
                "approving would overspend the {pillar} budget for {year}: {} remains and the request needs {}; an admin may approve anyway with an override_reason",
                pounds(self.remaining()),
                pounds(amount)
            ))),
        }
    }
}

/// Money moving against a pillar's budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Movement {
    Committed(i64),
    Spent(i64),
}

/// Each pillar's position for a year, in pillar order, from its allocation (none is nothing)
/// and the money moving against it.
pub fn positions(
    allocations: &[(Pillar, i64)],
    movements: &[(Pillar, Movement)],
) -> Result<Vec<(Pillar, Position)>, DomainError> {
    Pillar::ALL
        .iter()
        .map(|&pillar| {
            let allocated = allocations
                .iter()
                .filter(|(p, _)| *p == pillar)
                .map(|&(_, a)| Position {
                    allocated: a,
                    ..Position::default()
                });
            let moved = movements
                .iter()
                .filter(|(p, _)| *p == pillar)
                .map(|(_, movement)| match *movement {
                    Movement::Committed(committed) => Position {
                        committed,
                        ..Position::default()
                    },
                    Movement::Spent(spent) => Position {
                        spent,
                        ..Position::default()
                    },
                });
            Ok((pillar, Position::total(allocated.chain(moved))?))
        })
        .collect()
}

/// A year's allocations as a client sends them: each pillar at most once, each an amount.
pub fn allocations(allocations: Vec<(Pillar, i64)>) -> Result<Vec<(Pillar, i64)>, DomainError> {
    if allocations.iter().any(|&(_, pence)| !is_amount(pence)) {
        return Err(DomainError::invalid(
            "allocations",
            format!("amounts {AMOUNT_RULE}"),
        ));
    }
    for (i, (pillar, _)) in allocations.iter().enumerate() {
        if allocations[..i].iter().any(|(p, _)| p == pillar) {
            return Err(DomainError::invalid(
                "allocations",
                format!("{pillar} is allocated twice"),
            ));
        }
    }
    Ok(allocations)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a date")
    }

    #[test]
    fn the_financial_year_turns_between_31_march_and_1_april() {
        assert_eq!(
            FinancialYear::containing(day(2025, 3, 31)).name(),
            "2024-25"
        );
        assert_eq!(FinancialYear::containing(day(2025, 4, 1)).name(), "2025-26");
        assert_eq!(FinancialYear::containing(day(2025, 1, 1)).name(), "2024-25");
        let year = FinancialYear::parse("2024-25").expect("valid");
        assert_eq!(
            (year.first_day(), year.last_day()),
            (day(2024, 4, 1), day(2025, 3, 31))
        );
        assert_eq!(
            FinancialYear::parse("2099-00").map(FinancialYear::name),
            Ok("2099-00".into())
        );
    }

    #[test]
    fn only_consecutive_years_name_a_financial_year() {
        for raw in [
            "2024",
            "2024-26",
            "24-25",
            "2024-2025",
            "abcd-ef",
            "2024/25",
            "",
        ] {
            assert!(
                FinancialYear::parse(raw).is_err(),
                "{raw:?} should be refused"
            );
        }
    }

    #[test]
    fn positions_add_up_per_pillar_and_an_unallocated_pillar_has_nothing() {
        let allocations = [
            (Pillar::Professional, 100_000),
            (Pillar::Leadership, 50_000),
        ];
        let movements = [
            (Pillar::Professional, Movement::Committed(30_000)),
            (Pillar::Professional, Movement::Spent(20_000)),
            (Pillar::Professional, Movement::Committed(5_000)),
            (Pillar::Personal, Movement::Spent(1_000)),
        ];
        let all = positions(&allocations, &movements).expect("small sums add up");
        assert_eq!(all.iter().map(|(p, _)| *p).collect::<Vec<_>>(), Pillar::ALL);
        let find = |pillar| {
            all.iter()
                .find(|(p, _)| *p == pillar)
                .map(|(_, position)| *position)
                .expect("a pillar")
        };
        assert_eq!(
            find(Pillar::Professional),
            Position {
                allocated: 100_000,
                committed: 35_000,
                spent: 20_000
            }
        );
        assert_eq!(find(Pillar::Professional).remaining(), 45_000);
        assert_eq!(find(Pillar::Personal).remaining(), -1_000);
        assert_eq!(find(Pillar::Essential), Position::default());
    }

    #[test]
    fn pence_read_as_pounds() {
        assert_eq!(pounds(140_000_000), "£1,400,000.00");
        assert_eq!(pounds(5), "£0.05");
        assert_eq!(pounds(-12_345), "-£123.45");
        assert_eq!(pounds(100_000), "£1,000.00");
    }

    #[test]
    fn committing_the_last_penny_is_allowed_and_one_more_needs_an_override() {
        let year = FinancialYear::parse("2025-26").expect("valid");
        let position = Position {
            allocated: 10_000,
            committed: 6_000,
            spent: 1_000,
        };
        assert_eq!(position.remaining(), 3_000);
        assert_eq!(
            position.commit(year, Pillar::Professional, 3_000, None),
            Ok(None)
        );
        let Err(DomainError::Conflict(why)) =
            position.commit(year, Pillar::Professional, 3_001, None)
        else {
            panic!("refused")
        };
        assert!(
            why.contains("£30.00") && why.contains("professional") && why.contains("2025-26"),
            "{why}"
        );
        assert!(
            position
                .commit(year, Pillar::Professional, 3_001, Some("  "))
                .is_err(),
            "a blank reason is no reason"
        );
        assert_eq!(
            position.commit(year, Pillar::Professional, 3_001, Some("Cabinet agreed")),
            Ok(Some("Cabinet agreed".into()))
        );
    }

    #[test]
    fn sums_that_would_overflow_are_refused_not_wrapped() {
        let huge = Position {
            allocated: i64::MAX,
            ..Position::default()
        };
        assert!(Position::total([huge, huge]).is_err());
        assert!(
            positions(
                &[(Pillar::Professional, 1)],
                &[
                    (Pillar::Professional, Movement::Committed(i64::MAX)),
                    (Pillar::Professional, Movement::Committed(1)),
                ],
            )
            .is_err()
        );
        assert_eq!(
            Position::total([huge]).map(Position::remaining),
            Ok(i64::MAX)
        );
    }

    #[test]
    fn allocations_are_amounts_once_per_pillar() {
        assert!(allocations(vec![(Pillar::Personal, MAX_PENCE)]).is_ok());
        assert!(allocations(vec![(Pillar::Personal, MAX_PENCE + 1)]).is_err());
        assert!(allocations(vec![(Pillar::Personal, -1)]).is_err());
        assert!(allocations(vec![(Pillar::Personal, 1), (Pillar::Personal, 2)]).is_err());
    }
}
