//! The panel's evaluations, the evidence each was made on, and what they recommend.

use chrono::NaiveDate;
use pathway_domain::DomainError;
use pathway_domain::audit::Actor;
use pathway_domain::evaluation::{
    Appraisal, BudgetEvidence, ComplianceEvidence, DeliveryEvidence, Evaluation, EvaluationScope,
    EvaluationStatus, Evidence, Ratings, Recommendation, evidence_day, financial_years,
};
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, DatabaseTransaction, QueryOrder};

use crate::compliance::{self, Scope};
use crate::db::{begin_write, now};
use crate::page::PageRequest;
use crate::versioned;
use crate::{Page, StoreError, audit, budget, course, json, panel, session, training_request};

use crate::entity::evaluations;
use evaluations::Column;

const RESOURCE: &str = "evaluation";

/// What an evaluation is checked and gathered against: the day, and how many supporters make a
/// training request ready for the panel (only those may be cited).
#[derive(Debug, Clone, Copy)]
pub struct Context {
    pub today: NaiveDate,
    pub supporters_for_panel: usize,
}

/// Drafts an evaluation and attaches the evidence for its scope and period as it stands.
#[tracing::instrument(skip(db, appraisal, actor))]
pub async fn create(
    db: &DatabaseConnection,
    panel_id: Uuid,
    appraisal: Appraisal,
    context: Context,
    actor: &Actor,
) -> Result<Evaluation, StoreError> {
    panel::get(db, panel_id).await?;
    check_references(db, &appraisal, context).await?;
    // Gathered before the write opens: a past day's compliance takes seconds at a council's
    // size, and the write lock would be held all that time.
    let evidence = gather(db, &appraisal, context.today).await?;
    let tx = begin_write(db).await?;
    panel::lock_panel(&tx, panel_id).await?;
    let at = now();
    let row = evaluations::ActiveModel {
        id: Set(Uuid::now_v7()),
        panel_id: Set(panel_id),
        evidence: Set(json::write(&evidence)?),
        status: Set(EvaluationStatus::Draft),
        meeting_id: Set(None),
        agreed_at: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
        version: Set(1),
        ..write_appraisal(&appraisal)?
    }
    .insert(&tx)
    .await?;
    audit::record(&tx, actor, "evaluation.drafted", RESOURCE, row.id).await?;
    tx.commit().await?;
    to_evaluation(row)
}

pub async fn get(
    db: &impl ConnectionTrait,
    panel_id: Uuid,
    id: Uuid,
) -> Result<Evaluation, StoreError> {
    evaluations::Entity::find_by_id(id)
        .filter(Column::PanelId.eq(panel_id))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound(RESOURCE))
        .and_then(to_evaluation)
}

pub async fn list(
    db: &DatabaseConnection,
    panel_id: Uuid,
    status: Option<EvaluationStatus>,
    page: PageRequest,
) -> Result<Page<Evaluation>, StoreError> {
    panel::get(db, panel_id).await?;
    let mut query = evaluations::Entity::find().filter(Column::PanelId.eq(panel_id));
    if let Some(status) = status {
        query = query.filter(Column::Status.eq(status));
    }
    page.fetch(db, query, Column::Id, |r| r.id)
        .await?
        .try_map(to_evaluation)
}

/// Redrafts an evaluation; its evidence is gathered again when the scope or period moves.
#[tracing::instrument(skip(db, appraisal, actor))]
pub async fn update(
    db: &DatabaseConnection,
    panel_id: Uuid,
    id: Uuid,
    expected_version: Option<i32>,
    appraisal: Appraisal,
    context: Context,
    actor: &Actor,
) -> Result<Evaluation, StoreError> {
    check_references(db, &appraisal, context).await?;
    let before = get(db, panel_id, id).await?;
    let evidence = if reach(&before.appraisal) == reach(&appraisal) {
        None
    } else {
        Some(gather(db, &appraisal, context.today).await?)
    };
    let tx = begin_write(db).await?;
    let current = lock(&tx, panel_id, id, expected_version).await?;
    let drafted = to_evaluation(current.clone())?;
    drafted.revise()?;
    if reach(&drafted.appraisal) != reach(&before.appraisal) {
        // Redrafted in between: the evidence above may be for another scope or period.
        return Err(StoreError::Stale(RESOURCE));
    }
    let mut changes = write_appraisal(&appraisal)?;
    if let Some(evidence) = evidence {
        changes.evidence = Set(json::write(&evidence)?);
    }
    let row = versioned::bump(&tx, &current, changes).await?;
    audit::record(&tx, actor, "evaluation.redrafted", RESOURCE, id).await?;
    tx.commit().await?;
    to_evaluation(row)
}

/// Records that the panel agreed the evaluation at one of its meetings, already held.
#[tracing::instrument(skip(db, actor))]
pub async fn agree(
    db: &DatabaseConnection,
    panel_id: Uuid,
    id: Uuid,
    meeting_id: Uuid,
    expected_version: Option<i32>,
    today: NaiveDate,
    actor: &Actor,
) -> Result<Evaluation, StoreError> {
    let tx = begin_write(db).await?;
    let current = lock(&tx, panel_id, id, expected_version).await?;
    to_evaluation(current.clone())?.agree()?;
    let meeting = panel::meeting(&tx, panel_id, meeting_id)
        .await
        .map_err(StoreError::missing_as_invalid("meeting_id"))?;
    if meeting.record.held_on > today {
        return Err(DomainError::invalid(
            "meeting_id",
            format!(
                "the meeting is on {}: an evaluation is agreed at a meeting already held",
                meeting.record.held_on
            ),
        )
        .into());
    }
    let changes = evaluations::ActiveModel {
        status: Set(EvaluationStatus::Agreed),
        meeting_id: Set(Some(meeting_id)),
        agreed_at: Set(Some(now())),
        ..Default::default()
    };
    let row = versioned::bump(&tx, &current, changes).await?;
    audit::record(&tx, actor, "evaluation.agreed", RESOURCE, id).await?;
    tx.commit().await?;
    to_evaluation(row)
}

/// The panel's agreed evaluations whose meeting was held between `from` and `to`, with that
/// meeting's day, in the order they were agreed.
pub async fn agreed_between(
    db: &impl ConnectionTrait,
    panel_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(Evaluation, NaiveDate)>, StoreError> {
    let rows = evaluations::Entity::find()
        .filter(Column::PanelId.eq(panel_id))
        .filter(Column::Status.eq(EvaluationStatus::Agreed))
        .order_by_asc(Column::AgreedAt)
        .all(db)
        .await?;
    let mut agreed = Vec::new();
    for row in rows {
        let Some(meeting_id) = row.meeting_id else {
            continue;
        };
        let held_on = panel::meeting(db, panel_id, meeting_id)
            .await?
            .record
            .held_on;
        if (from..=to).contains(&held_on) {
            agreed.push((to_evaluation(row)?, held_on));
        }
    }
    Ok(agreed)
}

/// The evidence for an appraisal's scope and period: the delivery report's figures, the
/// compliance report's overall figures on the period's last day, and the budget position of
/// each financial year the period touches.
pub async fn gather(
    db: &DatabaseConnection,
    appraisal: &Appraisal,
    today: NaiveDate,
) -> Result<Evidence, StoreError> {
    let course_id = appraisal.scope.course_id();
    let rows = session::delivery(db, appraisal.period_start, appraisal.period_end).await?;
    let delivery = DeliveryEvidence::from_rows(
        rows.iter()
            .filter(|r| course_id.is_none_or(|c| c == r.course_id)),
    );
    let as_of = evidence_day(appraisal.period_end, today);
    let scope = Scope {
        day: as_of,
        window_days: 30,
        kind: None,
        department: None,
        course_id,
        manager_id: None,
    };
    let figures = compliance::figures(db, &scope, today).await?;
    let pillar = match appraisal.scope {
        EvaluationScope::Programme => None,
        EvaluationScope::Course(id) => Some(course::get(db, id).await?.details.pillar),
    };
    let mut money = Vec::new();
    for year in financial_years(appraisal.period_start, appraisal.period_end) {
        let positions = budget::summary(db, year).await?;
        money.push(BudgetEvidence::from_positions(
            year,
            positions
                .into_iter()
                .filter(|(p, _)| pillar.is_none_or(|wanted| wanted == *p))
                .map(|(_, position)| position),
        )?);
    }
    Ok(Evidence {
        delivery,
        compliance: ComplianceEvidence::from_tally(as_of, &figures.overall()),
        budget: money,
    })
}

/// The courses an appraisal names exist, and the requests it cites were sent to the panel.
async fn check_references(
    db: &DatabaseConnection,
    appraisal: &Appraisal,
    context: Context,
) -> Result<(), StoreError> {
    for course_id in appraisal.named_courses() {
        course::get(db, course_id)
            .await
            .map_err(StoreError::missing_as_invalid("course_id"))?;
    }
    for request_id in appraisal.cited_requests() {
        let request = training_request::get(db, request_id)
            .await
            .map_err(StoreError::missing_as_invalid("training_request_ids"))?;
        if !request.ready_for_panel(context.supporters_for_panel) {
            return Err(DomainError::invalid(
                "training_request_ids",
                format!(
                    "training request {request_id} is not ready for the panel: only additional requests with {} supporters are",
                    context.supporters_for_panel
                ),
            )
            .into());
        }
    }
    Ok(())
}

async fn lock(
    tx: &DatabaseTransaction,
    panel_id: Uuid,
    id: Uuid,
    expected_version: Option<i32>,
) -> Result<evaluations::Model, StoreError> {
    let of_panel = evaluations::Entity::find_by_id(id).filter(Column::PanelId.eq(panel_id));
    versioned::lock(tx, of_panel, expected_version, RESOURCE).await
}

/// What the evidence depends on: the scope and the period.
fn reach(appraisal: &Appraisal) -> (EvaluationScope, NaiveDate, NaiveDate) {
    (
        appraisal.scope,
        appraisal.period_start,
        appraisal.period_end,
    )
}

fn write_appraisal(appraisal: &Appraisal) -> Result<evaluations::ActiveModel, StoreError> {
    let rating = |r: Option<u8>| Set(r.map(i16::from));
    Ok(evaluations::ActiveModel {
        scope_kind: Set(appraisal.scope.kind()),
        course_id: Set(appraisal.scope.course_id()),
        period_start: Set(appraisal.period_start),
        period_end: Set(appraisal.period_end),
        needs_met: rating(appraisal.ratings.needs_met),
        uptake: rating(appraisal.ratings.uptake),
        accessibility: rating(appraisal.ratings.accessibility),
        quality: rating(appraisal.ratings.quality),
        findings: Set(appraisal.findings.clone()),
        recommendations: Set(json::write(&appraisal.recommendations)?),
        ..Default::default()
    })
}

fn to_evaluation(row: evaluations::Model) -> Result<Evaluation, StoreError> {
    let corrupt = StoreError::corrupt(RESOURCE);
    let rating = |r: Option<i16>| -> Result<Option<u8>, StoreError> {
        r.map(|r| u8::try_from(r).map_err(|_| StoreError::Corrupt(RESOURCE, "a rating".into())))
            .transpose()
    };
    let recommendations: Vec<Recommendation> = json::read(RESOURCE, &row.recommendations)?;
    Ok(Evaluation {
        id: row.id,
        panel_id: row.panel_id,
        appraisal: Appraisal {
            scope: EvaluationScope::parse(row.scope_kind, row.course_id).map_err(&corrupt)?,
            period_start: row.period_start,
            period_end: row.period_end,
            ratings: Ratings {
                needs_met: rating(row.needs_met)?,
                uptake: rating(row.uptake)?,
                accessibility: rating(row.accessibility)?,
                quality: rating(row.quality)?,
            },
            findings: row.findings,
            recommendations,
        },
        evidence: json::read(RESOURCE, &row.evidence)?,
        status: row.status,
        meeting_id: row.meeting_id,
        agreed_at: row.agreed_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
        version: row.version,
    })
}
