//! The bulk HR sync: an HR system's employees, matched to learners by its own reference, in
//! batches of up to 10,000, as JSON or as the CSV many HR systems export.

use std::collections::HashSet;

use chrono::NaiveDate;
use uuid::Uuid;

use crate::error::Errors;
use crate::learner::{LearnerDraft, LearnerKind, LearnerProfile};
use crate::{DomainError, FieldError, calendar, vocabulary};

/// The most rows one sync call takes.
pub const MAX_ROWS: usize = 10_000;

/// The CSV header row, in this order; a file may leave out the optional columns at the end.
pub const CSV_COLUMNS: [&str; 9] = [
    "external_ref",
    "given_name",
    "family_name",
    "email",
    "department",
    "job_title",
    "manager_ref",
    "started_on",
    "left_on",
];

vocabulary!(
    /// `delta`: the rows are changes only. `full`: the rows (of the call, or of the whole run)
    /// are every employee, so an employee who is not among them has left.
    SyncMode { Delta => "delta", Full => "full" }
);

/// One employee as the HR system has them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HrRecord {
    pub external_ref: String,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    pub department: Option<String>,
    pub job_title: Option<String>,
    /// The manager's `external_ref`.
    pub manager_ref: Option<String>,
    /// YYYY-MM-DD, as text so that a bad date fails its row, not the whole call.
    pub started_on: Option<String>,
    /// YYYY-MM-DD, set when HR records that the employee left.
    pub left_on: Option<String>,
}

/// What a row says of an employee: their profile, and the day they left if they have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Employee {
    pub profile: LearnerProfile,
    pub left_on: Option<NaiveDate>,
}

impl HrRecord {
    /// The employee this row describes, with their manager resolved to `manager_id`.
    pub fn employee(
        &self,
        manager_id: Option<Uuid>,
        today: NaiveDate,
    ) -> Result<Employee, DomainError> {
        let mut errors = Errors::default();
        errors.check(
            !self.external_ref.trim().is_empty(),
            "external_ref",
            "is required: it is how a row finds its learner",
        );
        let started_on = errors
            .take(day("started_on", self.started_on.as_deref()))
            .flatten();
        let left_on = errors
            .take(day("left_on", self.left_on.as_deref()))
            .flatten();
        let profile = errors.take(LearnerProfile::parse(
            LearnerDraft {
                kind: Some(LearnerKind::Employee),
                given_name: self.given_name.clone(),
                family_name: self.family_name.clone(),
                email: self.email.clone(),
                external_ref: Some(self.external_ref.trim().to_owned()),
                department: self.department.clone(),
                job_title: self.job_title.clone(),
                manager_id,
                started_on,
                ..LearnerDraft::default()
            },
            today,
        ));
        if let (Some(profile), Some(left_on)) = (&profile, left_on) {
            errors.check(
                left_on >= profile.started_on,
                "left_on",
                "must not be before started_on",
            );
        }
        errors.finish(profile.map(|profile| Employee { profile, left_on }))
    }
}

fn day(field: &str, raw: Option<&str>) -> Result<Option<NaiveDate>, DomainError> {
    match raw.map(str::trim).filter(|d| !d.is_empty()) {
        None => Ok(None),
        Some(text) => text
            .parse::<NaiveDate>()
            .ok()
            .filter(|d| calendar::is_plausible(*d))
            .map(Some)
            .ok_or_else(|| DomainError::invalid(field, "must be a date like 2026-04-01")),
    }
}

/// A row that was not applied, and why; the other rows of the call were.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The row's position in the call, from 1 (the CSV header is not counted).
    pub row: usize,
    pub external_ref: Option<String>,
    pub errors: Vec<FieldError>,
}

impl RowError {
    pub fn new(row: usize, external_ref: &str, error: DomainError) -> Self {
        let errors = match error {
            DomainError::Invalid(fields) => fields,
            DomainError::Conflict(message) => vec![FieldError {
                field: String::new(),
                message,
            }],
        };
        Self {
            row,
            external_ref: Some(external_ref.trim().to_owned()).filter(|r| !r.is_empty()),
            errors,
        }
    }
}

/// What a sync call or run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub left: u64,
    pub failed: u64,
}

/// The share of active employees a full sync may mark as left unless told how many to expect:
/// an HR export that lost half its rows must not make half the council leavers.
pub const DEFAULT_MAX_LEFT_PERCENT: u8 = 10;

/// What stops a full sync marking too many employees as left by mistake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaverGuard {
    /// Leavers beyond this share of active employees need `expected`.
    pub max_percent: u8,
    /// How many leavers the caller expects, confirmed after a dry run or a refusal.
    pub expected: Option<u64>,
}

impl LeaverGuard {
    /// Whether marking `leaving` of `active` employees as left may go ahead: when it is the
    /// number expected, or, with none expected, within the share allowed.
    pub fn check(&self, leaving: u64, active: u64) -> Result<(), DomainError> {
        match self.expected {
            Some(expected) if expected == leaving => Ok(()),
            Some(expected) => Err(DomainError::Conflict(format!(
                "this would mark {leaving} employees as left, not the {expected} expected; \
                 nothing was changed"
            ))),
            None if u128::from(leaving) * 100
                > u128::from(active) * u128::from(self.max_percent) =>
            {
                Err(DomainError::Conflict(format!(
                    "this would mark {leaving} of {active} active employees as left, more than \
                     the {}% allowed unconfirmed; nothing was changed. If that is right, send \
                     expected_leavers={leaving}",
                    self.max_percent
                )))
            }
            None => Ok(()),
        }
    }
}

/// Orders new employees so each comes after a manager who is new in the same batch; rows
/// whose managers form a loop are returned apart, as they can never be written.
pub fn managers_first<'a>(new: &[(&'a str, Option<&'a str>)]) -> (Vec<&'a str>, Vec<&'a str>) {
    let fresh: HashSet<&str> = new.iter().map(|(r, _)| *r).collect();
    let mut placed: HashSet<&str> = HashSet::with_capacity(new.len());
    let mut order = Vec::with_capacity(new.len());
    let mut waiting: Vec<(&str, Option<&str>)> = new.to_vec();
    // One pass per level of the hierarchy: a handful for a real organisation.
    loop {
        let before = waiting.len();
        let mut level = Vec::new();
        waiting.retain(|(r, manager)| {
            let ready = manager.is_none_or(|m| m == *r || !fresh.contains(m) || placed.contains(m));
            if ready {
                level.push(*r);
            }
            !ready
        });
        placed.extend(level.iter().copied());
        order.extend(level);
        if waiting.is_empty() || waiting.len() == before {
            return (order, waiting.into_iter().map(|(r, _)| r).collect());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().expect("a date")
    }

    #[test]
    fn a_row_is_an_employee_found_by_their_hr_reference() {
        let row = HrRecord {
            external_ref: " E100 ".into(),
            given_name: "Amira".into(),
            family_name: "Khan".into(),
            email: "Amira.Khan@Council.gov.uk".into(),
            department: Some("Adult Social Care".into()),
            started_on: Some("2020-01-06".into()),
            ..HrRecord::default()
        };
        let profile = row
            .employee(None, day("2026-11-23"))
            .expect("valid")
            .profile;
        assert_eq!(profile.kind, LearnerKind::Employee);
        assert_eq!(profile.external_ref.as_deref(), Some("E100"));
        assert_eq!(profile.email.as_str(), "amira.khan@council.gov.uk");
        let nameless = HrRecord {
            external_ref: " ".into(),
            left_on: Some("31/03/2026".into()),
            ..row
        };
        let error = RowError::new(
            7,
            &nameless.external_ref,
            nameless
                .employee(None, day("2026-11-23"))
                .expect_err("invalid"),
        );
        let fields: Vec<&str> = error.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!((error.row, error.external_ref), (7, None));
        assert_eq!(fields, ["external_ref", "left_on"]);
    }

    #[test]
    fn new_managers_are_written_before_their_new_reports() {
        let rows = [
            ("E3", Some("E2")),
            ("E2", Some("E1")),
            ("E1", Some("BOSS")),
            ("E9", Some("E8")),
            ("E8", Some("E9")),
            ("E5", None),
        ];
        let (placed, looped) = managers_first(&rows);
        assert_eq!(placed, ["E1", "E5", "E2", "E3"]);
        assert_eq!(looped, ["E9", "E8"]);
    }

    #[test]
    fn leavers_beyond_the_share_need_the_number_expected() {
        let guard = |expected| LeaverGuard {
            max_percent: 10,
            expected,
        };
        assert!(guard(None).check(10, 100).is_ok(), "at the share");
        assert!(guard(None).check(0, 0).is_ok(), "nobody to lose");
        assert!(matches!(
            guard(None).check(11, 100),
            Err(DomainError::Conflict(_))
        ));
        assert!(guard(None).check(60, 100).is_err());
        assert!(guard(Some(60)).check(60, 100).is_ok(), "confirmed");
        assert!(guard(Some(59)).check(60, 100).is_err(), "not as expected");
        assert!(
            guard(Some(3)).check(2, 100).is_err(),
            "fewer than expected too"
        );
        assert!(
            LeaverGuard {
                max_percent: 100,
                expected: None
            }
            .check(u64::MAX, u64::MAX)
            .is_ok(),
            "no overflow"
        );
    }
}
