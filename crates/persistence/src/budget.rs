use std::collections::HashMap;

use pathway_domain::DomainError;
use pathway_domain::audit::Actor;
use pathway_domain::budget::{FinancialYear, Movement, Position, positions};
use pathway_domain::calendar::london_day_start;
use pathway_domain::course::Pillar;
use pathway_domain::training_request::RequestStatus;
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, QueryOrder, QuerySelect};

use crate::db::{begin_write, now};
use crate::entity::training_requests as requests;
use crate::{StoreError, audit, course, session};

use crate::entity::budget_allocations as allocations;
use allocations::Column;

const RESOURCE: &str = "budget";

/// A year's allocations by pillar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    pub year: FinancialYear,
    pub allocations: Vec<(Pillar, i64)>,
}

/// A stable id for a year's budget in the audit trail.
fn audit_id(year: FinancialYear) -> Uuid {
    Uuid::new_v5(
        &Uuid::NAMESPACE_OID,
        format!("pathway:budget:{year}").as_bytes(),
    )
}

/// Sets a year's allocations: creates the budget, or with `replace` changes an existing one.
#[tracing::instrument(skip(db, allocations, actor))]
pub async fn set(
    db: &DatabaseConnection,
    year: FinancialYear,
    allocations: Vec<(Pillar, i64)>,
    replace: bool,
    actor: &Actor,
) -> Result<Budget, StoreError> {
    let tx = begin_write(db).await?;
    let existing = allocations::Entity::find()
        .filter(Column::FinancialYear.eq(year.name()))
        .lock_exclusive()
        .all(&tx)
        .await?;
    match (existing.is_empty(), replace) {
        (false, false) => {
            return Err(DomainError::Conflict(format!(
                "the {year} budget exists; change it with PUT"
            ))
            .into());
        }
        (true, true) => return Err(StoreError::NotFound(RESOURCE)),
        _ => {}
    }
    for (pillar, amount) in &allocations {
        let row = allocations::ActiveModel {
            financial_year: Set(year.name()),
            pillar: Set(*pillar),
            amount_pence: Set(*amount),
            updated_at: Set(now()),
        };
        if existing.iter().any(|e| e.pillar == *pillar) {
            row.update(&tx).await?;
        } else {
            row.insert(&tx).await?;
        }
    }
    for gone in existing
        .iter()
        .filter(|e| !allocations.iter().any(|(p, _)| *p == e.pillar))
    {
        allocations::Entity::delete_by_id((gone.financial_year.clone(), gone.pillar))
            .exec(&tx)
            .await?;
    }
    audit::record(
        &tx,
        actor,
        if replace {
            "budget.changed"
        } else {
            "budget.created"
        },
        RESOURCE,
        audit_id(year),
    )
    .await?;
    let budget = get(&tx, year).await?;
    tx.commit().await?;
    Ok(budget)
}

pub async fn get(db: &impl ConnectionTrait, year: FinancialYear) -> Result<Budget, StoreError> {
    let rows = allocations::Entity::find()
        .filter(Column::FinancialYear.eq(year.name()))
        .order_by_asc(Column::Pillar)
        .all(db)
        .await?;
    if rows.is_empty() {
        return Err(StoreError::NotFound(RESOURCE));
    }
    let allocations = rows
        .into_iter()
        .map(|r| (r.pillar, r.amount_pence))
        .collect();
    Ok(Budget { year, allocations })
}

/// Every year's budget, earliest first.
pub async fn list(db: &DatabaseConnection) -> Result<Vec<Budget>, StoreError> {
    let years: Vec<String> = allocations::Entity::find()
        .select_only()
        .column(Column::FinancialYear)
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    let mut budgets = Vec::with_capacity(years.len());
    for name in years {
        budgets.push(
            get(
                db,
                FinancialYear::parse(&name).map_err(StoreError::corrupt(RESOURCE))?,
            )
            .await?,
        );
    }
    budgets.sort_by_key(|b| b.year);
    Ok(budgets)
}

/// Every pillar's position for the year: allocated, committed by approved and booked requests
/// and scheduled sessions, spent by completed ones.
pub async fn summary(
    db: &impl ConnectionTrait,
    year: FinancialYear,
) -> Result<Vec<(Pillar, Position)>, StoreError> {
    let allocated = allocations::Entity::find()
        .filter(Column::FinancialYear.eq(year.name()))
        .all(db)
        .await?;
    let allocations = allocated
        .iter()
        .map(|r| (r.pillar, r.amount_pence))
        .collect::<Vec<_>>();
    let mut movements: Vec<(Pillar, Movement)> = money_in(db, year).await?;
    let seats = session::seats_between(
        db,
        london_day_start(year.first_day()),
        london_day_start(year.last_day().succ_opt().unwrap_or(year.last_day())),
    )
    .await?;
    let mut courses: HashMap<Uuid, (Pillar, i64)> = HashMap::new();
    for (course_id, status, taken) in seats {
        let (pillar, cost) = match courses.get(&course_id) {
            Some(known) => *known,
            None => {
                let course = course::get(db, course_id).await?;
                let known = (course.details.pillar, course.details.cost_pence);
                courses.insert(course_id, known);
                known
            }
        };
        if let Some(movement) = status.movement(cost, taken) {
            movements.push((pillar, movement));
        }
    }
    Ok(positions(&allocations, &movements)?)
}

/// Locks a pillar's allocation for the year, so approvals against it queue, and returns the
/// pillar's position as it then stands.
pub(crate) async fn lock_position(
    tx: &impl ConnectionTrait,
    year: FinancialYear,
    pillar: Pillar,
) -> Result<Position, StoreError> {
    allocations::Entity::find_by_id((year.name(), pillar))
        .lock_exclusive()
        .one(tx)
        .await?;
    let all = summary(tx, year).await?;
    Ok(all
        .into_iter()
        .find(|(p, _)| *p == pillar)
        .map(|(_, position)| position)
        .unwrap_or_default())
}

/// The money requests move against each pillar in a financial year (by their start date).
async fn money_in(
    db: &impl ConnectionTrait,
    year: FinancialYear,
) -> Result<Vec<(Pillar, Movement)>, StoreError> {
    let rows: Vec<(String, String, i64, Option<i64>)> = requests::Entity::find()
        .select_only()
        .column(requests::Column::Pillar)
        .column(requests::Column::Status)
        .column(requests::Column::EstimatedCostPence)
        .column(requests::Column::ActualCostPence)
        .filter(requests::Column::StartsOn.gte(year.first_day()))
        .filter(requests::Column::StartsOn.lte(year.last_day()))
        .into_tuple()
        .all(db)
        .await?;
    let corrupt = StoreError::corrupt("training request");
    let mut movements = Vec::new();
    for (pillar, status, estimated, actual) in rows {
        let (pillar, status): (Pillar, RequestStatus) = (
            pillar.parse().map_err(&corrupt)?,
            status.parse().map_err(&corrupt)?,
        );
        if let Some(movement) = status.movement(estimated, actual) {
            movements.push((pillar, movement));
        }
    }
    Ok(movements)
}
