//! The demo catalogue, taken from the strategies themselves: the members' example training
//! matrix and the staff Core Learning Pathway.

use chrono::NaiveDate;
use pathway_domain::audit::Actor;
use pathway_domain::course::{
    AssessmentStatus, Audience, Category, CourseDetails, CourseInput, Delivery,
    EqualityImpactAssessment, Offer, Pillar,
};
use pathway_persistence::course as store;
use pathway_persistence::effects::write;
use pathway_persistence::{DatabaseConnection, StoreError};

use Audience::{All, Employees, Members};
use Category::{EnablingSkills, KnowledgeBased};
use Delivery::{Blended, Classroom, Coaching, Elearning, Webinar, Workshop};
use Offer::{Mandatory, OneOff, RoleSpecific, Supplementary};
use Pillar::{Essential, Leadership, Personal, Professional};

struct Entry {
    code: &'static str,
    title: &'static str,
    pillar: Pillar,
    category: Category,
    offer: Offer,
    audience: Audience,
    delivery: Delivery,
    provider: &'static str,
    qualification: Option<&'static str>,
    cost_pence: i64,
    validity_months: Option<i32>,
}

#[rustfmt::skip]
const CATALOGUE: &[Entry] = &[
    // The members' strategy, Appendix 1: the example training matrix.
    Entry { code: "GDPR", title: "GDPR and Data Protection", pillar: Essential, category: KnowledgeBased, offer: Mandatory, audience: All, delivery: Elearning, provider: "In-house", qualification: None, cost_pence: 0, validity_months: Some(12) },
    Entry { code: "MEMBER-INDUCTION", title: "Members Induction for new Members", pillar: Essential, category: KnowledgeBased, offer: Mandatory, audience: Members, delivery: Classroom, provider: "In-house", qualification: None, cost_pence: 0, validity_months: None },
    Entry { code: "SAFEGUARDING", title: "Safeguarding and Corporate Parenting", pillar: Essential, category: KnowledgeBased, offer: Mandatory, audience: Members, delivery: Classroom, provider: "In-house", qualification: None, cost_pence: 0, validity_months: Some(36) },
    Entry { code: "CODE-OF-CONDUCT", title: "Code of Conduct", pillar: Essential, category: KnowledgeBased, offer: Mandatory, audience: Members, delivery: Workshop, provider: "In-house", qualification: None, cost_pence: 0, validity_months: Some(48) },
    Entry { code: "LICENSING", title: "Licensing", pillar: Professional, category: KnowledgeBased, offer: RoleSpecific, audience: Members, delivery: Workshop, provider: "In-house", qualification: None, cost_pence: 0, validity_months: Some(12) },
    Entry { code: "PLANNING", title: "Planning", pillar: Professional, category: KnowledgeBased, offer: RoleSpecific, audience: Members, delivery: Workshop, provider: "In-house", qualification: None, cost_pence: 0, validity_months: Some(12) },
    Entry { code: "HR-APPEALS", title: "HR Appeals", pillar: Professional, category: KnowledgeBased, offer: RoleSpecific, audience: Members, delivery: Workshop, provider: "In-house", qualification: None, cost_pence: 0, validity_months: Some(24) },
    Entry { code: "HEALTH-SAFETY", title: "Health and Safety", pillar: Essential, category: KnowledgeBased, offer: Supplementary, audience: Members, delivery: Elearning, provider: "In-house", qualification: None, cost_pence: 0, validity_months: Some(36) },
    Entry { code: "ICT-DIGITAL", title: "ICT and Digital", pillar: Professional, category: KnowledgeBased, offer: Supplementary, audience: Members, delivery: Classroom, provider: "In-house", qualification: None, cost_pence: 0, validity_months: None },
    Entry { code: "SCRUTINY-INTRO", title: "Introduction to scrutiny", pillar: Professional, category: KnowledgeBased, offer: Supplementary, audience: Members, delivery: Workshop, provider: "In-house", qualification: None, cost_pence: 0, validity_months: None },
    Entry { code: "LGA-EVENT", title: "LGA member development event (by pro-forma to Members Services)", pillar: Professional, category: KnowledgeBased, offer: OneOff, audience: Members, delivery: Classroom, provider: "LGA", qualification: None, cost_pence: 25000, validity_months: None },
    Entry { code: "EQUALITIES", title: "Equalities", pillar: Essential, category: EnablingSkills, offer: Mandatory, audience: Members, delivery: Workshop, provider: "In-house", qualification: None, cost_pence: 0, validity_months: Some(36) },
    Entry { code: "MODERN-GOV", title: "Using Modern.gov", pillar: Professional, category: EnablingSkills, offer: Mandatory, audience: Members, delivery: Classroom, provider: "In-house", qualification: None, cost_pence: 0, validity_months: None },
    Entry { code: "SOCIAL-MEDIA", title: "Social Media and Comms", pillar: Professional, category: EnablingSkills, offer: Mandatory, audience: Members, delivery: Workshop, provider: "In-house", qualification: None, cost_pence: 0, validity_months: Some(24) },
    Entry { code: "CHAIRING", title: "Chairing", pillar: Leadership, category: EnablingSkills, offer: RoleSpecific, audience: Members, delivery: Workshop, provider: "In-house", qualification: None, cost_pence: 0, validity_months: Some(24) },
    Entry { code: "PERSONAL-SAFETY", title: "Personal safety", pillar: Personal, category: EnablingSkills, offer: Supplementary, audience: Members, delivery: Workshop, provider: "In-house", qualification: None, cost_pence: 0, validity_months: None },
    Entry { code: "CASEWORK", title: "Case work management", pillar: Professional, category: EnablingSkills, offer: Supplementary, audience: Members, delivery: Workshop, provider: "In-house", qualification: None, cost_pence: 0, validity_months: None },
    Entry { code: "QUESTIONING", title: "Questioning skills", pillar: Professional, category: EnablingSkills, offer: Supplementary, audience: Members, delivery: Workshop, provider: "In-house", qualification: None, cost_pence: 0, validity_months: None },
    // The staff strategy: the Core Learning Pathway (launched 1 December 2020, run bimonthly).
    Entry { code: "ILM5", title: "ILM Level 5 Certificate in Leadership and Management", pillar: Professional, category: EnablingSkills, offer: Supplementary, audience: Employees, delivery: Blended, provider: "ILM", qualification: Some("ILM Level 5"), cost_pence: 165_000, validity_months: None },
    Entry { code: "ILM3", title: "ILM Level 3 Award in Leadership and Management", pillar: Professional, category: EnablingSkills, offer: Supplementary, audience: Employees, delivery: Blended, provider: "ILM", qualification: Some("ILM Level 3"), cost_pence: 95_000, validity_months: None },
    Entry { code: "PROJECT-MGMT", title: "Project Management", pillar: Professional, category: KnowledgeBased, offer: Supplementary, audience: Employees, delivery: Classroom, provider: "External", qualification: None, cost_pence: 45_000, validity_months: None },
    Entry { code: "ADR-DISCIPLINARY", title: "Alternative resolution, disciplinary & grievance", pillar: Professional, category: KnowledgeBased, offer: Supplementary, audience: Employees, delivery: Workshop, provider: "In-house", qualification: None, cost_pence: 0, validity_months: None },
    Entry { code: "PRESENTING", title: "Presenting with Impact", pillar: Professional, category: EnablingSkills, offer: Supplementary, audience: Employees, delivery: Workshop, provider: "External", qualification: None, cost_pence: 30_000, validity_months: None },
    Entry { code: "POLITICAL-AWARENESS", title: "Political awareness", pillar: Professional, category: KnowledgeBased, offer: Supplementary, audience: Employees, delivery: Workshop, provider: "In-house", qualification: None, cost_pence: 0, validity_months: None },
    Entry { code: "MENTORING", title: "Mentoring", pillar: Professional, category: EnablingSkills, offer: Supplementary, audience: Employees, delivery: Workshop, provider: "In-house", qualification: None, cost_pence: 0, validity_months: None },
    Entry { code: "TIME-MGMT", title: "Time Management", pillar: Personal, category: EnablingSkills, offer: Supplementary, audience: Employees, delivery: Webinar, provider: "In-house", qualification: None, cost_pence: 0, validity_months: None },
    Entry { code: "REPORT-WRITING", title: "Report writing", pillar: Professional, category: EnablingSkills, offer: Supplementary, audience: Employees, delivery: Workshop, provider: "In-house", qualification: None, cost_pence: 0, validity_months: None },
    Entry { code: "INDUSTRIAL-RELATIONS", title: "Industrial relations", pillar: Professional, category: KnowledgeBased, offer: Supplementary, audience: Employees, delivery: Classroom, provider: "In-house", qualification: None, cost_pence: 0, validity_months: None },
    // The Leadership Development programmes (pillar 1), recorded when a cohort member completes every module.
    Entry { code: "LEADING-OTHERS", title: "Leading Others (leadership development programme)", pillar: Leadership, category: EnablingSkills, offer: RoleSpecific, audience: Employees, delivery: Blended, provider: "External", qualification: None, cost_pence: 120_000, validity_months: None },
    Entry { code: "LEADING-FUNCTION", title: "Leading Function (leadership development programme)", pillar: Leadership, category: EnablingSkills, offer: RoleSpecific, audience: Employees, delivery: Blended, provider: "External", qualification: None, cost_pence: 150_000, validity_months: None },
    Entry { code: "LEADING-SERVICE", title: "Leading Service (leadership development programme)", pillar: Leadership, category: EnablingSkills, offer: RoleSpecific, audience: Employees, delivery: Blended, provider: "External", qualification: None, cost_pence: 180_000, validity_months: None },
    // Leadership community and essential training named in the staff strategy's update.
    Entry { code: "COACHING-FEEDBACK", title: "Coaching and feedback", pillar: Leadership, category: EnablingSkills, offer: Supplementary, audience: Employees, delivery: Coaching, provider: "In-house", qualification: None, cost_pence: 0, validity_months: None },
    Entry { code: "DIGNITY-AT-WORK", title: "Dignity in our workplace", pillar: Essential, category: KnowledgeBased, offer: Mandatory, audience: Employees, delivery: Workshop, provider: "In-house", qualification: None, cost_pence: 0, validity_months: Some(36) },
    Entry { code: "NEURODIVERSITY", title: "What is Neurodiversity? (webinar series)", pillar: Personal, category: KnowledgeBased, offer: Supplementary, audience: Employees, delivery: Webinar, provider: "In-house", qualification: None, cost_pence: 0, validity_months: None },
    Entry { code: "NEURODIVERSITY-DEEP", title: "Neurodiversity awareness workshop", pillar: Personal, category: EnablingSkills, offer: Supplementary, audience: Employees, delivery: Workshop, provider: "In-house", qualification: None, cost_pence: 0, validity_months: None },
];

/// Adds the catalogue's missing courses, published; returns how many it added and found.
pub async fn load(db: &DatabaseConnection, actor: &Actor) -> Result<(usize, usize), StoreError> {
    let assessed_on = NaiveDate::from_ymd_opt(2020, 11, 16);
    let (mut added, mut already_there) = (0, 0);
    for entry in CATALOGUE {
        let details = CourseDetails::parse(CourseInput {
            code: entry.code.into(),
            title: entry.title.into(),
            description: None,
            pillar: entry.pillar,
            category: entry.category,
            offer: entry.offer,
            audience: entry.audience,
            delivery: entry.delivery,
            provider: entry.provider.into(),
            qualification: entry.qualification.map(Into::into),
            cost_pence: entry.cost_pence,
            validity_months: entry.validity_months,
            go_live_on: None,
            equality_impact_assessment: EqualityImpactAssessment {
                status: AssessmentStatus::Completed,
                completed_on: assessed_on,
                summary: Some("No disproportionate impact on any protected group; materials offered in accessible formats.".into()),
            },
            xapi_activity_id: None,
        })?;
        match write(db, actor, async |change| {
            store::create(change, details).await
        })
        .await
        {
            Ok(course) => {
                write(db, actor, async |change| {
                    store::publish(change, course.id, Some(course.version)).await
                })
                .await?;
                added += 1;
            }
            Err(StoreError::Duplicate { .. }) => already_there += 1,
            Err(other) => return Err(other),
        }
    }
    Ok((added, already_there))
}
