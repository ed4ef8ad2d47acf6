//! The panel's evaluation of the programme or of one course, the evidence it was made on, and
//! the recommendations that go to the Cabinet Member.

use std::fmt::Write;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::budget::{FinancialYear, Position};
use crate::calendar;
use crate::compliance::Tally;
use crate::delivery::CourseDelivery;
use crate::error::Errors;
use crate::{DomainError, text, vocabulary};

vocabulary!(
    /// What an evaluation looks at: the whole programme or one course.
    ScopeKind { Programme => "programme", Course => "course" }
);

vocabulary!(
    /// A draft can change; once agreed at a meeting it is the panel's record and cannot.
    EvaluationStatus { Draft => "draft", Agreed => "agreed" }
);

vocabulary!(
    /// What the panel recommends be done to the programme.
    RecommendationKind { Add => "add", Change => "change", Retire => "retire" }
);

/// What an evaluation looks at: `{"kind": "programme"}` or `{"kind": "course", "course_id"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ScopeBody)]
#[schema(example = json!({"kind": "course", "course_id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e70"}))]
pub struct ScopeInput {
    pub kind: ScopeKind,
    #[serde(default)]
    pub course_id: Option<Uuid>,
}

/// What an evaluation covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvaluationScope {
    Programme,
    Course(Uuid),
}

impl EvaluationScope {
    pub fn parse(kind: ScopeKind, course_id: Option<Uuid>) -> Result<Self, DomainError> {
        match (kind, course_id) {
            (ScopeKind::Programme, None) => Ok(Self::Programme),
            (ScopeKind::Course, Some(id)) => Ok(Self::Course(id)),
            (ScopeKind::Programme, Some(_)) => Err(DomainError::invalid(
                "scope.course_id",
                "must be absent when the scope is the programme",
            )),
            (ScopeKind::Course, None) => Err(DomainError::invalid(
                "scope.course_id",
                "is required when the scope is a course",
            )),
        }
    }

    pub fn kind(self) -> ScopeKind {
        match self {
            Self::Programme => ScopeKind::Programme,
            Self::Course(_) => ScopeKind::Course,
        }
    }

    pub fn course_id(self) -> Option<Uuid> {
        match self {
            Self::Programme => None,
            Self::Course(id) => Some(id),
        }
    }
}

/// Ratings from 1 (poor) to 5 (excellent); a draft may leave some out, agreeing needs all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RatingsBody)]
#[schema(example = json!({"needs_met": 4, "uptake": 3, "accessibility": 4, "quality": 5}))]
pub struct Ratings {
    #[serde(default)]
    #[schema(minimum = 1, maximum = 5)]
    pub needs_met: Option<u8>,
    #[serde(default)]
    #[schema(minimum = 1, maximum = 5)]
    pub uptake: Option<u8>,
    #[serde(default)]
    #[schema(minimum = 1, maximum = 5)]
    pub accessibility: Option<u8>,
    #[serde(default)]
    #[schema(minimum = 1, maximum = 5)]
    pub quality: Option<u8>,
}

impl Ratings {
    fn named(self) -> [(&'static str, Option<u8>); 4] {
        [
            ("ratings.needs_met", self.needs_met),
            ("ratings.uptake", self.uptake),
            ("ratings.accessibility", self.accessibility),
            ("ratings.quality", self.quality),
        ]
    }
}

/// One recommendation: what to do, to which course if any, and why. An `add` may cite
/// training requests the panel was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "add", "course_id": null, "text": "Commission a half-day course on chairing planning committees",
    "training_request_ids": ["019a8f40-0000-7000-8000-0000000000b1"]}))]
pub struct Recommendation {
    pub kind: RecommendationKind,
    #[serde(default)]
    pub course_id: Option<Uuid>,
    pub text: String,
    #[serde(default)]
    pub training_request_ids: Vec<Uuid>,
}

/// An evaluation's writable fields: the body of a create, and what a merge patch applies to.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "scope": {"kind": "programme"}, "period_start": "2025-05-01", "period_end": "2026-04-30",
    "ratings": {"needs_met": 4, "uptake": 3, "accessibility": 4, "quality": 5},
    "findings": "Uptake of planning training was high; evening sessions were asked for.",
    "recommendations": [
        {"kind": "add", "text": "Commission a course on chairing meetings", "training_request_ids": []},
        {"kind": "retire", "course_id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e70", "text": "Replaced by the e-learning module"}
    ]
}))]
pub struct EvaluationInput {
    pub scope: ScopeInput,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    #[serde(default)]
    pub ratings: Ratings,
    #[serde(default)]
    pub findings: Option<String>,
    /// `add` may cite training requests that are ready for the panel.
    #[serde(default)]
    pub recommendations: Vec<Recommendation>,
}

impl From<&Appraisal> for EvaluationInput {
    fn from(appraisal: &Appraisal) -> Self {
        Self {
            scope: ScopeInput {
                kind: appraisal.scope.kind(),
                course_id: appraisal.scope.course_id(),
            },
            period_start: appraisal.period_start,
            period_end: appraisal.period_end,
            ratings: appraisal.ratings,
            findings: appraisal.findings.clone(),
            recommendations: appraisal.recommendations.clone(),
        }
    }
}

/// The panel's judgement: scope, period, ratings, findings, recommendations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appraisal {
    pub scope: EvaluationScope,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub ratings: Ratings,
    pub findings: Option<String>,
    pub recommendations: Vec<Recommendation>,
}

impl Appraisal {
    pub fn parse(input: EvaluationInput) -> Result<Self, DomainError> {
        let mut errors = Errors::default();
        let scope = errors.take(EvaluationScope::parse(
            input.scope.kind,
            input.scope.course_id,
        ));
        for (field, day) in [
            ("period_start", input.period_start),
            ("period_end", input.period_end),
        ] {
            errors.check(calendar::is_plausible(day), field, calendar::PLAUSIBLE);
        }
        errors.check(
            input.period_end >= input.period_start,
            "period_end",
            "must not be before period_start",
        );
        for (field, rating) in input.ratings.named() {
            errors.check(
                rating.is_none_or(|r| (1..=5).contains(&r)),
                field,
                "must be from 1 to 5",
            );
        }
        let findings = errors.take(text::optional(
            "findings",
            input.findings.as_deref(),
            20_000,
        ));
        errors.check(
            input.recommendations.len() <= 50,
            "recommendations",
            "must have at most 50 items",
        );
        let mut recommendations = Vec::with_capacity(input.recommendations.len());
        for (i, recommendation) in input.recommendations.into_iter().enumerate() {
            let field = format!("recommendations[{i}]");
            let text = errors.take(text::required(
                &format!("{field}.text"),
                &recommendation.text,
                2000,
            ));
            errors.check(
                recommendation.kind == RecommendationKind::Add
                    || recommendation.training_request_ids.is_empty(),
                &format!("{field}.training_request_ids"),
                "only an add recommendation cites training requests",
            );
            if let Some(text) = text {
                recommendations.push(Recommendation {
                    text,
                    ..recommendation
                });
            }
        }
        let appraisal = scope.map(|scope| Self {
            scope,
            period_start: input.period_start,
            period_end: input.period_end,
            ratings: input.ratings,
            findings: findings.flatten(),
            recommendations,
        });
        errors.finish(appraisal)
    }

    /// The training requests the recommendations cite, each once.
    pub fn cited_requests(&self) -> Vec<Uuid> {
        let mut ids: Vec<Uuid> = Vec::new();
        for id in self
            .recommendations
            .iter()
            .flat_map(|r| &r.training_request_ids)
        {
            if !ids.contains(id) {
                ids.push(*id);
            }
        }
        ids
    }

    /// The courses the scope and the recommendations name, each once.
    pub fn named_courses(&self) -> Vec<Uuid> {
        let mut ids: Vec<Uuid> = self.scope.course_id().into_iter().collect();
        for id in self.recommendations.iter().filter_map(|r| r.course_id) {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        ids
    }
}

/// What was delivered in the period: sessions run, delegates (seats held), how many of those
/// whose attendance was taken came, and what they thought.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
pub struct DeliveryEvidence {
    pub sessions: usize,
    pub delegates: usize,
    pub attended: usize,
    pub no_shows: usize,
    /// attended / (attended + no_shows); null before any attendance is taken.
    pub attendance_rate: Option<f64>,
    pub ratings: usize,
    /// Mean feedback rating, 1 to 5; null without feedback.
    pub mean_feedback: Option<f64>,
}

impl DeliveryEvidence {
    /// Adds up the delivery report's rows (one per course).
    pub fn from_rows<'a>(rows: impl IntoIterator<Item = &'a CourseDelivery>) -> Self {
        let mut evidence = Self::default();
        let mut rating_total = 0.0;
        for row in rows {
            evidence.sessions += row.sessions;
            evidence.delegates += row.booked;
            evidence.attended += row.attended;
            evidence.no_shows += row.no_shows;
            evidence.ratings += row.ratings;
            rating_total += row.mean_rating.unwrap_or(0.0) * row.ratings as f64;
        }
        let marked = evidence.attended + evidence.no_shows;
        evidence.attendance_rate = (marked > 0).then(|| evidence.attended as f64 / marked as f64);
        evidence.mean_feedback =
            (evidence.ratings > 0).then(|| rating_total / evidence.ratings as f64);
        evidence
    }
}

/// Compliance at the end of the period (or today, if it has not ended): learners the required
/// courses in scope apply to, and how many had nothing overdue or expired.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ComplianceEvidence {
    pub as_of: NaiveDate,
    pub learners: u64,
    pub compliant: u64,
    /// compliant / learners; null when no requirement applies.
    pub share: Option<f64>,
}

impl ComplianceEvidence {
    pub fn from_tally(as_of: NaiveDate, tally: &Tally) -> Self {
        Self {
            as_of,
            learners: tally.learners(),
            compliant: tally.compliant(),
            share: tally.share(),
        }
    }
}

/// Money in one financial year the period touches, in pence: the whole budget for the
/// programme, the course's pillar for a course.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BudgetEvidence {
    #[schema(example = "2025-26")]
    pub financial_year: String,
    pub allocated_pence: i64,
    pub committed_pence: i64,
    pub spent_pence: i64,
    pub remaining_pence: i64,
}

impl BudgetEvidence {
    pub fn from_positions(
        year: FinancialYear,
        positions: impl IntoIterator<Item = Position>,
    ) -> Result<Self, DomainError> {
        let total = Position::total(positions)?;
        Ok(Self {
            financial_year: year.name(),
            allocated_pence: total.allocated,
            committed_pence: total.committed,
            spent_pence: total.spent,
            remaining_pence: total.remaining(),
        })
    }
}

/// The evidence attached when an evaluation is created, kept as it was then.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Evidence {
    pub delivery: DeliveryEvidence,
    pub compliance: ComplianceEvidence,
    pub budget: Vec<BudgetEvidence>,
}

/// The day compliance evidence is read for: the period's end, or today if that is later.
pub fn evidence_day(period_end: NaiveDate, today: NaiveDate) -> NaiveDate {
    period_end.min(today)
}

/// The financial years a period touches, in order.
pub fn financial_years(start: NaiveDate, end: NaiveDate) -> Vec<FinancialYear> {
    let (first, last) = (
        FinancialYear::containing(start),
        FinancialYear::containing(end),
    );
    std::iter::successors(Some(first), |y| Some(y.offset(1)))
        .take_while(|y| *y <= last)
        .collect()
}

#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub id: Uuid,
    pub panel_id: Uuid,
    pub appraisal: Appraisal,
    pub evidence: Evidence,
    pub status: EvaluationStatus,
    pub meeting_id: Option<Uuid>,
    pub agreed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl Evaluation {
    /// Only a draft can be redrafted: an agreed evaluation is the panel's record.
    pub fn revise(&self) -> Result<(), DomainError> {
        self.is_draft("change")
    }

    /// A draft is agreed once every rating is given.
    pub fn agree(&self) -> Result<(), DomainError> {
        self.is_draft("agree")?;
        let mut errors = Errors::default();
        for (field, rating) in self.appraisal.ratings.named() {
            errors.check(
                rating.is_some(),
                field,
                "must be given before the evaluation is agreed",
            );
        }
        errors.into_result()
    }

    fn is_draft(&self, action: &str) -> Result<(), DomainError> {
        match self.status {
            EvaluationStatus::Draft => Ok(()),
            EvaluationStatus::Agreed => Err(DomainError::transition(
                "evaluation",
                self.status,
                action,
                &[EvaluationStatus::Draft],
            )),
        }
    }
}

/// One agreed recommendation as it goes to the Cabinet Member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recommended {
    pub recommendation: Recommendation,
    pub course_title: Option<String>,
    pub evaluation_id: Uuid,
    /// The day of the meeting that agreed it.
    pub agreed_on: NaiveDate,
}

/// A municipal year's agreed recommendations, from one panel to the Cabinet Member it advises.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgrammeRecommendation {
    pub panel_name: String,
    pub advises: String,
    pub municipal_year: String,
    /// In the order they were agreed.
    pub items: Vec<Recommended>,
}

impl ProgrammeRecommendation {
    /// The document as Markdown: one section per kind of recommendation, empty ones left out.
    pub fn to_markdown(&self) -> String {
        let mut doc = String::new();
        let _ = writeln!(
            doc,
            "# Learning and development programme {}",
            self.municipal_year
        );
        let _ = writeln!(doc);
        let _ = writeln!(doc, "To: {}  ", self.advises);
        let _ = writeln!(doc, "From: {}", self.panel_name);
        let _ = writeln!(doc);
        if self.items.is_empty() {
            let _ = writeln!(doc, "The panel agreed no recommendations this year.");
        }
        let sections = [
            (RecommendationKind::Add, "Add to the programme"),
            (RecommendationKind::Change, "Change"),
            (RecommendationKind::Retire, "Retire"),
        ];
        for (kind, heading) in sections {
            let items: Vec<&Recommended> = self
                .items
                .iter()
                .filter(|i| i.recommendation.kind == kind)
                .collect();
            if items.is_empty() {
                continue;
            }
            let _ = writeln!(doc, "## {heading}");
            let _ = writeln!(doc);
            for item in items {
                let course = item
                    .course_title
                    .as_deref()
                    .map(|t| format!("**{t}**: "))
                    .unwrap_or_default();
                let _ = write!(
                    doc,
                    "- {course}{} (agreed {})",
                    item.recommendation.text, item.agreed_on
                );
                let cited = &item.recommendation.training_request_ids;
                if !cited.is_empty() {
                    let ids: Vec<String> = cited.iter().map(Uuid::to_string).collect();
                    let _ = write!(doc, "; training requests {}", ids.join(", "));
                }
                let _ = writeln!(doc);
            }
            let _ = writeln!(doc);
        }
        doc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().expect("a date")
    }

    fn draft() -> EvaluationInput {
        EvaluationInput {
            scope: ScopeInput {
                kind: ScopeKind::Programme,
                course_id: None,
            },
            period_start: day("2025-05-01"),
            period_end: day("2026-04-30"),
            ratings: Ratings::default(),
            findings: None,
            recommendations: vec![],
        }
    }

    #[test]
    fn a_course_scope_names_its_course_and_a_programme_scope_none() {
        let course = Appraisal::parse(EvaluationInput {
            scope: ScopeInput {
                kind: ScopeKind::Course,
                course_id: None,
            },
            ..draft()
        });
        assert!(course.is_err());
        let programme = Appraisal::parse(EvaluationInput {
            scope: ScopeInput {
                kind: ScopeKind::Programme,
                course_id: Some(Uuid::now_v7()),
            },
            ..draft()
        });
        assert!(programme.is_err());
        assert_eq!(
            Appraisal::parse(draft()).map(|a| a.scope),
            Ok(EvaluationScope::Programme)
        );
        let endless = Appraisal::parse(EvaluationInput {
            period_end: day("9999-12-31"),
            ..draft()
        });
        assert!(
            endless.is_err(),
            "a period is read year by year: it must end"
        );
    }

    #[test]
    fn ratings_run_from_one_to_five_and_only_additions_cite_requests() {
        let bad = Appraisal::parse(EvaluationInput {
            ratings: Ratings {
                quality: Some(6),
                uptake: Some(0),
                ..Ratings::default()
            },
            recommendations: vec![Recommendation {
                kind: RecommendationKind::Retire,
                course_id: None,
                text: "Retire the old induction".into(),
                training_request_ids: vec![Uuid::now_v7()],
            }],
            ..draft()
        });
        let Err(DomainError::Invalid(fields)) = bad else {
            panic!("expected invalid")
        };
        let fields: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "ratings.uptake",
                "ratings.quality",
                "recommendations[0].training_request_ids"
            ]
        );
    }

    #[test]
    fn an_evaluation_is_agreed_once_fully_rated_and_then_fixed() {
        let mut evaluation = Evaluation {
            id: Uuid::now_v7(),
            panel_id: Uuid::now_v7(),
            appraisal: Appraisal::parse(draft()).expect("an appraisal"),
            evidence: Evidence {
                delivery: DeliveryEvidence::default(),
                compliance: ComplianceEvidence::from_tally(day("2026-04-30"), &Tally::default()),
                budget: vec![],
            },
            status: EvaluationStatus::Draft,
            meeting_id: None,
            agreed_at: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            version: 1,
        };
        assert!(evaluation.agree().is_err(), "unrated");
        evaluation.appraisal.ratings = Ratings {
            needs_met: Some(4),
            uptake: Some(3),
            accessibility: Some(4),
            quality: Some(5),
        };
        assert!(evaluation.agree().is_ok());
        evaluation.status = EvaluationStatus::Agreed;
        assert!(matches!(evaluation.revise(), Err(DomainError::Conflict(_))));
        assert!(matches!(evaluation.agree(), Err(DomainError::Conflict(_))));
    }

    #[test]
    fn delivery_evidence_weighs_feedback_by_how_many_gave_it() {
        let course = |sessions, booked, attended, no_shows, ratings, mean| CourseDelivery {
            course_id: Uuid::now_v7(),
            sessions,
            booked,
            attended,
            no_shows,
            ratings,
            mean_rating: mean,
        };
        let rows = [
            course(2, 20, 15, 5, 3, Some(5.0)),
            course(1, 10, 0, 0, 1, Some(1.0)),
        ];
        let evidence = DeliveryEvidence::from_rows(&rows);
        assert_eq!(
            (evidence.sessions, evidence.delegates, evidence.ratings),
            (3, 30, 4)
        );
        assert_eq!(evidence.attendance_rate, Some(0.75));
        assert_eq!(evidence.mean_feedback, Some(4.0));
        assert_eq!(DeliveryEvidence::from_rows(&[]).attendance_rate, None);
    }

    #[test]
    fn a_period_spans_every_financial_year_it_touches() {
        let names = |a, b| {
            financial_years(day(a), day(b))
                .into_iter()
                .map(FinancialYear::name)
                .collect::<Vec<_>>()
        };
        assert_eq!(names("2025-05-01", "2026-04-30"), ["2025-26", "2026-27"]);
        assert_eq!(names("2025-04-01", "2026-03-31"), ["2025-26"]);
    }

    #[test]
    fn the_document_groups_recommendations_by_kind() {
        let item = |kind, text: &str, title: Option<&str>| Recommended {
            recommendation: Recommendation {
                kind,
                course_id: None,
                text: text.into(),
                training_request_ids: vec![],
            },
            course_title: title.map(String::from),
            evaluation_id: Uuid::now_v7(),
            agreed_on: day("2026-03-10"),
        };
        let doc = ProgrammeRecommendation {
            panel_name: "Member Development Panel".into(),
            advises: "Cabinet Member for Policy and Leadership".into(),
            municipal_year: "2025-26".into(),
            items: vec![
                item(
                    RecommendationKind::Retire,
                    "Replaced by e-learning",
                    Some("Data protection"),
                ),
                item(RecommendationKind::Add, "A course on chairing", None),
            ],
        }
        .to_markdown();
        let add = doc.find("## Add to the programme").expect("an add section");
        let retire = doc.find("## Retire").expect("a retire section");
        assert!(add < retire);
        assert!(!doc.contains("## Change"));
        assert!(doc.contains("- **Data protection**: Replaced by e-learning (agreed 2026-03-10)"));
    }
}
