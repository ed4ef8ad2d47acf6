//! Completions e-learning platforms report by signed callback, each delivery applied once.

use chrono::NaiveDate;
use pathway_domain::DomainError;
use pathway_domain::completion::{Completion, CompletionSource, Evidence, EvidenceInput};
use pathway_domain::course::CourseCode;
use pathway_domain::text::Email;
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, SqlErr};

use crate::change::Change;
use crate::completion::{self, NewCompletion};
use crate::db::now;
use crate::entity::callback_deliveries as deliveries;
use crate::{StoreError, course, learner};

/// A completion as a callback reports it.
#[derive(Debug, Clone)]
pub struct Reported {
    /// The learner's HR reference, or their email address.
    pub learner_ref: String,
    /// The course's code.
    pub course_ref: String,
    pub completed_on: NaiveDate,
    pub score: Option<i32>,
}

/// What a delivery did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// The completion recorded (none when the learner already had it from this provider's
    /// same event).
    Applied(Option<Completion>),
    /// The delivery was seen before: acknowledged, and nothing done again.
    Replayed,
}

/// Applies a verified delivery once: its id is stored in the same transaction as the
/// completion, so a replay, even through another server process, finds it and does nothing.
/// A learner or course Pathway does not know is refused, and nothing is kept, so the
/// platform's retry succeeds once the mapping exists.
#[tracing::instrument(skip(change, reported))]
pub async fn deliver(
    change: &Change,
    provider: &str,
    webhook_id: &str,
    reported: Reported,
    today: NaiveDate,
) -> Result<Delivery, StoreError> {
    let tx = change.tx();
    let stored = deliveries::ActiveModel {
        provider: Set(provider.to_owned()),
        webhook_id: Set(webhook_id.to_owned()),
        received_at: Set(now()),
        completion_id: Set(None),
    }
    .insert(tx)
    .await;
    match stored {
        Ok(_) => {}
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Ok(Delivery::Replayed);
        }
        Err(e) => return Err(e.into()),
    }
    let reference = reported.learner_ref.trim();
    let by_ref = learner::find_by_external_ref(tx, reference).await?;
    let found = match (by_ref, Email::parse(reference)) {
        (Some(learner), _) => Some(learner),
        (None, Ok(email)) => learner::find_by_email(tx, &email).await?,
        (None, Err(_)) => None,
    };
    let learner = found.ok_or_else(|| {
        DomainError::invalid(
            "learner_ref",
            "matches no learner's HR reference or email address",
        )
    })?;
    let code = CourseCode::parse(reported.course_ref.trim())
        .map_err(|_| DomainError::invalid("course_ref", "is not a course code"))?;
    let course = course::find_by_code(tx, &code)
        .await?
        .ok_or_else(|| DomainError::invalid("course_ref", "matches no course's code"))?;
    // The rules of evidence an admin records: done, not planned, and a percentage.
    let evidence = Evidence::parse(
        EvidenceInput {
            learner_id: learner.id,
            course_id: course.id,
            completed_on: reported.completed_on,
            score: reported.score,
            evidence: Some(format!("{provider} callback {webhook_id}")),
        },
        today,
    )?;
    let recorded = completion::record(
        change,
        NewCompletion {
            learner_id: learner.id,
            course: &course,
            completed_on: evidence.completed_on,
            source: CompletionSource::Elearning,
            source_key: format!(
                "callback:{provider}:{}:{}:{}",
                learner.id, course.id, evidence.completed_on
            ),
            score: evidence.score,
            evidence: evidence.evidence,
        },
    )
    .await?;
    if let Some(done) = &recorded {
        deliveries::ActiveModel {
            provider: sea_orm::ActiveValue::Unchanged(provider.to_owned()),
            webhook_id: sea_orm::ActiveValue::Unchanged(webhook_id.to_owned()),
            completion_id: Set(Some(done.id)),
            ..Default::default()
        }
        .update(tx)
        .await?;
    }
    Ok(Delivery::Applied(recorded))
}
