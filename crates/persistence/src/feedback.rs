use std::collections::HashMap;

use chrono::NaiveDate;
use pathway_domain::DomainError;
use pathway_domain::audit::Actor;
use pathway_domain::calendar::london_day_start;
use pathway_domain::feedback::{Feedback, FeedbackDetails, Subject, Summary, summarise};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;

use crate::db::{begin_write, now};
use crate::page::PageRequest;
use crate::{Page, StoreError, audit, cohort, course, learner, programme, session};

use crate::entity::feedback as entity;
use entity::Column;

const RESOURCE: &str = "feedback";

/// Narrows the evaluations; every field is optional. Dates are London days of `given_at`.
#[derive(Debug, Clone, Default)]
pub struct FeedbackFilter {
    pub session_id: Option<Uuid>,
    pub cohort_id: Option<Uuid>,
    pub learner_id: Option<Uuid>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// How a summary groups evaluations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    Session,
    Course,
    Provider,
}

/// Records a delegate's evaluation: of a session they attended, or of a module of a cohort
/// they belong to; once each.
#[tracing::instrument(skip_all)]
pub async fn give(
    db: &DatabaseConnection,
    details: FeedbackDetails,
    actor: &Actor,
) -> Result<Feedback, StoreError> {
    let tx = begin_write(db).await?;
    learner::get(&tx, details.learner_id)
        .await
        .map_err(StoreError::missing_as_invalid("learner_id"))?;
    let (session_id, cohort_id, module_id) = match details.subject {
        Subject::Session(session_id) => {
            session::get(&tx, session_id)
                .await
                .map_err(StoreError::missing_as_invalid("session_id"))?;
            if !session::attended(&tx, session_id, details.learner_id).await? {
                return Err(DomainError::invalid(
                    "learner_id",
                    "only a learner who attended the session evaluates it",
                )
                .into());
            }
            (Some(session_id), None, None)
        }
        Subject::Module {
            cohort_id,
            module_id,
        } => {
            let cohort = cohort::get(&tx, cohort_id)
                .await
                .map_err(StoreError::missing_as_invalid("cohort_id"))?;
            if !cohort::is_member(&tx, cohort_id, details.learner_id).await? {
                return Err(DomainError::invalid(
                    "learner_id",
                    "only a member of the cohort evaluates its modules",
                )
                .into());
            }
            let programme = programme::get(&tx, cohort.details.programme_id).await?;
            if !programme.modules.iter().any(|m| m.id == module_id) {
                return Err(DomainError::invalid(
                    "module_id",
                    format!("not a module of {}", programme.name),
                )
                .into());
            }
            (None, Some(cohort_id), Some(module_id))
        }
    };
    let row = entity::ActiveModel {
        id: Set(Uuid::now_v7()),
        learner_id: Set(details.learner_id),
        subject_key: Set(details.subject.key()),
        session_id: Set(session_id),
        cohort_id: Set(cohort_id),
        module_id: Set(module_id),
        rating: Set(details.rating),
        comments: Set(details.comments.clone()),
        would_recommend: Set(details.would_recommend),
        given_at: Set(now()),
    }
    .insert(&tx)
    .await
    .map_err(
        |e| match StoreError::duplicate(RESOURCE, &["subject_key"])(e) {
            StoreError::Duplicate { .. } => {
                DomainError::Conflict("the learner has already evaluated this".into()).into()
            }
            other => other,
        },
    )?;
    audit::record(&tx, actor, "feedback.given", RESOURCE, row.id).await?;
    tx.commit().await?;
    Ok(Feedback {
        id: row.id,
        details,
        given_at: row.given_at,
    })
}

pub async fn list(
    db: &DatabaseConnection,
    filter: FeedbackFilter,
    page: PageRequest,
) -> Result<Page<Feedback>, StoreError> {
    page.fetch(db, filtered(filter), Column::Id, |row| row.id)
        .await?
        .try_map(to_feedback)
}

/// Count, mean and distribution of the evaluations given from `from` to `to`, grouped by
/// session, by the course evaluated (a cohort's module counts for its programme's course), or
/// by that course's provider.
pub async fn summary(
    db: &DatabaseConnection,
    grouping: Grouping,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Vec<Summary>, StoreError> {
    let rows = filtered(FeedbackFilter {
        from,
        to,
        ..FeedbackFilter::default()
    })
    .all(db)
    .await?;
    let mut course_of_session: HashMap<Uuid, Uuid> = HashMap::new();
    let mut course_of_cohort: HashMap<Uuid, Uuid> = HashMap::new();
    let mut provider_of_course: HashMap<Uuid, String> = HashMap::new();
    let mut keyed = Vec::with_capacity(rows.len());
    for row in rows {
        let course_id = match (row.session_id, row.cohort_id) {
            (Some(session_id), _) => match course_of_session.get(&session_id) {
                Some(id) => *id,
                None => {
                    let id = session::get(db, session_id).await?.details.course_id();
                    *course_of_session.entry(session_id).or_insert(id)
                }
            },
            (None, Some(cohort_id)) => match course_of_cohort.get(&cohort_id) {
                Some(id) => *id,
                None => {
                    let programme_id = cohort::get(db, cohort_id).await?.details.programme_id;
                    let id = programme::get(db, programme_id).await?.course_id;
                    *course_of_cohort.entry(cohort_id).or_insert(id)
                }
            },
            (None, None) => {
                return Err(StoreError::Corrupt(
                    RESOURCE,
                    format!("feedback {} has no subject", row.id),
                ));
            }
        };
        let key = match grouping {
            Grouping::Session => row
                .session_id
                .map_or_else(|| row.subject_key.clone(), |id| id.to_string()),
            Grouping::Course => course_id.to_string(),
            Grouping::Provider => match provider_of_course.get(&course_id) {
                Some(provider) => provider.clone(),
                None => {
                    let provider = course::get(db, course_id).await?.details.provider;
                    provider_of_course
                        .entry(course_id)
                        .or_insert(provider)
                        .clone()
                }
            },
        };
        keyed.push((key, to_feedback(row)?.details));
    }
    Ok(summarise(
        keyed.iter().map(|(key, details)| (key.clone(), details)),
    ))
}

fn filtered(filter: FeedbackFilter) -> sea_orm::Select<entity::Entity> {
    let mut query = entity::Entity::find();
    if let Some(session_id) = filter.session_id {
        query = query.filter(Column::SessionId.eq(session_id));
    }
    if let Some(cohort_id) = filter.cohort_id {
        query = query.filter(Column::CohortId.eq(cohort_id));
    }
    if let Some(learner_id) = filter.learner_id {
        query = query.filter(Column::LearnerId.eq(learner_id));
    }
    if let Some(from) = filter.from {
        query = query.filter(Column::GivenAt.gte(london_day_start(from)));
    }
    if let Some(next) = filter.to.and_then(|to| to.succ_opt()) {
        query = query.filter(Column::GivenAt.lt(london_day_start(next)));
    }
    query
}

fn to_feedback(row: entity::Model) -> Result<Feedback, StoreError> {
    let subject = Subject::from_parts(row.session_id, row.cohort_id, row.module_id)
        .map_err(StoreError::corrupt(RESOURCE))?;
    Ok(Feedback {
        id: row.id,
        details: FeedbackDetails {
            learner_id: row.learner_id,
            subject,
            rating: row.rating,
            comments: row.comments,
            would_recommend: row.would_recommend,
        },
        given_at: row.given_at,
    })
}
