//! Needs-assessment rounds, the responses to them, and what the responses add up to.

use chrono::NaiveDate;
use pathway_domain::DomainError;
use pathway_domain::audit::Actor;
use pathway_domain::governance::{Choice, Demand, rank};
use pathway_domain::learner::{LearnerKind, LearnerStatus};
use pathway_domain::needs_assessment::{
    Accessibility, AccessibilityCounts, Answer, NeedsAssessment, Response, Round, Uptake,
    accessibility,
};
use sea_orm::entity::prelude::*;
use sea_orm::{
    ActiveValue::{Set, Unchanged},
    DatabaseTransaction, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};

use crate::db::{begin_write, now};
use crate::entity::needs_assessments as assessments;
use crate::entity::needs_responses as responses;
use crate::page::PageRequest;
use crate::sql::Sql;
use crate::versioned;
use crate::{Page, StoreError, audit, json, learner};

const RESOURCE: &str = "needs assessment";
const RESPONSE: &str = "response";

/// A choice as stored in a response's `choices` column.
#[derive(Serialize, Deserialize)]
struct StoredChoice {
    subject: String,
    priority: u8,
}

#[tracing::instrument(skip_all)]
pub async fn create(
    db: &DatabaseConnection,
    round: Round,
    actor: &Actor,
) -> Result<NeedsAssessment, StoreError> {
    let tx = begin_write(db).await?;
    let at = now();
    let row = assessments::ActiveModel {
        id: Set(Uuid::now_v7()),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
        ..write_round(&round)?
    }
    .insert(&tx)
    .await?;
    audit::record(&tx, actor, "needs_assessment.opened", RESOURCE, row.id).await?;
    tx.commit().await?;
    to_assessment(row)
}

pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<NeedsAssessment, StoreError> {
    assessments::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound(RESOURCE))
        .and_then(to_assessment)
}

pub async fn list(
    db: &DatabaseConnection,
    page: PageRequest,
) -> Result<Page<NeedsAssessment>, StoreError> {
    page.fetch(
        db,
        assessments::Entity::find(),
        assessments::Column::Id,
        |r| r.id,
    )
    .await?
    .try_map(to_assessment)
}

/// Changes a round. Once anyone has answered, a subject area they could have chosen stays.
#[tracing::instrument(skip(db, round, actor))]
pub async fn update(
    db: &DatabaseConnection,
    id: Uuid,
    expected_version: Option<i32>,
    round: Round,
    actor: &Actor,
) -> Result<NeedsAssessment, StoreError> {
    let tx = begin_write(db).await?;
    let row = versioned::lock(
        &tx,
        assessments::Entity::find_by_id(id),
        expected_version,
        RESOURCE,
    )
    .await?;
    let current = to_assessment(row.clone())?;
    let answered = responses::Entity::find()
        .filter(responses::Column::AssessmentId.eq(id))
        .one(&tx)
        .await?
        .is_some();
    let dropped: Vec<&String> = current
        .round
        .subjects
        .iter()
        .filter(|s| !round.subjects.contains(s))
        .collect();
    if answered && !dropped.is_empty() {
        return Err(DomainError::Conflict(format!(
            "responses have been given, so offered subject areas stay; cannot remove: {}",
            dropped
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .into());
    }
    let row = versioned::bump(&tx, &row, write_round(&round)?).await?;
    audit::record(&tx, actor, "needs_assessment.updated", RESOURCE, id).await?;
    tx.commit().await?;
    to_assessment(row)
}

/// Records a learner's answer to an open round, replacing the one they gave before. Returns
/// the response and whether it is their first.
#[tracing::instrument(skip(db, answer, actor))]
pub async fn respond(
    db: &DatabaseConnection,
    assessment_id: Uuid,
    learner_id: Uuid,
    answer: Answer,
    today: NaiveDate,
    actor: &Actor,
) -> Result<(Response, bool), StoreError> {
    let tx = begin_write(db).await?;
    let assessment = lock(&tx, assessment_id).await?;
    let learner = learner::get(&tx, learner_id)
        .await
        .map_err(StoreError::missing_as_invalid("learner_id"))?;
    if learner.status == LearnerStatus::Left {
        return Err(DomainError::Conflict("the learner has left the council".into()).into());
    }
    assessment.round.accepts(learner.profile.kind, today)?;
    let answer = Answer::parse(answer, &assessment.round)?;
    let existing = responses::Entity::find_by_id((assessment_id, learner_id))
        .one(&tx)
        .await?;
    let at = now();
    let mut row = write_answer(&answer)?;
    row.assessment_id = Set(assessment_id);
    row.learner_id = Set(learner_id);
    row.updated_at = Set(at);
    let first = existing.is_none();
    let row = match existing {
        Some(before) => {
            row.assessment_id = Unchanged(assessment_id);
            row.learner_id = Unchanged(learner_id);
            row.created_at = Unchanged(before.created_at);
            row.update(&tx).await?
        }
        None => {
            row.created_at = Set(at);
            row.insert(&tx).await?
        }
    };
    audit::record(
        &tx,
        actor,
        "needs_assessment.answered",
        RESPONSE,
        learner_id,
    )
    .await?;
    tx.commit().await?;
    Ok((to_response(row, learner.profile.kind)?, first))
}

pub async fn response(
    db: &impl ConnectionTrait,
    assessment_id: Uuid,
    learner_id: Uuid,
) -> Result<Response, StoreError> {
    get(db, assessment_id).await?;
    let row = responses::Entity::find_by_id((assessment_id, learner_id))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound(RESPONSE))?;
    let learner = learner::get(db, learner_id).await?;
    to_response(row, learner.profile.kind)
}

/// A round's responses, a page at a time in learner id order.
pub async fn responses(
    db: &DatabaseConnection,
    assessment_id: Uuid,
    page: PageRequest,
) -> Result<Page<Response>, StoreError> {
    get(db, assessment_id).await?;
    let query = responses::Entity::find().filter(responses::Column::AssessmentId.eq(assessment_id));
    let page = page
        .fetch(db, query, responses::Column::LearnerId, |r| r.learner_id)
        .await?;
    let ids: Vec<Uuid> = page.items.iter().map(|r| r.learner_id).collect();
    let learners = learner::by_ids(db, &ids).await?;
    page.try_map(|row| {
        let kind = learners
            .iter()
            .find(|l| l.id == row.learner_id)
            .map(|l| l.profile.kind)
            .ok_or_else(|| StoreError::Corrupt(RESPONSE, "its learner is gone".into()))?;
        to_response(row, kind)
    })
}

/// What a round's responses add up to.
#[derive(Debug, Clone)]
pub struct Summary {
    pub assessment: NeedsAssessment,
    /// The day learners were counted as invited: see [`Round::counted_on`].
    pub counted_on: NaiveDate,
    pub responses: usize,
    pub uptake: Vec<Uptake>,
    pub demand: Vec<Demand>,
    pub accessibility: AccessibilityCounts,
}

pub async fn summary(
    db: &DatabaseConnection,
    id: Uuid,
    today: NaiveDate,
) -> Result<Summary, StoreError> {
    let assessment = get(db, id).await?;
    let counted_on = assessment.round.counted_on(today);
    let rows = responses::Entity::find()
        .filter(responses::Column::AssessmentId.eq(id))
        .order_by_asc(responses::Column::LearnerId)
        .all(db)
        .await?;
    let answers = rows
        .into_iter()
        .map(read_answer)
        .collect::<Result<Vec<_>, _>>()?;
    let demand = rank(
        &assessment.round.subjects,
        answers.iter().map(|a| a.choices.as_slice()),
    );
    Ok(Summary {
        uptake: uptake(db, &assessment, counted_on).await?,
        demand,
        accessibility: accessibility(&answers),
        responses: answers.len(),
        counted_on,
        assessment,
    })
}

/// Per kind of learner the round consults: those asked (with the council on `day`, or who
/// answered) and those who answered.
async fn uptake(
    db: &DatabaseConnection,
    assessment: &NeedsAssessment,
    day: NaiveDate,
) -> Result<Vec<Uptake>, StoreError> {
    let mut sql = Sql::new(db.get_database_backend());
    let (id, d) = (sql.bind(assessment.id), sql.bind(day));
    sql.push(&format!(
        "SELECT l.kind, COUNT(*), COUNT(r.learner_id) FROM learners l \
         LEFT JOIN needs_responses r ON r.learner_id = l.id AND r.assessment_id = {id} \
         WHERE (l.started_on <= {d} AND (l.left_on IS NULL OR l.left_on > {d})) \
         OR r.learner_id IS NOT NULL GROUP BY l.kind"
    ));
    let rows = db.query_all_raw(sql.statement()).await?;
    let mut counted: Vec<(LearnerKind, i64, i64)> = Vec::new();
    for row in rows {
        let kind: String = row.try_get_by_index(0)?;
        counted.push((
            kind.parse().map_err(StoreError::corrupt("learner"))?,
            row.try_get_by_index(1)?,
            row.try_get_by_index(2)?,
        ));
    }
    Ok(LearnerKind::ALL
        .iter()
        .filter(|kind| assessment.round.audience.includes(**kind))
        .map(|kind| {
            let (invited, responded) = counted
                .iter()
                .find(|(k, _, _)| k == kind)
                .map_or((0, 0), |(_, i, r)| (*i, *r));
            Uptake {
                kind: *kind,
                invited: u64::try_from(invited).unwrap_or(0),
                responded: u64::try_from(responded).unwrap_or(0),
            }
        })
        .collect())
}

async fn lock(tx: &DatabaseTransaction, id: Uuid) -> Result<NeedsAssessment, StoreError> {
    assessments::Entity::find_by_id(id)
        .lock_exclusive()
        .one(tx)
        .await?
        .ok_or(StoreError::NotFound(RESOURCE))
        .and_then(to_assessment)
}

fn write_round(round: &Round) -> Result<assessments::ActiveModel, StoreError> {
    Ok(assessments::ActiveModel {
        title: Set(round.title.clone()),
        audience: Set(round.audience),
        opens_on: Set(round.opens_on),
        closes_on: Set(round.closes_on),
        subjects: Set(json::write(&round.subjects)?),
        ..Default::default()
    })
}

fn to_assessment(row: assessments::Model) -> Result<NeedsAssessment, StoreError> {
    Ok(NeedsAssessment {
        id: row.id,
        round: Round {
            title: row.title,
            audience: row.audience,
            opens_on: row.opens_on,
            closes_on: row.closes_on,
            subjects: json::read(RESOURCE, &row.subjects)?,
        },
        created_at: row.created_at,
        updated_at: row.updated_at,
        version: row.version,
    })
}

fn write_answer(answer: &Answer) -> Result<responses::ActiveModel, StoreError> {
    let choices: Vec<StoredChoice> = answer
        .choices
        .iter()
        .map(|c| StoredChoice {
            subject: c.subject.clone(),
            priority: c.priority,
        })
        .collect();
    let access = &answer.accessibility;
    Ok(responses::ActiveModel {
        choices: Set(json::write(&choices)?),
        comments: Set(answer.comments.clone()),
        times_of_day: Set(json::write(&access.times_of_day)?),
        formats: Set(json::write(&access.formats)?),
        other_needs: Set(access.other_needs.clone()),
        ..Default::default()
    })
}

fn read_answer(row: responses::Model) -> Result<Answer, StoreError> {
    let choices: Vec<StoredChoice> = json::read(RESPONSE, &row.choices)?;
    Ok(Answer {
        choices: choices
            .into_iter()
            .map(|c| Choice {
                subject: c.subject,
                priority: c.priority,
            })
            .collect(),
        comments: row.comments,
        accessibility: Accessibility {
            times_of_day: json::read(RESPONSE, &row.times_of_day)?,
            formats: json::read(RESPONSE, &row.formats)?,
            other_needs: row.other_needs,
        },
    })
}

fn to_response(row: responses::Model, kind: LearnerKind) -> Result<Response, StoreError> {
    let (assessment_id, learner_id) = (row.assessment_id, row.learner_id);
    let (created_at, updated_at) = (row.created_at, row.updated_at);
    Ok(Response {
        assessment_id,
        learner_id,
        learner_kind: kind,
        answer: read_answer(row)?,
        created_at,
        updated_at,
    })
}
