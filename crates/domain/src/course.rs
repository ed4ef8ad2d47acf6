use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::budget;
use crate::error::Errors;
use crate::text;
use crate::{DomainError, vocabulary};

vocabulary!(
    /// The four pillars of the workforce strategy; every course belongs to one.
    Pillar { Leadership => "leadership", Professional => "professional", Personal => "personal", Essential => "essential" }
);

vocabulary!(
    /// The rows of the members' training matrix.
    Category { KnowledgeBased => "knowledge_based", EnablingSkills => "enabling_skills" }
);

vocabulary!(
    /// How a course is offered: the columns of the training matrix, before grouping.
    Offer {
        Mandatory => "mandatory",
        RoleSpecific => "role_specific",
        Supplementary => "supplementary",
        /// External training attended by request, such as an LGA event.
        OneOff => "one_off",
        /// Training requested by several learners that the offer lacks.
        Additional => "additional",
    }
);

vocabulary!(
    /// Who a course is for.
    Audience { Employees => "employees", Members => "members", All => "all" }
);

vocabulary!(
    /// How a course is delivered.
    Delivery {
        Classroom => "classroom",
        Webinar => "webinar",
        Workshop => "workshop",
        Elearning => "elearning",
        Coaching => "coaching",
        Blended => "blended",
    }
);

vocabulary!(
    /// A course is drafted, then published into the offer, and finally retired from it.
    CourseStatus { Draft => "draft", Published => "published", Retired => "retired" }
);

vocabulary!(
    /// Progress of a course's equality impact assessment.
    AssessmentStatus { NotStarted => "not_started", InProgress => "in_progress", Completed => "completed" }
);

/// A course code as printed in the catalogue: 2-20 upper-case letters, digits or dashes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CourseCode(String);

impl CourseCode {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let code = raw.trim().to_ascii_uppercase();
        let valid = (2..=20).contains(&code.len())
            && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        valid.then_some(Self(code)).ok_or(DomainError::invalid(
            "code",
            "must be 2-20 letters, digits or dashes",
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A course's equality impact assessment, which must be completed before it is published.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AssessmentBody)]
#[schema(example = json!({"status": "completed", "completed_on": "2026-03-01", "summary": "No adverse impact; captions on all videos."}))]
pub struct EqualityImpactAssessment {
    pub status: AssessmentStatus,
    /// Required when, and only when, `status` is `completed`.
    #[serde(default)]
    pub completed_on: Option<NaiveDate>,
    /// The outcome; required once completed.
    #[serde(default)]
    pub summary: Option<String>,
}

fn not_started() -> EqualityImpactAssessment {
    EqualityImpactAssessment::NOT_STARTED
}

impl EqualityImpactAssessment {
    pub const NOT_STARTED: Self = Self {
        status: AssessmentStatus::NotStarted,
        completed_on: None,
        summary: None,
    };

    fn parse(raw: Self, errors: &mut Errors) -> Option<Self> {
        let summary = errors.take(text::optional(
            "equality_impact_assessment.summary",
            raw.summary.as_deref(),
            4000,
        ))?;
        let completed = raw.status == AssessmentStatus::Completed;
        // A completed assessment is one whose outcome is on record, with the day it was agreed.
        errors.check(
            completed == raw.completed_on.is_some(),
            "equality_impact_assessment.completed_on",
            "is required when, and only when, the assessment is completed",
        );
        errors.check(
            !completed || summary.is_some(),
            "equality_impact_assessment.summary",
            "a completed assessment records its outcome",
        );
        Some(Self { summary, ..raw })
    }
}

/// A course's writable fields: the body of a create, and what a merge patch applies to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "code": "ILM5", "title": "ILM Level 5 Certificate in Leadership and Management",
    "description": "For senior leaders: leading innovation and change.", "pillar": "leadership",
    "category": "enabling_skills", "offer": "role_specific", "audience": "employees", "delivery": "blended",
    "provider": "ILM", "qualification": "ILM Level 5", "cost_pence": 165000, "validity_months": null,
    "go_live_on": "2026-04-01",
    "equality_impact_assessment": {"status": "in_progress", "completed_on": null, "summary": null}
}))]
pub struct CourseInput {
    /// 2-20 letters, digits or dashes; stored upper-case; unique.
    #[schema(pattern = r"^\s*[A-Za-z0-9-]{2,20}\s*$", example = "ILM5")]
    pub code: String,
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    pub pillar: Pillar,
    pub category: Category,
    pub offer: Offer,
    pub audience: Audience,
    pub delivery: Delivery,
    /// "In-house", or the external provider (LGA, ILM, ...).
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"\S",
        example = "In-house"
    )]
    pub provider: String,
    #[serde(default)]
    pub qualification: Option<String>,
    /// Cost per delegate in pence.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 100000000000_i64)]
    pub cost_pence: i64,
    /// Months a completion counts before a refresher is due; null never expires.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 120)]
    pub validity_months: Option<i32>,
    #[serde(default)]
    pub go_live_on: Option<NaiveDate>,
    #[serde(default = "not_started")]
    pub equality_impact_assessment: EqualityImpactAssessment,
    /// The xAPI activity id an e-learning platform reports this course against: a
    /// `completed` or `passed` statement about it records a completion. Unique.
    #[serde(default)]
    #[schema(example = "https://learnpool.example/courses/gdpr-refresher")]
    pub xapi_activity_id: Option<String>,
}

/// The part of a course that clients write, once every rule holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseDetails {
    pub code: CourseCode,
    pub title: String,
    pub description: Option<String>,
    pub pillar: Pillar,
    pub category: Category,
    pub offer: Offer,
    pub audience: Audience,
    pub delivery: Delivery,
    /// "In-house", or the external provider such as the LGA or ILM.
    pub provider: String,
    /// The qualification it leads to, such as "ILM Level 5".
    pub qualification: Option<String>,
    pub cost_pence: i64,
    /// How long a completion counts before a refresher is due; `None` never expires.
    pub validity_months: Option<i32>,
    pub go_live_on: Option<NaiveDate>,
    pub equality_impact_assessment: EqualityImpactAssessment,
    /// The xAPI activity id an e-learning platform reports this course's completion against.
    pub xapi_activity_id: Option<String>,
}

/// Ten years: longer than any refresher cycle in the strategy, short enough to catch typos.
const MAX_VALIDITY_MONTHS: i32 = 120;

impl CourseDetails {
    pub fn parse(input: CourseInput) -> Result<Self, DomainError> {
        let mut errors = Errors::default();
        let code = errors.take(CourseCode::parse(&input.code));
        let title = errors.take(text::required("title", &input.title, 200));
        let description = errors.take(text::optional(
            "description",
            input.description.as_deref(),
            4000,
        ));
        let provider = errors.take(text::required("provider", &input.provider, 200));
        let qualification = errors.take(text::optional(
            "qualification",
            input.qualification.as_deref(),
            200,
        ));
        errors.check(
            budget::is_amount(input.cost_pence),
            "cost_pence",
            budget::AMOUNT_RULE,
        );
        errors.check(
            input
                .validity_months
                .is_none_or(|m| (1..=MAX_VALIDITY_MONTHS).contains(&m)),
            "validity_months",
            "must be between 1 and 120, or null for a course that never expires",
        );
        let xapi_activity_id = errors.take(text::optional(
            "xapi_activity_id",
            input.xapi_activity_id.as_deref(),
            2000,
        ));
        if let Some(Some(id)) = &xapi_activity_id {
            errors.check(
                crate::xapi::is_iri(id),
                "xapi_activity_id",
                "must be an absolute IRI, such as https://...",
            );
        }
        let assessment =
            EqualityImpactAssessment::parse(input.equality_impact_assessment, &mut errors);
        let details = (|| {
            Some(Self {
                code: code?,
                title: title?,
                description: description?,
                pillar: input.pillar,
                category: input.category,
                offer: input.offer,
                audience: input.audience,
                delivery: input.delivery,
                provider: provider?,
                qualification: qualification?,
                cost_pence: input.cost_pence,
                validity_months: input.validity_months,
                go_live_on: input.go_live_on,
                equality_impact_assessment: assessment?,
                xapi_activity_id: xapi_activity_id?,
            })
        })();
        errors.finish(details)
    }

    pub fn to_input(&self) -> CourseInput {
        CourseInput {
            code: self.code.as_str().to_owned(),
            title: self.title.clone(),
            description: self.description.clone(),
            pillar: self.pillar,
            category: self.category,
            offer: self.offer,
            audience: self.audience,
            delivery: self.delivery,
            provider: self.provider.clone(),
            qualification: self.qualification.clone(),
            cost_pence: self.cost_pence,
            validity_months: self.validity_months,
            go_live_on: self.go_live_on,
            equality_impact_assessment: self.equality_impact_assessment.clone(),
            xapi_activity_id: self.xapi_activity_id.clone(),
        }
    }
}

/// A catalogue entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Course {
    pub id: Uuid,
    pub details: CourseDetails,
    pub status: CourseStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl Course {
    /// Publishing puts a course into the offer; the strategy requires an equality impact
    /// assessment of every new course first.
    pub fn publish(&self) -> Result<CourseStatus, DomainError> {
        if self.status != CourseStatus::Draft {
            return Err(DomainError::transition(
                "course",
                self.status,
                "publish",
                &[CourseStatus::Draft],
            ));
        }
        let assessment = self.details.equality_impact_assessment.status;
        if assessment != AssessmentStatus::Completed {
            return Err(DomainError::Conflict(format!(
                "course {} cannot be published until its equality impact assessment is completed (it is {assessment})",
                self.details.code.as_str()
            )));
        }
        Ok(CourseStatus::Published)
    }

    pub fn retire(&self) -> Result<CourseStatus, DomainError> {
        match self.status {
            CourseStatus::Published => Ok(CourseStatus::Retired),
            other => Err(DomainError::transition(
                "course",
                other,
                "retire",
                &[CourseStatus::Published],
            )),
        }
    }

    /// Checks an edit against the course's state: the catalogue's history stays as it was.
    pub fn revise(&self, details: CourseDetails) -> Result<CourseDetails, DomainError> {
        match self.status {
            CourseStatus::Retired => Err(DomainError::Conflict(
                "a retired course cannot be edited".into(),
            )),
            CourseStatus::Published
                if details.equality_impact_assessment.status != AssessmentStatus::Completed =>
            {
                Err(DomainError::Conflict(
                    "a published course keeps its completed equality impact assessment".into(),
                ))
            }
            _ => Ok(details),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn draft(code: &str) -> CourseInput {
        CourseInput {
            code: code.into(),
            title: "Data protection (GDPR)".into(),
            description: None,
            pillar: Pillar::Essential,
            category: Category::KnowledgeBased,
            offer: Offer::Mandatory,
            audience: Audience::All,
            delivery: Delivery::Elearning,
            provider: "In-house".into(),
            qualification: None,
            cost_pence: 0,
            validity_months: Some(12),
            go_live_on: None,
            equality_impact_assessment: EqualityImpactAssessment::NOT_STARTED,
            xapi_activity_id: None,
        }
    }

    pub(crate) fn completed() -> EqualityImpactAssessment {
        EqualityImpactAssessment {
            status: AssessmentStatus::Completed,
            completed_on: NaiveDate::from_ymd_opt(2026, 3, 1),
            summary: Some("No adverse impact; captions on all videos.".into()),
        }
    }

    pub(crate) fn course(draft: CourseInput, status: CourseStatus) -> Course {
        Course {
            id: Uuid::now_v7(),
            details: CourseDetails::parse(draft).expect("valid course"),
            status,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            version: 1,
        }
    }

    fn invalid_fields(draft: CourseInput) -> Vec<String> {
        match CourseDetails::parse(draft) {
            Err(DomainError::Invalid(fields)) => fields.into_iter().map(|f| f.field).collect(),
            other => panic!("expected invalid fields, got {other:?}"),
        }
    }

    #[test]
    fn course_codes_are_upper_cased_and_bounded() {
        assert_eq!(
            CourseCode::parse(" gdpr-1 ").map(|c| c.0),
            Ok("GDPR-1".into())
        );
        for raw in ["", "G", "GDPR 1", "GDPR_1", "ABCDEFGHIJKLMNOPQRSTU"] {
            assert!(CourseCode::parse(raw).is_err(), "{raw:?} should be refused");
        }
    }

    #[test]
    fn negative_costs_and_silly_validity_are_refused() {
        let bad = CourseInput {
            cost_pence: -1,
            validity_months: Some(0),
            ..draft("GDPR")
        };
        assert_eq!(invalid_fields(bad), ["cost_pence", "validity_months"]);
        let too_long = CourseInput {
            validity_months: Some(121),
            ..draft("GDPR")
        };
        assert_eq!(invalid_fields(too_long), ["validity_months"]);
        assert!(
            CourseDetails::parse(CourseInput {
                validity_months: None,
                ..draft("GDPR")
            })
            .is_ok()
        );
    }

    #[test]
    fn a_completed_assessment_needs_its_date_and_outcome() {
        let bare = EqualityImpactAssessment {
            status: AssessmentStatus::Completed,
            completed_on: None,
            summary: None,
        };
        assert_eq!(
            invalid_fields(CourseInput {
                equality_impact_assessment: bare,
                ..draft("GDPR")
            }),
            [
                "equality_impact_assessment.completed_on",
                "equality_impact_assessment.summary"
            ]
        );
        let dated_but_open = EqualityImpactAssessment {
            status: AssessmentStatus::InProgress,
            ..completed()
        };
        assert_eq!(
            invalid_fields(CourseInput {
                equality_impact_assessment: dated_but_open,
                ..draft("GDPR")
            }),
            ["equality_impact_assessment.completed_on"]
        );
    }

    #[test]
    fn publishing_needs_a_completed_equality_impact_assessment() {
        let unassessed = course(draft("GDPR"), CourseStatus::Draft);
        let Err(DomainError::Conflict(why)) = unassessed.publish() else {
            panic!("expected a conflict")
        };
        assert!(why.contains("equality impact assessment"), "{why}");
        let assessed = course(
            CourseInput {
                equality_impact_assessment: completed(),
                ..draft("GDPR")
            },
            CourseStatus::Draft,
        );
        assert_eq!(assessed.publish(), Ok(CourseStatus::Published));
    }

    #[test]
    fn only_drafts_publish_and_only_published_courses_retire() {
        let assessed = CourseInput {
            equality_impact_assessment: completed(),
            ..draft("GDPR")
        };
        let published = course(assessed.clone(), CourseStatus::Published);
        let retired = course(assessed.clone(), CourseStatus::Retired);
        let drafted = course(assessed, CourseStatus::Draft);
        assert!(published.publish().is_err());
        assert!(retired.publish().is_err());
        assert_eq!(published.retire(), Ok(CourseStatus::Retired));
        assert!(drafted.retire().is_err());
        assert!(retired.retire().is_err());
    }

    #[test]
    fn retired_courses_are_not_edited_and_published_ones_stay_assessed() {
        let assessed = CourseInput {
            equality_impact_assessment: completed(),
            ..draft("GDPR")
        };
        let retired = course(assessed.clone(), CourseStatus::Retired);
        assert!(retired.revise(retired.details.clone()).is_err());
        let published = course(assessed, CourseStatus::Published);
        let reopened = CourseDetails::parse(draft("GDPR")).expect("valid");
        assert!(published.revise(reopened).is_err());
        assert!(published.revise(published.details.clone()).is_ok());
    }
}
