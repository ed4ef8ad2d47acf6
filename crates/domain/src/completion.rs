//! Completions: the learning record. A completion counts until its course's validity runs out.

use chrono::{DateTime, Months, NaiveDate, Utc};
use uuid::Uuid;

use crate::error::Errors;
use crate::{DomainError, text, vocabulary};

vocabulary!(
    /// Where a completion came from.
    CompletionSource {
        /// Attendance at a session.
        Session => "session",
        /// Finishing a leadership programme cohort.
        Cohort => "cohort",
        /// An e-learning platform's report.
        Elearning => "elearning",
        /// Evidence of training elsewhere, recorded by an admin.
        External => "external",
        /// A completed training request.
        Request => "request",
    }
);

/// A learning record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub id: Uuid,
    pub learner_id: Uuid,
    pub course_id: Uuid,
    pub completed_on: NaiveDate,
    pub source: CompletionSource,
    /// Names the event that produced the record, so the same event never records twice.
    pub source_key: String,
    pub score: Option<i32>,
    pub evidence: Option<String>,
    pub expires_on: Option<NaiveDate>,
    pub recorded_at: DateTime<Utc>,
}

/// When a completion stops counting: `validity_months` after it, or never.
pub fn expires_on(completed_on: NaiveDate, validity_months: Option<i32>) -> Option<NaiveDate> {
    let months = u32::try_from(validity_months?).ok()?;
    completed_on.checked_add_months(Months::new(months))
}

/// Evidence of training completed elsewhere, recorded by an admin.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "learner_id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e6f", "course_id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e70",
    "completed_on": "2026-10-14", "score": 92, "evidence": "LGA certificate ref. 55731"
}))]
pub struct EvidenceInput {
    pub learner_id: Uuid,
    pub course_id: Uuid,
    /// Not in the future.
    pub completed_on: NaiveDate,
    /// A percentage, 0 to 100.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 100)]
    pub score: Option<i32>,
    #[serde(default)]
    pub evidence: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub learner_id: Uuid,
    pub course_id: Uuid,
    pub completed_on: NaiveDate,
    pub score: Option<i32>,
    pub evidence: Option<String>,
}

impl Evidence {
    /// Evidence is of something done, not planned: it may not be dated after `today`.
    pub fn parse(input: EvidenceInput, today: NaiveDate) -> Result<Self, DomainError> {
        let mut errors = Errors::default();
        let evidence = errors.take(text::optional("evidence", input.evidence.as_deref(), 4000));
        errors.check(
            input.completed_on <= today,
            "completed_on",
            "must not be in the future",
        );
        errors.check(
            input.score.is_none_or(|s| (0..=100).contains(&s)),
            "score",
            "must be a percentage, 0 to 100",
        );
        let parsed = evidence.map(|evidence| Self {
            learner_id: input.learner_id,
            course_id: input.course_id,
            completed_on: input.completed_on,
            score: input.score,
            evidence,
        });
        errors.finish(parsed)
    }

    /// The same learner, course and day from external evidence is one event, recorded once.
    pub fn source_key(&self) -> String {
        format!(
            "external:{}:{}:{}",
            self.learner_id, self.course_id, self.completed_on
        )
    }
}

/// The event key of a completion earned by attending a session.
pub fn attendance_key(booking_id: Uuid) -> String {
    format!("session-booking:{booking_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a date")
    }

    #[test]
    fn a_yearly_course_expires_a_year_later_and_a_lifelong_one_never() {
        assert_eq!(expires_on(day(2026, 4, 1), Some(12)), Some(day(2027, 4, 1)));
        assert_eq!(expires_on(day(2026, 4, 1), None), None);
    }

    #[test]
    fn a_three_year_refresher_from_the_end_of_february_lands_on_a_real_day() {
        assert_eq!(
            expires_on(day(2024, 2, 29), Some(36)),
            Some(day(2027, 2, 28))
        );
        assert_eq!(
            expires_on(day(2026, 1, 31), Some(1)),
            Some(day(2026, 2, 28))
        );
    }

    #[test]
    fn evidence_is_not_dated_in_the_future_and_scores_are_percentages() {
        let draft = EvidenceInput {
            learner_id: Uuid::now_v7(),
            course_id: Uuid::now_v7(),
            completed_on: day(2026, 11, 23),
            score: Some(101),
            evidence: Some("LGA certificate".into()),
        };
        let Err(DomainError::Invalid(fields)) = Evidence::parse(draft.clone(), day(2026, 11, 22))
        else {
            panic!("invalid")
        };
        assert_eq!(
            fields.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(),
            ["completed_on", "score"]
        );
        let ok = Evidence::parse(
            EvidenceInput {
                score: Some(100),
                ..draft
            },
            day(2026, 11, 23),
        )
        .expect("valid");
        assert!(ok.source_key().starts_with("external:"));
    }
}
