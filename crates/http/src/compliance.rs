//! Compliance: one learner's standing, the organisation's figures, and who to chase.

use actix_web::get;
use actix_web::web::{Data, Json, Path, Query};
use actix_web::{HttpRequest, HttpResponse};
use chrono::{NaiveDate, Utc};
use pathway_domain::calendar::{self, london_date};
use pathway_domain::compliance::{ComplianceStatus, Item, Tally, overall};
use pathway_domain::learner::LearnerKind;
use pathway_persistence::DatabaseConnection;
use pathway_persistence::compliance::{self as store, Breach, Figures, Scope, Standing};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::{Caller, Role};
use crate::error::ApiError;
use crate::page::{PageQuery, PageView};
use crate::report::accepts;
use crate::responses::{BadRequest, Forbidden, NotFound, Unprocessable};
use crate::spreadsheet::Table;

const DEFAULT_WINDOW_DAYS: u32 = 30;
const MAX_WINDOW_DAYS: u32 = 365;

/// The day figures are worked out for, and how far ahead "due soon" looks.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LearnerComplianceQuery {
    /// Days ahead within which training due or expiring is `due_soon`, 0 to 365.
    #[param(minimum = 0, maximum = 365, default = 30)]
    pub window_days: Option<u32>,
    /// The day to assess (London); today when absent.
    pub as_of: Option<NaiveDate>,
}

/// One requirement as it stands for the learner.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "requirement_id": "019a8f40-0000-7000-8000-00000000a001",
    "course_id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e70", "course_title": "Planning committee training",
    "status": "compliant", "due_on": "2026-08-19", "completed_on": "2026-06-02", "expires_on": "2029-06-02"
}))]
pub struct ComplianceItemView {
    pub requirement_id: Uuid,
    pub course_id: Uuid,
    pub course_title: String,
    pub status: ComplianceStatus,
    /// When the rule wants the course done by.
    pub due_on: NaiveDate,
    /// The completion that counts: the one valid longest.
    pub completed_on: Option<NaiveDate>,
    /// When that completion stops counting; null if it never does.
    pub expires_on: Option<NaiveDate>,
}

impl From<Item> for ComplianceItemView {
    fn from(item: Item) -> Self {
        Self {
            requirement_id: item.requirement_id,
            course_id: item.course_id,
            course_title: item.course_title,
            status: item.status,
            due_on: item.due_on,
            completed_on: item.counted.map(|c| c.completed_on),
            expires_on: item.counted.and_then(|c| c.expires_on),
        }
    }
}

/// A learner's compliance: every requirement that applies to them, and the worst status of
/// those as the overall one.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "learner_id": "019a8f3e-0000-7000-8000-000000000001", "as_of": "2026-11-22", "window_days": 30,
    "overall_status": "due_soon",
    "items": [
        {"requirement_id": "019a8f40-0000-7000-8000-00000000a001", "course_id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e70",
         "course_title": "Planning committee training", "status": "compliant", "due_on": "2026-08-19",
         "completed_on": "2026-06-02", "expires_on": "2029-06-02"},
        {"requirement_id": "019a8f40-0000-7000-8000-00000000a002", "course_id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e71",
         "course_title": "Data protection (GDPR)", "status": "due_soon", "due_on": "2026-12-01",
         "completed_on": null, "expires_on": null}
    ]
}))]
pub struct LearnerComplianceView {
    pub learner_id: Uuid,
    pub as_of: NaiveDate,
    pub window_days: u32,
    pub overall_status: ComplianceStatus,
    pub items: Vec<ComplianceItemView>,
}

impl LearnerComplianceView {
    fn new(standing: Standing, as_of: NaiveDate, window_days: u32) -> Self {
        Self {
            learner_id: standing.learner_id,
            as_of,
            window_days,
            overall_status: overall(standing.items.iter().map(|i| i.status)),
            items: standing
                .items
                .into_iter()
                .map(ComplianceItemView::from)
                .collect(),
        }
    }
}

/// A learner's compliance on a day.
///
/// Every requirement that applies, with its due day, the completion that counts and a status,
/// and the worst of them overall. A learner may read their own, a manager their reports',
/// an admin anyone's.
#[utoipa::path(tag = "compliance",
    params(("id" = Uuid, Path, description = "The learner's id"), LearnerComplianceQuery),
    responses((status = 200, description = "The learner's compliance", body = LearnerComplianceView),
        BadRequest, Forbidden, NotFound, Unprocessable))]
#[get("/v1/learners/{id}/compliance")]
pub async fn get_learner_compliance(
    caller: Caller,
    db: Data<DatabaseConnection>,
    id: Path<Uuid>,
    query: Query<LearnerComplianceQuery>,
) -> Result<Json<LearnerComplianceView>, ApiError> {
    let today = london_date(Utc::now());
    let (as_of, window_days) = day_and_window(query.as_of, query.window_days, today)?;
    let standing =
        store::of_learner(db.get_ref(), id.into_inner(), as_of, today, window_days).await?;
    caller.may_see_record_of(standing.learner_id, standing.manager_id)?;
    Ok(Json(LearnerComplianceView::new(
        standing,
        as_of,
        window_days,
    )))
}

fn day_and_window(
    as_of: Option<NaiveDate>,
    window_days: Option<u32>,
    today: NaiveDate,
) -> Result<(NaiveDate, u32), ApiError> {
    let window_days = window_days.unwrap_or(DEFAULT_WINDOW_DAYS);
    if window_days > MAX_WINDOW_DAYS {
        return Err(ApiError::invalid(
            "window_days",
            format!("must be between 0 and {MAX_WINDOW_DAYS}"),
        ));
    }
    let as_of = as_of.unwrap_or(today);
    if !calendar::is_plausible(as_of) {
        return Err(ApiError::invalid("as_of", calendar::PLAUSIBLE));
    }
    Ok((as_of, window_days))
}

/// Which learners and courses the organisation's figures cover.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ComplianceReportQuery {
    /// Only employees, or only elected members.
    pub kind: Option<LearnerKind>,
    /// Only learners in this department (exactly as recorded).
    pub department: Option<String>,
    /// Only this course's requirements.
    pub course_id: Option<Uuid>,
    /// The day to report on (London); today when absent.
    pub as_of: Option<NaiveDate>,
    /// Days ahead within which training due or expiring is `due_soon`, 0 to 365.
    #[param(minimum = 0, maximum = 365, default = 30)]
    pub window_days: Option<u32>,
}

impl ComplianceReportQuery {
    fn scope(&self, manager_id: Option<Uuid>) -> Result<Scope, ApiError> {
        let (day, window_days) =
            day_and_window(self.as_of, self.window_days, london_date(Utc::now()))?;
        Ok(Scope {
            day,
            window_days,
            kind: self.kind,
            department: self.department.clone(),
            course_id: self.course_id,
            manager_id,
        })
    }
}

/// Learners by their worst status.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"compliant": 310, "due_soon": 25, "not_started": 12, "expired": 9, "overdue": 14}))]
pub struct StatusCountsView {
    pub compliant: u64,
    pub due_soon: u64,
    pub not_started: u64,
    pub expired: u64,
    pub overdue: u64,
}

/// A share with the counts behind it. A learner is compliant with nothing overdue or expired.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"learners": 370, "compliant": 347, "non_compliant": 23, "compliant_share": 0.9378,
    "statuses": {"compliant": 310, "due_soon": 25, "not_started": 12, "expired": 9, "overdue": 14}}))]
pub struct FiguresView {
    /// Learners counted: those a requirement applies to on the day.
    pub learners: u64,
    pub compliant: u64,
    pub non_compliant: u64,
    /// `compliant / learners`, 0 to 1 to four places; null when no one is counted.
    pub compliant_share: Option<f64>,
    pub statuses: StatusCountsView,
}

impl From<&Tally> for FiguresView {
    fn from(tally: &Tally) -> Self {
        use ComplianceStatus::*;
        Self {
            learners: tally.learners(),
            compliant: tally.compliant(),
            non_compliant: tally.non_compliant(),
            compliant_share: tally.share(),
            statuses: StatusCountsView {
                compliant: tally.count(Compliant),
                due_soon: tally.count(DueSoon),
                not_started: tally.count(NotStarted),
                expired: tally.count(Expired),
                overdue: tally.count(Overdue),
            },
        }
    }
}

/// One course's figures: the learners it is required of, by their status on it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CourseFiguresView {
    pub course_id: Uuid,
    pub course_title: String,
    #[serde(flatten)]
    pub figures: FiguresView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KindFiguresView {
    pub kind: LearnerKind,
    #[serde(flatten)]
    pub figures: FiguresView,
}

/// One department's employees; `department` is null for employees with none recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct DepartmentFiguresView {
    pub department: Option<String>,
    #[serde(flatten)]
    pub figures: FiguresView,
}

/// The organisation's compliance on a day.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "as_of": "2026-11-22", "window_days": 30,
    "overall": {"learners": 370, "compliant": 347, "non_compliant": 23, "compliant_share": 0.9378,
        "statuses": {"compliant": 310, "due_soon": 25, "not_started": 12, "expired": 9, "overdue": 14}},
    "by_kind": [
        {"kind": "employee", "learners": 320, "compliant": 301, "non_compliant": 19, "compliant_share": 0.9406,
         "statuses": {"compliant": 270, "due_soon": 20, "not_started": 11, "expired": 8, "overdue": 11}},
        {"kind": "elected_member", "learners": 50, "compliant": 46, "non_compliant": 4, "compliant_share": 0.92,
         "statuses": {"compliant": 40, "due_soon": 5, "not_started": 1, "expired": 1, "overdue": 3}}
    ],
    "by_department": [
        {"department": "Planning Services", "learners": 40, "compliant": 38, "non_compliant": 2, "compliant_share": 0.95,
         "statuses": {"compliant": 35, "due_soon": 2, "not_started": 1, "expired": 1, "overdue": 1}}
    ],
    "by_course": [
        {"course_id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e71", "course_title": "Data protection (GDPR)",
         "learners": 370, "compliant": 352, "non_compliant": 18, "compliant_share": 0.9514,
         "statuses": {"compliant": 330, "due_soon": 15, "not_started": 7, "expired": 10, "overdue": 8}}
    ]
}))]
pub struct ComplianceReportView {
    pub as_of: NaiveDate,
    pub window_days: u32,
    pub overall: FiguresView,
    /// Employees and elected members, each by their worst status.
    pub by_kind: Vec<KindFiguresView>,
    /// Employees by department, each by their worst status.
    pub by_department: Vec<DepartmentFiguresView>,
    /// Each required course, by course title.
    pub by_course: Vec<CourseFiguresView>,
}

impl ComplianceReportView {
    fn new(figures: &Figures, as_of: NaiveDate, window_days: u32) -> Self {
        let mut by_kind: Vec<(LearnerKind, Tally)> = Vec::new();
        let mut by_department = Vec::new();
        for (kind, department, tally) in &figures.by_group {
            match by_kind.iter_mut().find(|(k, _)| k == kind) {
                Some((_, sum)) => sum.merge(tally),
                None => by_kind.push((*kind, *tally)),
            }
            if *kind == LearnerKind::Employee {
                by_department.push(DepartmentFiguresView {
                    department: department.clone(),
                    figures: tally.into(),
                });
            }
        }
        Self {
            as_of,
            window_days,
            overall: (&figures.overall()).into(),
            by_kind: by_kind
                .iter()
                .map(|(kind, tally)| KindFiguresView {
                    kind: *kind,
                    figures: tally.into(),
                })
                .collect(),
            by_department,
            by_course: figures
                .by_course
                .iter()
                .map(|(course, tally)| CourseFiguresView {
                    course_id: course.course_id,
                    course_title: course.title.clone(),
                    figures: tally.into(),
                })
                .collect(),
        }
    }
}

/// The organisation's compliance, overall and by kind, department and course.
///
/// The share of learners compliant in each group, with the counts behind it. A learner counts when a requirement applies to them on the day and they are with the
/// council then (started, not left). They are compliant with nothing overdue or expired.
/// `Accept: text/csv` returns the same figures as CSV, one row per group. Admins and panel
/// members read it.
#[utoipa::path(tag = "reports",
    params(ComplianceReportQuery),
    responses((status = 200, description = "The report", content(
            (ComplianceReportView = "application/json"),
            (String = "text/csv", example = "group,key,name,learners,compliant,non_compliant,compliant_share,compliant_status,due_soon,not_started,expired,overdue\noverall,,,370,347,23,0.9378,310,25,12,9,14\nkind,employee,,320,301,19,0.9406,270,20,11,8,11\n"),
        )),
        BadRequest, Forbidden, Unprocessable))]
#[get("/v1/reports/compliance")]
pub async fn compliance_report(
    caller: Caller,
    db: Data<DatabaseConnection>,
    query: Query<ComplianceReportQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    if !(caller.has(Role::Admin) || caller.has(Role::PanelMember)) {
        return Err(ApiError::Forbidden(
            "the organisation's compliance is for admins and panel members",
        ));
    }
    let scope = query.scope(None)?;
    let figures = store::figures(db.get_ref(), &scope, london_date(Utc::now())).await?;
    let report = ComplianceReportView::new(&figures, scope.day, scope.window_days);
    if accepts(&req, "text/csv") {
        csv(&report)
    } else {
        Ok(HttpResponse::Ok().json(report))
    }
}

fn csv(report: &ComplianceReportView) -> Result<HttpResponse, ApiError> {
    let mut table = Table::with_header(&[
        "group",
        "key",
        "name",
        "learners",
        "compliant",
        "non_compliant",
        "compliant_share",
        "compliant_status",
        "due_soon",
        "not_started",
        "expired",
        "overdue",
    ])?;
    let rows = std::iter::once(("overall", String::new(), String::new(), &report.overall))
        .chain(
            report
                .by_kind
                .iter()
                .map(|k| ("kind", k.kind.to_string(), String::new(), &k.figures)),
        )
        .chain(report.by_department.iter().map(|d| {
            let key = d.department.clone().unwrap_or_default();
            ("department", key, String::new(), &d.figures)
        }))
        .chain(report.by_course.iter().map(|c| {
            let key = c.course_id.to_string();
            ("course", key, c.course_title.clone(), &c.figures)
        }));
    for (group, key, name, f) in rows {
        let s = &f.statuses;
        table.row([
            group.to_owned(),
            key,
            name,
            f.learners.to_string(),
            f.compliant.to_string(),
            f.non_compliant.to_string(),
            f.compliant_share.map(|v| v.to_string()).unwrap_or_default(),
            s.compliant.to_string(),
            s.due_soon.to_string(),
            s.not_started.to_string(),
            s.expired.to_string(),
            s.overdue.to_string(),
        ])?;
    }
    table.into_response()
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BreachListQuery {
    /// Only employees, or only elected members.
    pub kind: Option<LearnerKind>,
    /// Only learners in this department (exactly as recorded).
    pub department: Option<String>,
    /// Only learners lacking this course.
    pub course_id: Option<Uuid>,
    /// The day to assess (London); today when absent.
    pub as_of: Option<NaiveDate>,
    /// Days ahead within which training due or expiring is `due_soon`, 0 to 365.
    #[param(minimum = 0, maximum = 365, default = 30)]
    pub window_days: Option<u32>,
}

impl BreachListQuery {
    /// The same learners and day as the report; query strings cannot share fields through
    /// serde's flatten, which reads every value as text.
    fn report(&self) -> ComplianceReportQuery {
        ComplianceReportQuery {
            kind: self.kind,
            department: self.department.clone(),
            course_id: self.course_id,
            as_of: self.as_of,
            window_days: self.window_days,
        }
    }
}

/// A learner in breach and what they lack.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "learner_id": "019a8f3e-0000-7000-8000-000000000001", "given_name": "Amira", "family_name": "Khan",
    "email": "amira.khan@council.gov.uk", "department": "Planning Services",
    "manager_id": "019a8f3e-0000-7000-8000-000000000009", "overall_status": "overdue",
    "lacking": [{"requirement_id": "019a8f40-0000-7000-8000-00000000a002", "course_id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e71",
        "course_title": "Data protection (GDPR)", "status": "overdue", "due_on": "2026-06-01", "completed_on": null, "expires_on": null}]
}))]
pub struct BreachView {
    pub learner_id: Uuid,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    pub department: Option<String>,
    pub manager_id: Option<Uuid>,
    pub overall_status: ComplianceStatus,
    /// The requirements overdue or expired.
    pub lacking: Vec<ComplianceItemView>,
}

impl From<Breach> for BreachView {
    fn from(standing: Breach) -> Self {
        let profile = standing.learner.profile;
        Self {
            learner_id: standing.learner.id,
            given_name: profile.given_name,
            family_name: profile.family_name,
            email: profile.email.as_str().to_owned(),
            department: profile.department,
            manager_id: profile.manager_id,
            overall_status: overall(standing.items.iter().map(|i| i.status)),
            lacking: standing
                .items
                .into_iter()
                .filter(|i| i.status.in_breach())
                .map(ComplianceItemView::from)
                .collect(),
        }
    }
}

/// The learners with something overdue or expired, for managers to chase.
///
/// Filters as the compliance report. Admins see everyone; a manager sees their reports.
#[utoipa::path(tag = "reports",
    params(PageQuery, BreachListQuery),
    responses((status = 200, description = "A page of learners in breach, in id order", body = PageView<BreachView>),
        BadRequest, Forbidden, Unprocessable))]
#[get("/v1/reports/compliance/learners")]
pub async fn list_learners_in_breach(
    caller: Caller,
    db: Data<DatabaseConnection>,
    query: Query<BreachListQuery>,
    page: Query<PageQuery>,
) -> Result<Json<PageView<BreachView>>, ApiError> {
    let manager_id = if caller.has(Role::Admin) {
        None
    } else if caller.has(Role::Manager) {
        Some(caller.learner_id().ok_or(ApiError::Forbidden(
            "a manager's token names them by their learner id",
        ))?)
    } else {
        return Err(ApiError::Forbidden(
            "the learners to chase are for admins and managers",
        ));
    };
    let query = query.into_inner();
    let page = page.request()?;
    let scope = query.report().scope(manager_id)?;
    let today = london_date(Utc::now());
    let breaches = store::in_breach(db.get_ref(), &scope, today, page).await?;
    Ok(Json(PageView::from_page(breaches, BreachView::from)))
}

/// This feature's operations, for the server and the contract alike.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(get_learner_compliance)
        .service(compliance_report)
        .service(list_learners_in_breach);
}
