use pathway_domain::DomainError;
use pathway_domain::audit::Actor;
use pathway_domain::budget::FinancialYear;
use pathway_domain::completion::CompletionSource;
use pathway_domain::learner::LearnerStatus;
use pathway_domain::training_request::{
    RequestAction, RequestDetails, RequestKind, RequestStatus, TrainingRequest, Transition,
};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query};
use sea_orm::{
    ActiveValue::{Set, Unchanged},
    DatabaseTransaction, QueryOrder, QuerySelect,
};

use crate::change::Change;
use crate::completion::{self, NewCompletion};
use crate::db::{begin_write, now};
use crate::page::PageRequest;
use crate::{Page, StoreError, audit, budget, course, learner};

use crate::entity::request_supporters as supporters;
use crate::entity::request_transitions as transitions;
use crate::entity::training_requests as requests;
use requests::Column;

const RESOURCE: &str = "training request";

/// Narrows the requests; every field is optional.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    pub requester_id: Option<Uuid>,
    pub status: Option<RequestStatus>,
    pub kind: Option<RequestKind>,
    /// Only additional requests with at least this many supporters.
    pub supporters_at_least: Option<u64>,
    /// Only the requests of this manager's reports, with the manager's own.
    pub manager_id: Option<Uuid>,
}

/// What an action carries besides the action itself.
#[derive(Debug, Clone, Default)]
pub struct ActionInput {
    /// Why: required to reject, kept in the history for every action.
    pub reason: Option<String>,
    /// An admin's reason to approve beyond the budget.
    pub override_reason: Option<String>,
    /// What the training cost, to complete it.
    pub actual_cost_pence: Option<i64>,
}

#[tracing::instrument(skip(db, details, actor))]
pub async fn create(
    db: &DatabaseConnection,
    requester_id: Uuid,
    details: RequestDetails,
    actor: &Actor,
) -> Result<TrainingRequest, StoreError> {
    let tx = begin_write(db).await?;
    let requester = learner::get(&tx, requester_id)
        .await
        .map_err(StoreError::missing_as_invalid("requester_id"))?;
    if requester.status == LearnerStatus::Left {
        return Err(
            DomainError::invalid("requester_id", "the learner has left the council").into(),
        );
    }
    if let Some(course_id) = details.course_id {
        course::get(&tx, course_id)
            .await
            .map_err(StoreError::missing_as_invalid("course_id"))?;
    }
    let at = now();
    let row = requests::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(details.kind),
        requester_id: Set(requester_id),
        title: Set(details.title),
        provider: Set(details.provider),
        justification: Set(details.justification),
        development_need: Set(details.development_need),
        course_id: Set(details.course_id),
        starts_on: Set(details.starts_on),
        ends_on: Set(details.ends_on),
        estimated_cost_pence: Set(details.estimated_cost_pence),
        actual_cost_pence: Set(None),
        pillar: Set(details.pillar),
        status: Set(RequestStatus::Draft),
        override_reason: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&tx)
    .await?;
    record_transition(&tx, row.id, None, RequestStatus::Draft, actor, None).await?;
    audit::record(&tx, actor, "training_request.created", RESOURCE, row.id).await?;
    let request = get(&tx, row.id).await?;
    tx.commit().await?;
    Ok(request)
}

pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<TrainingRequest, StoreError> {
    let row = requests::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound(RESOURCE))?;
    hydrate(db, row).await
}

pub async fn list(
    db: &DatabaseConnection,
    filter: RequestFilter,
    page: PageRequest,
) -> Result<Page<TrainingRequest>, StoreError> {
    let mut query = requests::Entity::find();
    if let Some(requester_id) = filter.requester_id {
        query = query.filter(Column::RequesterId.eq(requester_id));
    }
    if let Some(status) = filter.status {
        query = query.filter(Column::Status.eq(status));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(Column::Kind.eq(kind));
    }
    if let Some(threshold) = filter.supporters_at_least {
        let backed = Query::select()
            .column(supporters::Column::RequestId)
            .from(supporters::Entity)
            .group_by_col(supporters::Column::RequestId)
            .and_having(
                Expr::expr(Func::count(Expr::col(supporters::Column::LearnerId))).gte(threshold),
            )
            .to_owned();
        query = query
            .filter(Column::Kind.eq(RequestKind::Additional))
            .filter(Column::Id.in_subquery(backed));
    }
    if let Some(manager_id) = filter.manager_id {
        query = query.filter(
            sea_orm::Condition::any()
                .add(Column::RequesterId.eq(manager_id))
                .add(Column::RequesterId.in_subquery(learner::reports_of(manager_id))),
        );
    }
    let rows = page.fetch(db, query, Column::Id, |row| row.id).await?;
    let mut items = Vec::with_capacity(rows.items.len());
    for row in rows.items {
        items.push(hydrate(db, row).await?);
    }
    Ok(Page {
        items,
        next_after: rows.next_after,
    })
}

/// Moves a request through its workflow. Approval commits the estimated cost against the
/// pillar's budget for the financial year the training starts in, in the same transaction as
/// the status change, with the pillar's allocation locked so approvals queue.
#[tracing::instrument(skip(change, input))]
pub async fn act(
    change: &Change,
    id: Uuid,
    action: RequestAction,
    input: ActionInput,
) -> Result<TrainingRequest, StoreError> {
    let (tx, actor) = (change.tx(), change.actor());
    let row = requests::Entity::find_by_id(id)
        .lock_exclusive()
        .one(tx)
        .await?
        .ok_or(StoreError::NotFound(RESOURCE))?;
    let request = hydrate(tx, row).await?;
    let status = request.status.apply(action)?;
    let mut changes = requests::ActiveModel {
        id: Unchanged(id),
        status: Set(status),
        updated_at: Set(now()),
        ..Default::default()
    };
    let reason = input
        .reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    match action {
        RequestAction::Reject if reason.is_none() => {
            return Err(DomainError::invalid("reason", "a rejection says why").into());
        }
        RequestAction::Approve => {
            let year = FinancialYear::containing(request.details.starts_on);
            let position = budget::lock_position(tx, year, request.details.pillar).await?;
            let overridden = position.commit(
                year,
                request.details.pillar,
                request.details.estimated_cost_pence,
                input.override_reason.as_deref(),
            )?;
            changes.override_reason = Set(overridden);
        }
        RequestAction::Complete => {
            let actual = input
                .actual_cost_pence
                .filter(|&pence| pathway_domain::budget::is_amount(pence))
                .ok_or_else(|| {
                    DomainError::invalid(
                        "actual_cost_pence",
                        format!(
                            "completing records what the training cost: it {}",
                            pathway_domain::budget::AMOUNT_RULE
                        ),
                    )
                })?;
            changes.actual_cost_pence = Set(Some(actual));
            if let Some(course_id) = request.details.course_id {
                let course = course::get(tx, course_id).await?;
                let new = NewCompletion {
                    learner_id: request.requester_id,
                    course: &course,
                    completed_on: request.details.ends_on,
                    source: CompletionSource::Request,
                    source_key: format!("request:{id}"),
                    score: None,
                    evidence: Some(format!("Training request: {}", request.details.title)),
                };
                completion::record(change, new).await?;
            }
        }
        _ => {}
    }
    changes.update(tx).await?;
    record_transition(tx, id, Some(request.status), status, actor, reason).await?;
    audit::record(
        tx,
        actor,
        &format!("training_request.{}", past_tense(action)),
        RESOURCE,
        id,
    )
    .await?;
    let request = get(tx, id).await?;
    Ok(request)
}

/// A learner co-signs an additional request.
#[tracing::instrument(skip(db, actor))]
pub async fn support(
    db: &DatabaseConnection,
    id: Uuid,
    learner_id: Uuid,
    actor: &Actor,
) -> Result<TrainingRequest, StoreError> {
    let tx = begin_write(db).await?;
    let row = requests::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&tx)
        .await?
        .ok_or(StoreError::NotFound(RESOURCE))?;
    let request = hydrate(&tx, row).await?;
    let supporter = learner::get(&tx, learner_id)
        .await
        .map_err(StoreError::missing_as_invalid("learner_id"))?;
    if supporter.status == LearnerStatus::Left {
        return Err(DomainError::invalid("learner_id", "the learner has left the council").into());
    }
    request.support(learner_id)?;
    supporters::ActiveModel {
        request_id: Set(id),
        learner_id: Set(learner_id),
        supported_at: Set(now()),
    }
    .insert(&tx)
    .await?;
    audit::record(&tx, actor, "training_request.supported", RESOURCE, id).await?;
    let request = get(&tx, id).await?;
    tx.commit().await?;
    Ok(request)
}

fn past_tense(action: RequestAction) -> &'static str {
    match action {
        RequestAction::Submit => "submitted",
        RequestAction::Approve => "approved",
        RequestAction::Reject => "rejected",
        RequestAction::Withdraw => "withdrawn",
        RequestAction::Book => "booked",
        RequestAction::Complete => "completed",
        RequestAction::Cancel => "cancelled",
    }
}

async fn record_transition(
    tx: &DatabaseTransaction,
    request_id: Uuid,
    from: Option<RequestStatus>,
    to: RequestStatus,
    actor: &Actor,
    reason: Option<String>,
) -> Result<(), StoreError> {
    transitions::ActiveModel {
        id: Set(Uuid::now_v7()),
        request_id: Set(request_id),
        from_status: Set(from),
        to_status: Set(to),
        actor: Set(actor.subject.clone()),
        reason: Set(reason),
        at: Set(now()),
    }
    .insert(tx)
    .await?;
    Ok(())
}

async fn hydrate(
    db: &impl ConnectionTrait,
    row: requests::Model,
) -> Result<TrainingRequest, StoreError> {
    let supporters: Vec<Uuid> = supporters::Entity::find()
        .select_only()
        .column(supporters::Column::LearnerId)
        .filter(supporters::Column::RequestId.eq(row.id))
        .order_by_asc(supporters::Column::SupportedAt)
        .into_tuple()
        .all(db)
        .await?;
    let steps = transitions::Entity::find()
        .filter(transitions::Column::RequestId.eq(row.id))
        .order_by_asc(transitions::Column::Id)
        .all(db)
        .await?;
    let mut history = Vec::with_capacity(steps.len());
    for step in steps {
        history.push(Transition {
            from: step.from_status,
            to: step.to_status,
            actor: step.actor,
            reason: step.reason,
            at: step.at,
        });
    }
    Ok(TrainingRequest {
        id: row.id,
        requester_id: row.requester_id,
        details: RequestDetails {
            kind: row.kind,
            title: row.title,
            provider: row.provider,
            justification: row.justification,
            development_need: row.development_need,
            course_id: row.course_id,
            starts_on: row.starts_on,
            ends_on: row.ends_on,
            estimated_cost_pence: row.estimated_cost_pence,
            pillar: row.pillar,
        },
        status: row.status,
        actual_cost_pence: row.actual_cost_pence,
        override_reason: row.override_reason,
        supporters,
        history,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}
