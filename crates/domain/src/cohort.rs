//! Leadership development: programmes of ordered modules, and cohorts, the monthly intakes
//! that work through them together.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::course::Course;
use crate::error::Errors;
use crate::learner::{Learner, LearnerStatus};
use crate::{DomainError, text, vocabulary};

vocabulary!(
    /// A member's progress through one module.
    ModuleStatus { NotStarted => "not_started", InProgress => "in_progress", Completed => "completed" }
);

vocabulary!(
    /// Where a cohort stands, derived from its start date and its members.
    CohortStatus {
        /// Not started, and nobody has joined yet.
        Planned => "planned",
        /// Not started, with room left.
        Open => "open",
        /// Not started, every place taken.
        Full => "full",
        InProgress => "in_progress",
        /// Started, and every member has completed every module.
        Completed => "completed",
    }
);

#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "Leading Others", "description": "For first-line managers.",
    "course_id": "019a8f3e-5b1c-7d2e-9f40-1a2b3c4d5e70",
    "modules": ["Self-awareness", "Culture", "Leading change", "Coaching conversations"]
}))]
pub struct ProgrammeInput {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// The catalogue entry a completed programme is recorded against.
    pub course_id: Uuid,
    /// Module titles in the order they are taken, 1 to 20, each once.
    #[schema(min_items = 1, max_items = 20)]
    pub modules: Vec<String>,
}

/// A leadership programme: Leading Others, Leading Function or Leading Service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgrammeDetails {
    pub name: String,
    pub description: Option<String>,
    /// The catalogue entry a completed programme is recorded against.
    pub course_id: Uuid,
    /// Module titles in the order they are taken.
    pub modules: Vec<String>,
}

impl ProgrammeDetails {
    pub fn parse(input: ProgrammeInput) -> Result<Self, DomainError> {
        let mut errors = Errors::default();
        let name = errors.take(text::required("name", &input.name, 200));
        let description = errors.take(text::optional(
            "description",
            input.description.as_deref(),
            4000,
        ));
        let modules = errors.take(text::name_list("modules", &input.modules, 200));
        if let Some(modules) = &modules {
            errors.check(
                (1..=20).contains(&modules.len()) && modules.len() == input.modules.len(),
                "modules",
                "lists 1 to 20 modules, each once",
            );
        }
        let details = (|| {
            Some(Self {
                name: name?,
                description: description?,
                course_id: input.course_id,
                modules: modules?,
            })
        })();
        errors.finish(details)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    pub id: Uuid,
    /// 1 for the first module.
    pub position: i32,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Programme {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub course_id: Uuid,
    pub modules: Vec<Module>,
    pub created_at: DateTime<Utc>,
}

impl Programme {
    /// Checks a change to one member's progress on one module, given all their progress.
    /// Modules are taken in order: a module is completed only after every earlier one, and a
    /// completed module is not reopened while a later one stands completed.
    /// Returns whether the member has now completed the whole programme.
    pub fn progress(
        &self,
        held: &HashMap<Uuid, ModuleStatus>,
        module_id: Uuid,
        status: ModuleStatus,
    ) -> Result<bool, DomainError> {
        let Some(module) = self.modules.iter().find(|m| m.id == module_id) else {
            return Err(DomainError::invalid(
                "module_id",
                format!("not a module of {}", self.name),
            ));
        };
        let status_of = |m: &Module| held.get(&m.id).copied().unwrap_or(ModuleStatus::NotStarted);
        if status == ModuleStatus::Completed
            && let Some(earlier) = self
                .modules
                .iter()
                .find(|m| m.position < module.position && status_of(m) != ModuleStatus::Completed)
        {
            return Err(DomainError::Conflict(format!(
                "complete \"{}\" before \"{}\"",
                earlier.title, module.title
            )));
        }
        if status != ModuleStatus::Completed
            && let Some(later) = self
                .modules
                .iter()
                .find(|m| m.position > module.position && status_of(m) == ModuleStatus::Completed)
        {
            return Err(DomainError::Conflict(format!(
                "\"{}\" stays completed while \"{}\", which comes after it, is completed",
                module.title, later.title
            )));
        }
        Ok(self.modules.iter().all(|m| {
            if m.id == module_id {
                status == ModuleStatus::Completed
            } else {
                status_of(m) == ModuleStatus::Completed
            }
        }))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "programme_id": "019a8f3e-aaaa-7d2e-9f40-1a2b3c4d5e70", "starts_on": "2027-01-04", "capacity": 12,
    "facilitator": "Leadership Academy"
}))]
pub struct CohortInput {
    pub programme_id: Uuid,
    pub starts_on: NaiveDate,
    #[schema(minimum = 1, maximum = 100)]
    pub capacity: i32,
    #[serde(default)]
    pub facilitator: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CohortDetails {
    pub programme_id: Uuid,
    pub starts_on: NaiveDate,
    pub capacity: i32,
    pub facilitator: Option<String>,
}

impl CohortDetails {
    pub fn parse(input: CohortInput) -> Result<Self, DomainError> {
        let mut errors = Errors::default();
        let facilitator = errors.take(text::optional(
            "facilitator",
            input.facilitator.as_deref(),
            200,
        ));
        errors.check(
            (1..=100).contains(&input.capacity),
            "capacity",
            "must be between 1 and 100",
        );
        let details = facilitator.map(|facilitator| Self {
            programme_id: input.programme_id,
            starts_on: input.starts_on,
            capacity: input.capacity,
            facilitator,
        });
        errors.finish(details)
    }
}

/// One intake of a programme, with how many have joined and finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cohort {
    pub id: Uuid,
    pub details: CohortDetails,
    pub members: i64,
    /// Members who have completed every module.
    pub finished: i64,
    pub created_at: DateTime<Utc>,
}

impl Cohort {
    pub fn status(&self, today: NaiveDate) -> CohortStatus {
        let started = self.details.starts_on <= today;
        match (started, self.members) {
            (false, 0) => CohortStatus::Planned,
            (false, n) if n >= i64::from(self.details.capacity) => CohortStatus::Full,
            (false, _) => CohortStatus::Open,
            (true, n) if n > 0 && self.finished == n => CohortStatus::Completed,
            (true, _) => CohortStatus::InProgress,
        }
    }

    /// Whether `learner` may join: an active learner the programme's course is for, while a
    /// place is free and the cohort has not finished.
    pub fn admit(
        &self,
        course: &Course,
        learner: &Learner,
        today: NaiveDate,
    ) -> Result<(), DomainError> {
        if learner.status == LearnerStatus::Left {
            return Err(DomainError::invalid(
                "learner_id",
                "the learner has left the council",
            ));
        }
        if !course.details.audience.admits(learner.profile.kind) {
            return Err(DomainError::invalid(
                "learner_id",
                format!("this programme is for {}", course.details.audience),
            ));
        }
        match self.status(today) {
            CohortStatus::Completed => Err(DomainError::Conflict(
                "the cohort has completed the programme".into(),
            )),
            _ if self.members >= i64::from(self.details.capacity) => {
                Err(DomainError::Conflict(format!(
                    "the cohort is full: all {} places are taken",
                    self.details.capacity
                )))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).expect("a date")
    }

    fn programme() -> Programme {
        let titles = ["Self-awareness", "Culture", "Leading change"];
        Programme {
            id: Uuid::now_v7(),
            name: "Leading Others".into(),
            description: None,
            course_id: Uuid::now_v7(),
            modules: titles
                .iter()
                .zip(1..)
                .map(|(title, position)| Module {
                    id: Uuid::now_v7(),
                    position,
                    title: (*title).into(),
                })
                .collect(),
            created_at: Utc::now(),
        }
    }

    fn cohort(members: i64, finished: i64) -> Cohort {
        Cohort {
            id: Uuid::now_v7(),
            details: CohortDetails {
                programme_id: Uuid::now_v7(),
                starts_on: day(3, 1),
                capacity: 2,
                facilitator: None,
            },
            members,
            finished,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn a_programme_lists_its_modules_once_each() {
        let draft = ProgrammeInput {
            name: "Leading Others".into(),
            description: None,
            course_id: Uuid::now_v7(),
            modules: vec![],
        };
        assert!(ProgrammeDetails::parse(draft.clone()).is_err());
        let repeated = ProgrammeInput {
            modules: vec!["Culture".into(), "culture".into()],
            ..draft.clone()
        };
        assert!(ProgrammeDetails::parse(repeated).is_err());
        let ordered = ProgrammeInput {
            modules: vec!["Self-awareness".into(), "Culture".into()],
            ..draft
        };
        assert_eq!(
            ProgrammeDetails::parse(ordered).map(|p| p.modules.len()),
            Ok(2)
        );
    }

    #[test]
    fn modules_are_completed_in_order() {
        let p = programme();
        let [first, second, third] = [p.modules[0].id, p.modules[1].id, p.modules[2].id];
        let mut held = HashMap::new();
        assert!(matches!(
            p.progress(&held, second, ModuleStatus::Completed),
            Err(DomainError::Conflict(_))
        ));
        assert_eq!(
            p.progress(&held, second, ModuleStatus::InProgress),
            Ok(false)
        );
        assert_eq!(p.progress(&held, first, ModuleStatus::Completed), Ok(false));
        held.insert(first, ModuleStatus::Completed);
        held.insert(second, ModuleStatus::Completed);
        assert!(matches!(
            p.progress(&held, first, ModuleStatus::InProgress),
            Err(DomainError::Conflict(_))
        ));
        assert_eq!(p.progress(&held, third, ModuleStatus::Completed), Ok(true));
        assert!(matches!(
            p.progress(&held, Uuid::now_v7(), ModuleStatus::Completed),
            Err(DomainError::Invalid(_))
        ));
    }

    #[test]
    fn a_cohort_status_follows_its_dates_and_members() {
        assert_eq!(cohort(0, 0).status(day(2, 1)), CohortStatus::Planned);
        assert_eq!(cohort(1, 0).status(day(2, 1)), CohortStatus::Open);
        assert_eq!(cohort(2, 0).status(day(2, 28)), CohortStatus::Full);
        assert_eq!(cohort(2, 1).status(day(3, 1)), CohortStatus::InProgress);
        assert_eq!(cohort(2, 2).status(day(9, 1)), CohortStatus::Completed);
        assert_eq!(cohort(0, 0).status(day(9, 1)), CohortStatus::InProgress);
    }
}
