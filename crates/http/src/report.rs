//! `/v1/reports/...`: figures for the organisation, in JSON or, with `Accept: text/csv`, CSV.

use actix_web::get;
use actix_web::http::header;
use actix_web::web::{Data, Query};
use actix_web::{HttpRequest, HttpResponse};
use chrono::NaiveDate;
use pathway_domain::delivery::CourseDelivery;
use pathway_persistence::DatabaseConnection;
use pathway_persistence::{course, session};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::Admin;
use crate::error::ApiError;
use crate::responses::{BadRequest, Forbidden, Unprocessable};
use crate::spreadsheet::Table;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// The first day (London) of the period.
    pub from: NaiveDate,
    /// The last day (London) of the period.
    pub to: NaiveDate,
}

/// One course's delivery in the period.
#[derive(Debug, Serialize, ToSchema)]
pub struct CourseDeliveryView {
    pub course_id: Uuid,
    #[schema(example = "ILM5")]
    pub code: String,
    pub title: String,
    /// Sessions starting in the period, cancelled ones left out.
    pub sessions: usize,
    /// Seats held.
    pub booked: usize,
    pub attended: usize,
    pub no_shows: usize,
    /// Evaluations of those sessions.
    pub ratings: usize,
    /// Mean rating, 1 to 5; null without evaluations.
    pub mean_rating: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"from": "2021-01-01", "to": "2021-03-31", "courses": [
    {"course_id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e70", "code": "ILM5", "title": "ILM Level 5 Certificate in Leadership and Management",
     "sessions": 1, "booked": 10, "attended": 10, "no_shows": 0, "ratings": 8, "mean_rating": 4.5}
]}))]
pub struct DeliveryReportView {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// One row per course that had a session in the period, by course code.
    pub courses: Vec<CourseDeliveryView>,
}

/// The delivery report: per course, what ran, who came, and what they thought.
///
/// Sessions run, seats booked, attended and no-shows, and mean feedback, for a period.
/// `Accept: text/csv` returns the same rows as CSV.
#[utoipa::path(tag = "reports",
    params(PeriodQuery),
    responses((status = 200, description = "The report", content(
            (DeliveryReportView = "application/json"),
            (String = "text/csv", example = "course_id,code,title,sessions,booked,attended,no_shows,ratings,mean_rating\n019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e70,ILM5,ILM Level 5,1,10,10,0,8,4.50\n"),
        )),
        BadRequest, Forbidden, Unprocessable))]
#[get("/v1/reports/delivery")]
pub async fn delivery_report(
    _: Admin,
    db: Data<DatabaseConnection>,
    query: Query<PeriodQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    if query.to < query.from {
        return Err(ApiError::invalid("to", "must not be before from"));
    }
    let rows = session::delivery(&db, query.from, query.to).await?;
    let mut courses = Vec::with_capacity(rows.len());
    for row in rows {
        // One row per course: each is looked up once.
        let course = course::get(db.get_ref(), row.course_id).await?;
        courses.push(view(
            row,
            course.details.code.as_str().to_owned(),
            course.details.title,
        ));
    }
    courses.sort_by(|a, b| a.code.cmp(&b.code));
    let report = DeliveryReportView {
        from: query.from,
        to: query.to,
        courses,
    };
    if accepts(&req, "text/csv") {
        csv(&report)
    } else {
        Ok(HttpResponse::Ok().json(report))
    }
}

fn view(row: CourseDelivery, code: String, title: String) -> CourseDeliveryView {
    CourseDeliveryView {
        course_id: row.course_id,
        code,
        title,
        sessions: row.sessions,
        booked: row.booked,
        attended: row.attended,
        no_shows: row.no_shows,
        ratings: row.ratings,
        mean_rating: row.mean_rating,
    }
}

/// Whether the client asked for `media` (CSV, Markdown) rather than JSON.
pub fn accepts(req: &HttpRequest, media: &str) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains(media))
}

fn csv(report: &DeliveryReportView) -> Result<HttpResponse, ApiError> {
    let mut table = Table::with_header(&[
        "course_id",
        "code",
        "title",
        "sessions",
        "booked",
        "attended",
        "no_shows",
        "ratings",
        "mean_rating",
    ])?;
    for c in &report.courses {
        table.row([
            c.course_id.to_string(),
            c.code.clone(),
            c.title.clone(),
            c.sessions.to_string(),
            c.booked.to_string(),
            c.attended.to_string(),
            c.no_shows.to_string(),
            c.ratings.to_string(),
            c.mean_rating.map(|m| format!("{m:.2}")).unwrap_or_default(),
        ])?;
    }
    table.into_response()
}

/// This feature's operations, for the server and the contract alike.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(delivery_report);
}
