//! Coaching, mentoring and reverse-mentoring partnerships between two learners.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::learner::{Learner, LearnerStatus};
use crate::{DomainError, vocabulary};

vocabulary!(
    /// Reverse mentoring pairs a junior colleague as mentor with a senior leader.
    PartnershipKind { Coaching => "coaching", Mentoring => "mentoring", ReverseMentoring => "reverse_mentoring" }
);

vocabulary!(
    /// Whether the partnership is still meeting.
    PartnershipStatus { Active => "active", Ended => "ended" }
);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partnership {
    pub id: Uuid,
    pub kind: PartnershipKind,
    pub mentor_id: Uuid,
    pub mentee_id: Uuid,
    pub started_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
}

impl Partnership {
    pub fn status(&self) -> PartnershipStatus {
        if self.ended_on.is_some() {
            PartnershipStatus::Ended
        } else {
            PartnershipStatus::Active
        }
    }

    pub fn end(&self, ended_on: NaiveDate) -> Result<NaiveDate, DomainError> {
        if let Some(ended) = self.ended_on {
            return Err(DomainError::Conflict(format!(
                "the partnership already ended on {ended}"
            )));
        }
        if ended_on < self.started_on {
            return Err(DomainError::invalid(
                "ended_on",
                "must not be before started_on",
            ));
        }
        Ok(ended_on)
    }
}

/// A partnership is between two different learners, both still with the council.
pub fn check_pair(mentor: &Learner, mentee: &Learner) -> Result<(), DomainError> {
    if mentor.id == mentee.id {
        return Err(DomainError::invalid(
            "mentee_id",
            "a learner cannot mentor themself",
        ));
    }
    for (field, learner) in [("mentor_id", mentor), ("mentee_id", mentee)] {
        if learner.status == LearnerStatus::Left {
            return Err(DomainError::invalid(
                field,
                "the learner has left the council",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).expect("a date")
    }

    #[test]
    fn a_partnership_ends_once_and_not_before_it_began() {
        let p = Partnership {
            id: Uuid::now_v7(),
            kind: PartnershipKind::ReverseMentoring,
            mentor_id: Uuid::now_v7(),
            mentee_id: Uuid::now_v7(),
            started_on: day(10),
            ended_on: None,
            created_at: Utc::now(),
        };
        assert_eq!(p.status(), PartnershipStatus::Active);
        assert!(p.end(day(9)).is_err());
        assert_eq!(p.end(day(10)), Ok(day(10)));
        let ended = Partnership {
            ended_on: Some(day(20)),
            ..p
        };
        assert_eq!(ended.status(), PartnershipStatus::Ended);
        assert!(matches!(ended.end(day(21)), Err(DomainError::Conflict(_))));
    }
}
