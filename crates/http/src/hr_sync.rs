//! `/v1/integrations/hr/...`: the bulk HR sync, for HR systems that export their employees
//! rather than speak SCIM.

use actix_web::http::header;
use actix_web::web::{self, Bytes, Data, Path, Query};
use actix_web::{HttpRequest, HttpResponse};
use actix_web::{get, post};
use chrono::{DateTime, Utc};
use pathway_domain::api_client::Scope;
use pathway_domain::calendar::london_date;
use pathway_domain::hr_sync::{
    CSV_COLUMNS, Counts, HrRecord, LeaverGuard, MAX_ROWS, RowError, SyncMode,
};
use pathway_persistence::DatabaseConnection;
use pathway_persistence::change::Change;
use pathway_persistence::effects::rehearse;
use pathway_persistence::hr_sync::{self as store, Outcome, Run};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::Rules;
use crate::auth::{Caller, Integration, Role};
use crate::error::{ApiError, FieldProblem, Problem, json_body};
use crate::headers::IdempotencyKey;
use crate::idempotency;
use crate::page::{PageQuery, PageView};
use crate::responses::{BadRequest, Forbidden, NotFound, Unprocessable};

/// The largest sync body: 10,000 rows of a few hundred bytes each, with room to spare.
pub const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// One employee, as the HR system has them.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "external_ref": "E10442", "given_name": "Amira", "family_name": "Khan", "email": "amira.khan@council.gov.uk",
    "department": "Adult Social Care", "job_title": "Head of Service", "manager_ref": "E10001",
    "started_on": "2019-09-02", "left_on": null
}))]
pub struct HrRow {
    /// The HR system's reference: how a row finds its learner.
    pub external_ref: String,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    #[serde(default)]
    pub department: Option<String>,
    #[serde(default)]
    pub job_title: Option<String>,
    /// The manager's `external_ref`: in the same call, or already in Pathway.
    #[serde(default)]
    pub manager_ref: Option<String>,
    /// YYYY-MM-DD; today when absent.
    #[serde(default)]
    pub started_on: Option<String>,
    /// YYYY-MM-DD, when HR records that they left.
    #[serde(default)]
    pub left_on: Option<String>,
}

impl From<HrRow> for HrRecord {
    fn from(row: HrRow) -> Self {
        Self {
            external_ref: row.external_ref,
            given_name: row.given_name,
            family_name: row.family_name,
            email: row.email,
            department: row.department,
            job_title: row.job_title,
            manager_ref: row.manager_ref,
            started_on: row.started_on,
            left_on: row.left_on,
        }
    }
}

/// A JSON sync body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"learners": [{
    "external_ref": "E10442", "given_name": "Amira", "family_name": "Khan", "email": "amira.khan@council.gov.uk",
    "department": "Adult Social Care", "job_title": "Head of Service", "manager_ref": "E10001", "started_on": "2019-09-02"
}]}))]
pub struct SyncBody {
    /// Up to 10,000 employees.
    pub learners: Vec<HrRow>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SyncQuery {
    /// `delta` (the default): the rows are changes. `full`: the rows are every employee, and
    /// employees not among them have left. Calls joining a run are full by nature.
    pub mode: Option<SyncMode>,
    /// Join an open run, for a full sync sent in several calls.
    pub run_id: Option<Uuid>,
}

/// What a call that may mark employees as left is to do about it.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LeaversQuery {
    /// `true`: answer exactly what the call would do (created, updated, left, row errors, or
    /// the refusal) and change nothing. No `Idempotency-Key` is needed, and none is used up.
    pub dry_run: Option<bool>,
    /// How many employees you expect this to mark as left, as a dry run or a refusal said.
    /// Needed when that is more than the server's share of active employees (10% unless
    /// configured); when given, any other number is refused (409) and nothing is changed.
    pub expected_leavers: Option<u64>,
}

impl LeaversQuery {
    fn guard(&self, rules: &Rules) -> LeaverGuard {
        LeaverGuard {
            max_percent: rules.hr_sync_max_left_percent,
            expected: self.expected_leavers,
        }
    }

    /// Runs `work` once per `Idempotency-Key`, or, in a dry run, rolls it back.
    async fn apply(
        &self,
        req: &HttpRequest,
        db: &DatabaseConnection,
        caller: &Caller,
        body: &[u8],
        work: impl AsyncFnOnce(&Change) -> Result<HttpResponse, ApiError>,
    ) -> Result<HttpResponse, ApiError> {
        if self.dry_run.unwrap_or(false) {
            rehearse(db, &caller.actor(), work).await
        } else {
            idempotency::once(req, db, caller, body, work).await
        }
    }
}

/// What a sync did.
#[derive(Debug, Serialize, ToSchema)]
pub struct CountsView {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub left: u64,
    /// Rows not applied; see `errors`.
    pub failed: u64,
}

impl From<Counts> for CountsView {
    fn from(c: Counts) -> Self {
        Self {
            created: c.created,
            updated: c.updated,
            unchanged: c.unchanged,
            left: c.left,
            failed: c.failed,
        }
    }
}

/// A row that was not applied, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct RowErrorView {
    /// The row's position in the call, from 1; the CSV header is not counted.
    pub row: usize,
    pub external_ref: Option<String>,
    pub errors: Vec<FieldProblem>,
}

impl From<RowError> for RowErrorView {
    fn from(e: RowError) -> Self {
        Self {
            row: e.row,
            external_ref: e.external_ref,
            errors: e
                .errors
                .into_iter()
                .map(|f| FieldProblem {
                    field: f.field,
                    message: f.message,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "run_id": null, "dry_run": false, "created": 9998, "updated": 0, "unchanged": 0, "left": 0, "failed": 2,
    "errors": [{"row": 17, "external_ref": "E10460", "errors": [{"field": "email", "message": "must be an email address like name@council.gov.uk"}]}]
}))]
pub struct SyncResultView {
    /// The run the call joined, if any.
    pub run_id: Option<Uuid>,
    /// True when this is what the call would have done: nothing was changed.
    pub dry_run: bool,
    #[serde(flatten)]
    pub counts: CountsView,
    /// The rows not applied; every other row was.
    pub errors: Vec<RowErrorView>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "019a8f40-0000-7000-8000-0000000000d7", "caller": "client:019a8f40-0000-7000-8000-0000000000a7",
    "opened_at": "2026-11-23T02:00:00Z", "closed_at": null, "dry_run": false,
    "created": 20000, "updated": 12, "unchanged": 29980, "left": 0, "failed": 8
}))]
pub struct RunView {
    pub id: Uuid,
    /// Who opened it: `client:<client id>`, or a person's learner id.
    pub caller: String,
    pub opened_at: DateTime<Utc>,
    /// When it was closed and its absentees marked as left; null while open.
    pub closed_at: Option<DateTime<Utc>>,
    /// True when this is what closing would have done: nothing was changed.
    pub dry_run: bool,
    #[serde(flatten)]
    pub counts: CountsView,
}

impl RunView {
    fn of(run: Run, dry_run: bool) -> Self {
        Self {
            id: run.id,
            caller: run.caller,
            opened_at: run.opened_at,
            closed_at: run.closed_at,
            dry_run,
            counts: run.counts.into(),
        }
    }
}

impl From<Run> for RunView {
    fn from(run: Run) -> Self {
        Self::of(run, false)
    }
}

/// Sync employees from an HR system: upsert up to 10,000 by `external_ref`.
///
/// JSON (`{"learners": [...]}`) or `text/csv` with the header row
/// `external_ref,given_name,family_name,email,department,job_title,manager_ref,started_on,left_on`
/// (the columns after `email` may be left out). Invalid rows are reported and the rest applied.
/// With `mode=full` employees not in the call (or, with `run_id`, in any call of the run, once
/// it is closed) are marked as left; their records stay. A full call that would mark more than
/// the allowed share of active employees as left is refused unless it says how many it
/// expects (`expected_leavers`); `dry_run=true` shows what a call would do. Send an
/// `Idempotency-Key` so a retry applies nothing twice. Needs the `learners:sync` scope (or an
/// admin).
#[utoipa::path(tag = "integrations",
    params(SyncQuery, LeaversQuery, IdempotencyKey),
    request_body(content(
        (SyncBody = "application/json"),
        (String = "text/csv", example = "external_ref,given_name,family_name,email,department,job_title,manager_ref,started_on,left_on\nE10442,Amira,Khan,amira.khan@council.gov.uk,Adult Social Care,Head of Service,E10001,2019-09-02,\n"),
    )),
    responses((status = 200, description = "Applied; the rows not applied are listed", body = SyncResultView),
        BadRequest, Forbidden, NotFound, Unprocessable,
        (status = 409, description = "The run is closed, or a full call would mark more as left than allowed or other than expected", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over 16 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Send application/json or text/csv", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("client_credentials" = ["learners:sync"])))]
#[post("/sync")]
pub async fn sync_learners(
    Integration(caller): Integration,
    db: Data<DatabaseConnection>,
    rules: Data<Rules>,
    query: Query<SyncQuery>,
    leavers: Query<LeaversQuery>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.may(Scope::LearnersSync)?;
    let mode = match (query.mode, query.run_id) {
        (Some(SyncMode::Delta), Some(_)) => {
            return Err(ApiError::invalid(
                "mode",
                "a run is a full sync: leave mode out, or say full",
            ));
        }
        (_, Some(_)) => SyncMode::Full,
        (mode, None) => mode.unwrap_or(SyncMode::Delta),
    };
    let run_id = query.run_id;
    let guard = leavers.guard(&rules);
    let dry_run = leavers.dry_run.unwrap_or(false);
    let work = async |change: &Change| {
        let records = read(&req, &body)?;
        let today = london_date(Utc::now());
        let Outcome { counts, errors } =
            store::sync(change, records, mode, run_id, today, &guard).await?;
        Ok(HttpResponse::Ok().json(SyncResultView {
            run_id,
            dry_run,
            counts: counts.into(),
            errors: errors.into_iter().map(RowErrorView::from).collect(),
        }))
    };
    leavers.apply(&req, &db, &caller, &body, work).await
}

/// The rows of a JSON or CSV body.
fn read(req: &HttpRequest, body: &[u8]) -> Result<Vec<HrRecord>, ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let records: Vec<HrRecord> = if content_type.starts_with("text/csv") {
        csv_rows(body)?
    } else {
        json_body::<SyncBody>(req, body)
            .map_err(|e| match e {
                ApiError::UnsupportedMediaType(_) => {
                    ApiError::UnsupportedMediaType("send application/json or text/csv".into())
                }
                other => other,
            })?
            .learners
            .into_iter()
            .map(HrRecord::from)
            .collect()
    };
    if records.len() > MAX_ROWS {
        return Err(ApiError::invalid(
            "learners",
            format!("at most {MAX_ROWS} rows per call: split the file, or use a run"),
        ));
    }
    Ok(records)
}

fn csv_rows(body: &[u8]) -> Result<Vec<HrRecord>, ApiError> {
    let mut reader = ::csv::ReaderBuilder::new()
        .trim(::csv::Trim::All)
        .flexible(true)
        .from_reader(body);
    let header = reader
        .headers()
        .map_err(|e| ApiError::Malformed(format!("the CSV header cannot be read: {e}")))?
        .clone();
    let names: Vec<&str> = header.iter().collect();
    if names.len() < 4 || names.len() > CSV_COLUMNS.len() || names != CSV_COLUMNS[..names.len()] {
        return Err(ApiError::invalid(
            "csv",
            format!(
                "the header row must be {} (the columns after email may be left out)",
                CSV_COLUMNS.join(",")
            ),
        ));
    }
    let mut records = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let row = row.map_err(|e| ApiError::Malformed(format!("CSV row {}: {e}", i + 1)))?;
        let field = |n: usize| row.get(n).filter(|v| !v.is_empty()).map(str::to_owned);
        records.push(HrRecord {
            external_ref: field(0).unwrap_or_default(),
            given_name: field(1).unwrap_or_default(),
            family_name: field(2).unwrap_or_default(),
            email: field(3).unwrap_or_default(),
            department: field(4),
            job_title: field(5),
            manager_ref: field(6),
            started_on: field(7),
            left_on: field(8),
        });
    }
    Ok(records)
}

/// Open a run: a full sync sent in several calls, each with `run_id`.
///
/// Integration clients with `learners:sync`. A run lets an HR system send its whole workforce
/// in several calls and then close it.
#[utoipa::path(operation_id = "open_sync_run", tag = "integrations",
    params(IdempotencyKey),
    responses((status = 201, description = "Opened", body = RunView, headers(("Location" = String, description = "Where the run is"))),
        BadRequest, Forbidden,
        (status = 422, description = "The Idempotency-Key was used for another request", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("client_credentials" = ["learners:sync"])))]
#[post("/v1/integrations/hr/sync-runs")]
pub async fn open_run(
    Integration(caller): Integration,
    db: Data<DatabaseConnection>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    caller.may(Scope::LearnersSync)?;
    idempotency::once(&req, &db, &caller, &[], async |change| {
        let run = store::open(change).await?;
        Ok(HttpResponse::Created()
            .insert_header((
                header::LOCATION,
                format!("/v1/integrations/hr/sync-runs/{}", run.id),
            ))
            .json(RunView::from(run)))
    })
    .await
}

/// Read a run of yours, with what its calls did so far.
///
/// Integration clients with `learners:sync`, for runs they opened. Its counts say what the
/// run's calls did so far.
#[utoipa::path(operation_id = "get_sync_run", tag = "integrations",
    params(("id" = Uuid, Path, description = "The run's id")),
    responses((status = 200, description = "The run", body = RunView),
        Forbidden, NotFound),
    security(("bearer" = []), ("client_credentials" = ["learners:sync"])))]
#[get("/v1/integrations/hr/sync-runs/{id}")]
pub async fn get_run(
    Integration(caller): Integration,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Scope::LearnersSync)?;
    let run = store::run(&db, id.into_inner(), &caller.subject).await?;
    Ok(HttpResponse::Ok().json(RunView::from(run)))
}

/// Close a run: employees that none of its calls named are marked as left.
///
/// Integration clients with `learners:sync`, for runs they opened. Employees the run did not
/// name are marked as left; their records stay. Closing is refused, and the run stays open,
/// when it would mark more than the allowed share of active employees as left and the close
/// does not say how many it expects (`expected_leavers`); `dry_run=true` shows what closing
/// would do.
#[utoipa::path(operation_id = "close_sync_run", tag = "integrations",
    params(("id" = Uuid, Path, description = "The run's id"), LeaversQuery, IdempotencyKey),
    responses((status = 200, description = "Closed (or, in a dry run, what closing would do); `left` counts those marked as left", body = RunView),
        BadRequest, Forbidden, NotFound,
        (status = 409, description = "Already closed, it named nobody, or it would mark more as left than allowed or other than expected", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The Idempotency-Key was used for another request", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("client_credentials" = ["learners:sync"])))]
#[post("/v1/integrations/hr/sync-runs/{id}/close")]
pub async fn close_run(
    Integration(caller): Integration,
    db: Data<DatabaseConnection>,
    rules: Data<Rules>,
    id: Path<Uuid>,
    query: Query<LeaversQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    caller.may(Scope::LearnersSync)?;
    let id = id.into_inner();
    let guard = query.guard(&rules);
    let dry_run = query.dry_run.unwrap_or(false);
    let work = async |change: &Change| {
        let run = store::close(change, id, london_date(Utc::now()), &guard).await?;
        Ok(HttpResponse::Ok().json(RunView::of(run, dry_run)))
    };
    query.apply(&req, &db, &caller, &[], work).await
}

/// List sync runs, oldest first, each with what it did.
///
/// Integration clients with `learners:sync` see the runs they opened, including each full
/// call (a run of one call); admins see every caller's. A run still open after a refused close
/// is listed with `closed_at` null.
#[utoipa::path(operation_id = "list_sync_runs", tag = "integrations",
    params(PageQuery),
    responses((status = 200, description = "A page of runs", body = PageView<RunView>),
        BadRequest, Forbidden, Unprocessable),
    security(("bearer" = []), ("client_credentials" = ["learners:sync"])))]
#[get("/v1/integrations/hr/sync-runs")]
pub async fn list_runs(
    Integration(caller): Integration,
    db: Data<DatabaseConnection>,
    page: Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Scope::LearnersSync)?;
    let page = page.request()?;
    let own = (!caller.has(Role::Admin)).then_some(caller.subject.as_str());
    let runs = store::runs(&db, own, page).await?;
    Ok(HttpResponse::Ok().json(PageView::from_page(runs, RunView::from)))
}

/// This feature's operations, for the server and the contract alike. The bulk sync reads bodies
/// up to [`BODY_LIMIT`], so it has a scope of its own.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/v1/integrations/hr/learners")
            .app_data(web::PayloadConfig::default().limit(BODY_LIMIT))
            .service(sync_learners),
    )
    .service(list_runs)
    .service(open_run)
    .service(get_run)
    .service(close_run);
}
