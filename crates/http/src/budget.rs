//! `/v1/budgets`: money per financial year by pillar, and where it stands.

use actix_web::HttpResponse;
use actix_web::web::{Data, Json, Path};
use actix_web::{get, post, put};
use pathway_domain::budget::{FinancialYear, Position};
use pathway_domain::course::Pillar;
use pathway_persistence::DatabaseConnection;
use pathway_persistence::budget::{self as store, Budget};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::{Admin, Caller, Role};
use crate::error::{ApiError, Problem};
use crate::responses::{BodyErrors, Forbidden, NotFound, Unprocessable};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AllocationBody {
    pub pillar: Pillar,
    #[schema(minimum = 0, maximum = 100000000000_i64, example = 35000000)]
    pub amount_pence: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"financial_year": "2024-25", "allocations": [
    {"pillar": "leadership", "amount_pence": 12500000}, {"pillar": "professional", "amount_pence": 15000000},
    {"pillar": "personal", "amount_pence": 2500000}, {"pillar": "essential", "amount_pence": 5000000}
]}))]
pub struct BudgetInput {
    /// Like "2024-25": 1 April 2024 to 31 March 2025.
    #[schema(example = "2024-25")]
    pub financial_year: String,
    pub allocations: Vec<AllocationBody>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"allocations": [{"pillar": "professional", "amount_pence": 16000000}]}))]
pub struct AllocationsInput {
    pub allocations: Vec<AllocationBody>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"financial_year": "2024-25", "allocations": [{"pillar": "professional", "amount_pence": 35000000}]}))]
pub struct BudgetView {
    pub financial_year: String,
    pub allocations: Vec<AllocationBody>,
}

impl From<Budget> for BudgetView {
    fn from(b: Budget) -> Self {
        Self {
            financial_year: b.year.name(),
            allocations: b
                .allocations
                .into_iter()
                .map(|(pillar, amount_pence)| AllocationBody {
                    pillar,
                    amount_pence,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"financial_year": "2024-25", "allocations": [{"pillar": "professional", "amount_pence": 35000000}]}]}))]
pub struct BudgetsView {
    pub items: Vec<BudgetView>,
}

/// One line of the summary, in pence.
#[derive(Debug, Serialize, ToSchema)]
pub struct PositionView {
    pub allocated_pence: i64,
    /// Approved and booked requests at their estimate, and scheduled sessions at cost per delegate.
    pub committed_pence: i64,
    /// Completed requests at their actual cost, and completed sessions.
    pub spent_pence: i64,
    /// Allocated less committed and spent; negative after an override.
    pub remaining_pence: i64,
}

impl From<Position> for PositionView {
    fn from(p: Position) -> Self {
        Self {
            allocated_pence: p.allocated,
            committed_pence: p.committed,
            spent_pence: p.spent,
            remaining_pence: p.remaining(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PillarPositionView {
    pub pillar: Pillar,
    #[serde(flatten)]
    pub position: PositionView,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"financial_year": "2024-25",
    "pillars": [{"pillar": "professional", "allocated_pence": 35000000, "committed_pence": 1200000, "spent_pence": 800000, "remaining_pence": 33000000}],
    "total": {"allocated_pence": 35000000, "committed_pence": 1200000, "spent_pence": 800000, "remaining_pence": 33000000}}))]
pub struct BudgetSummaryView {
    pub financial_year: String,
    pub pillars: Vec<PillarPositionView>,
    pub total: PositionView,
}

fn parse(
    year: &str,
    allocations: Vec<AllocationBody>,
) -> Result<(FinancialYear, Vec<(Pillar, i64)>), ApiError> {
    let year = FinancialYear::parse(year)?;
    let allocations = pathway_domain::budget::allocations(
        allocations
            .into_iter()
            .map(|a| (a.pillar, a.amount_pence))
            .collect(),
    )?;
    Ok((year, allocations))
}

/// Set a financial year's budget by pillar.
///
/// Admins only. One budget per financial year (1 April to 31 March), allocated by pillar in
/// pence; a second budget for the same year is a conflict.
#[utoipa::path(tag = "budgets",
    request_body = BudgetInput,
    responses((status = 201, description = "Created", body = BudgetView),
        BodyErrors, Forbidden,
        (status = 409, description = "The year has a budget; change it with PUT", body = Problem, content_type = "application/problem+json"),
    ))]
#[post("/v1/budgets")]
pub async fn create_budget(
    Admin(caller): Admin,
    db: Data<DatabaseConnection>,
    body: Json<BudgetInput>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let (year, allocations) = parse(&body.financial_year, body.allocations)?;
    let budget = store::set(&db, year, allocations, false, &caller.actor()).await?;
    Ok(HttpResponse::Created().json(BudgetView::from(budget)))
}

/// Change a financial year's allocations.
///
/// Admins only. Replaces the year's allocations whole; commitments and spend already recorded
/// stay.
#[utoipa::path(tag = "budgets",
    params(("financial_year" = String, Path, description = "Like 2024-25")),
    request_body = AllocationsInput,
    responses((status = 200, description = "The budget", body = BudgetView),
        BodyErrors, Forbidden, NotFound))]
#[put("/v1/budgets/{financial_year}")]
pub async fn replace_budget(
    Admin(caller): Admin,
    db: Data<DatabaseConnection>,
    year: Path<String>,
    body: Json<AllocationsInput>,
) -> Result<Json<BudgetView>, ApiError> {
    let (year, allocations) = parse(&year, body.into_inner().allocations)?;
    Ok(Json(
        store::set(&db, year, allocations, true, &caller.actor())
            .await?
            .into(),
    ))
}

/// Every year's budget.
///
/// Admins and panel members: budgets are for the L&D team and the advisory panel. Each year
/// with its allocations by pillar.
#[utoipa::path(tag = "budgets",
    responses((status = 200, description = "The budgets, earliest year first", body = BudgetsView),
        Forbidden))]
#[get("/v1/budgets")]
pub async fn list_budgets(
    caller: Caller,
    db: Data<DatabaseConnection>,
) -> Result<Json<BudgetsView>, ApiError> {
    may_read_money(&caller)?;
    let budgets = store::list(&db).await?;
    Ok(Json(BudgetsView {
        items: budgets.into_iter().map(BudgetView::from).collect(),
    }))
}

/// Allocated, committed, spent and remaining for each pillar and in total.
///
/// Admins and panel members. Approved training requests commit money; completed ones record
/// what was spent.
#[utoipa::path(tag = "budgets",
    params(("financial_year" = String, Path, description = "Like 2024-25")),
    responses((status = 200, description = "The summary", body = BudgetSummaryView),
        Forbidden, NotFound, Unprocessable))]
#[get("/v1/budgets/{financial_year}/summary")]
pub async fn budget_summary(
    caller: Caller,
    db: Data<DatabaseConnection>,
    year: Path<String>,
) -> Result<Json<BudgetSummaryView>, ApiError> {
    may_read_money(&caller)?;
    let year = FinancialYear::parse(&year)?;
    store::get(db.get_ref(), year).await?;
    let pillars = store::summary(db.get_ref(), year).await?;
    let total = Position::total(pillars.iter().map(|&(_, p)| p))?;
    Ok(Json(BudgetSummaryView {
        financial_year: year.name(),
        pillars: pillars
            .into_iter()
            .map(|(pillar, p)| PillarPositionView {
                pillar,
                position: p.into(),
            })
            .collect(),
        total: total.into(),
    }))
}

/// The budget is for the L&D team, Members Services and the advisory panel.
fn may_read_money(caller: &Caller) -> Result<(), ApiError> {
    if caller.has(Role::Admin) || caller.has(Role::PanelMember) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "budgets are for admins and the advisory panel",
        ))
    }
}

/// This feature's operations, for the server and the contract alike.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_budgets)
        .service(create_budget)
        .service(replace_budget)
        .service(budget_summary);
}
