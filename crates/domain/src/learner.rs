use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::error::Errors;
use crate::text::{self, Email};
use crate::{DomainError, vocabulary};

vocabulary!(
    /// Employees are council staff; elected members are councillors.
    LearnerKind { Employee => "employee", ElectedMember => "elected_member" }
);

vocabulary!(
    /// Whether the learner is still with the council.
    LearnerStatus { Active => "active", Left => "left" }
);

const NAME_MAX: usize = 100;
const SHORT_MAX: usize = 200;

/// A learner's details exactly as a client sent them, before any rule is applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LearnerDraft {
    pub kind: Option<LearnerKind>,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    pub external_ref: Option<String>,
    pub department: Option<String>,
    pub job_title: Option<String>,
    pub manager_id: Option<Uuid>,
    pub political_group: Option<String>,
    pub ward: Option<String>,
    pub committees: Vec<String>,
    pub responsibilities: Vec<String>,
    pub started_on: Option<NaiveDate>,
}

/// A learner's details once every rule holds: the part of a learner that clients write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LearnerProfile {
    pub kind: LearnerKind,
    pub given_name: String,
    pub family_name: String,
    pub email: Email,
    pub external_ref: Option<String>,
    pub department: Option<String>,
    pub job_title: Option<String>,
    pub manager_id: Option<Uuid>,
    pub political_group: Option<String>,
    pub ward: Option<String>,
    pub committees: Vec<String>,
    pub responsibilities: Vec<String>,
    pub started_on: NaiveDate,
}

impl LearnerProfile {
    /// Parses a draft, reporting every bad field at once. `today` stands in for a missing start date.
    pub fn parse(draft: LearnerDraft, today: NaiveDate) -> Result<Self, DomainError> {
        let mut errors = Errors::default();
        let kind = draft.kind;
        errors.check(
            kind.is_some(),
            "kind",
            "is required: employee or elected_member",
        );
        let given_name = errors.take(text::required("given_name", &draft.given_name, NAME_MAX));
        let family_name = errors.take(text::required("family_name", &draft.family_name, NAME_MAX));
        let email = errors.take(Email::parse(&draft.email));
        let external_ref = errors.take(text::optional(
            "external_ref",
            draft.external_ref.as_deref(),
            SHORT_MAX,
        ));
        let department = errors.take(text::optional(
            "department",
            draft.department.as_deref(),
            SHORT_MAX,
        ));
        let job_title = errors.take(text::optional(
            "job_title",
            draft.job_title.as_deref(),
            SHORT_MAX,
        ));
        let political_group = errors.take(text::optional(
            "political_group",
            draft.political_group.as_deref(),
            SHORT_MAX,
        ));
        let ward = errors.take(text::optional("ward", draft.ward.as_deref(), SHORT_MAX));
        let committees = errors.take(text::name_list("committees", &draft.committees, SHORT_MAX));
        let responsibilities = errors.take(text::name_list(
            "responsibilities",
            &draft.responsibilities,
            SHORT_MAX,
        ));

        // Employees and councillors are different kinds of people: an officer has a line
        // manager and a post, a councillor a political group, a ward and committee seats.
        match kind {
            Some(LearnerKind::Employee) => {
                let not_for_employees = "applies to elected members only";
                errors.check(
                    draft.political_group.is_none(),
                    "political_group",
                    not_for_employees,
                );
                errors.check(draft.ward.is_none(), "ward", not_for_employees);
                errors.check(draft.committees.is_empty(), "committees", not_for_employees);
            }
            Some(LearnerKind::ElectedMember) => {
                let not_for_members = "applies to employees only";
                errors.check(draft.manager_id.is_none(), "manager_id", not_for_members);
                errors.check(draft.department.is_none(), "department", not_for_members);
                errors.check(draft.job_title.is_none(), "job_title", not_for_members);
            }
            None => {}
        }
        let profile = (|| {
            Some(Self {
                kind: kind?,
                given_name: given_name?,
                family_name: family_name?,
                email: email?,
                external_ref: external_ref?,
                department: department?,
                job_title: job_title?,
                manager_id: draft.manager_id,
                political_group: political_group?,
                ward: ward?,
                committees: committees?,
                responsibilities: responsibilities?,
                started_on: draft.started_on.unwrap_or(today),
            })
        })();
        errors.finish(profile)
    }

    /// The draft this profile came from, so a merge patch can be applied to it and parsed again.
    pub fn to_draft(&self) -> LearnerDraft {
        LearnerDraft {
            kind: Some(self.kind),
            given_name: self.given_name.clone(),
            family_name: self.family_name.clone(),
            email: self.email.as_str().to_owned(),
            external_ref: self.external_ref.clone(),
            department: self.department.clone(),
            job_title: self.job_title.clone(),
            manager_id: self.manager_id,
            political_group: self.political_group.clone(),
            ward: self.ward.clone(),
            committees: self.committees.clone(),
            responsibilities: self.responsibilities.clone(),
            started_on: Some(self.started_on),
        }
    }
}

/// A learner as the council keeps them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Learner {
    pub id: Uuid,
    pub profile: LearnerProfile,
    pub status: LearnerStatus,
    pub left_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Bumped by every change; the resource's ETag.
    pub version: i32,
}

impl Learner {
    /// Checks an edit against what cannot change once a learner exists.
    pub fn revise(&self, profile: LearnerProfile) -> Result<LearnerProfile, DomainError> {
        let mut errors = Errors::default();
        errors.check(
            profile.kind == self.profile.kind,
            "kind",
            "cannot change; record the person as a new learner",
        );
        errors.check(
            profile.manager_id != Some(self.id),
            "manager_id",
            "a learner cannot be their own manager",
        );
        if let Some(left_on) = self.left_on {
            errors.check(
                profile.started_on <= left_on,
                "started_on",
                "must not be after the date the learner left",
            );
        }
        errors.into_result().map(|()| profile)
    }

    /// Records that the learner has left the council (a leaver from HR, or a councillor not re-elected).
    pub fn leave(&self, left_on: NaiveDate) -> Result<(LearnerStatus, NaiveDate), DomainError> {
        if self.status == LearnerStatus::Left {
            let when = self.left_on.map(|d| format!(" on {d}")).unwrap_or_default();
            return Err(DomainError::Conflict(format!(
                "the learner has already left{when}"
            )));
        }
        if left_on < self.profile.started_on {
            return Err(DomainError::invalid(
                "left_on",
                "must not be before the learner started",
            ));
        }
        Ok((LearnerStatus::Left, left_on))
    }

    /// Brings a leaver back (a rehire the identity provider reports): their records were
    /// kept, so they carry on from them.
    pub fn rejoin(&self) -> Result<LearnerStatus, DomainError> {
        if self.status == LearnerStatus::Active {
            return Err(DomainError::Conflict("the learner has not left".into()));
        }
        Ok(LearnerStatus::Active)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    fn employee() -> LearnerDraft {
        LearnerDraft {
            kind: Some(LearnerKind::Employee),
            given_name: "Priya".into(),
            family_name: "Shah".into(),
            email: "Priya.Shah@council.gov.uk".into(),
            department: Some("Planning".into()),
            job_title: Some("Planning Officer".into()),
            ..LearnerDraft::default()
        }
    }

    fn member() -> LearnerDraft {
        LearnerDraft {
            kind: Some(LearnerKind::ElectedMember),
            given_name: "Tom".into(),
            family_name: "Evans".into(),
            email: "cllr.evans@council.gov.uk".into(),
            political_group: Some("Independent".into()),
            ward: Some("Riverside".into()),
            committees: vec!["Planning".into()],
            responsibilities: vec!["chair".into()],
            ..LearnerDraft::default()
        }
    }

    fn invalid_fields(result: Result<LearnerProfile, DomainError>) -> Vec<String> {
        match result {
            Err(DomainError::Invalid(fields)) => fields.into_iter().map(|f| f.field).collect(),
            other => panic!("expected invalid fields, got {other:?}"),
        }
    }

    #[test]
    fn a_missing_start_date_defaults_to_today() {
        let profile = LearnerProfile::parse(employee(), day(2026, 4, 1)).expect("valid employee");
        assert_eq!(profile.started_on, day(2026, 4, 1));
        assert_eq!(profile.email.as_str(), "priya.shah@council.gov.uk");
    }

    #[test]
    fn an_employee_has_no_political_group_ward_or_committees() {
        let draft = LearnerDraft {
            political_group: Some("Labour".into()),
            ward: Some("North".into()),
            committees: vec!["Planning".into()],
            ..employee()
        };
        assert_eq!(
            invalid_fields(LearnerProfile::parse(draft, day(2026, 1, 1))),
            ["political_group", "ward", "committees"]
        );
    }

    #[test]
    fn an_elected_member_has_no_manager_department_or_job_title() {
        let draft = LearnerDraft {
            manager_id: Some(Uuid::now_v7()),
            department: Some("Finance".into()),
            job_title: Some("Clerk".into()),
            ..member()
        };
        assert_eq!(
            invalid_fields(LearnerProfile::parse(draft, day(2026, 1, 1))),
            ["manager_id", "department", "job_title"]
        );
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let draft = LearnerDraft {
            kind: None,
            given_name: " ".into(),
            email: "nope".into(),
            ..LearnerDraft::default()
        };
        assert_eq!(
            invalid_fields(LearnerProfile::parse(draft, day(2026, 1, 1))),
            ["kind", "given_name", "family_name", "email"]
        );
    }

    #[test]
    fn a_profile_round_trips_through_its_draft() {
        let profile = LearnerProfile::parse(member(), day(2026, 5, 7)).expect("valid member");
        assert_eq!(
            LearnerProfile::parse(profile.to_draft(), day(2030, 1, 1)),
            Ok(profile)
        );
    }

    fn stored(profile: LearnerProfile) -> Learner {
        Learner {
            id: Uuid::now_v7(),
            profile,
            status: LearnerStatus::Active,
            left_on: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            version: 1,
        }
    }

    #[test]
    fn a_learner_cannot_change_kind_or_manage_themself() {
        let learner = stored(LearnerProfile::parse(employee(), day(2026, 1, 1)).expect("valid"));
        let mut edit = learner.profile.clone();
        edit.manager_id = Some(learner.id);
        assert!(learner.revise(edit).is_err());
        let as_member = LearnerProfile::parse(member(), day(2026, 1, 1)).expect("valid");
        assert!(learner.revise(as_member).is_err());
    }

    #[test]
    fn a_learner_leaves_once_and_not_before_starting() {
        let learner = stored(LearnerProfile::parse(employee(), day(2026, 1, 10)).expect("valid"));
        assert!(matches!(
            learner.leave(day(2026, 1, 9)),
            Err(DomainError::Invalid(_))
        ));
        assert_eq!(
            learner.leave(day(2026, 1, 10)),
            Ok((LearnerStatus::Left, day(2026, 1, 10)))
        );
        let gone = Learner {
            status: LearnerStatus::Left,
            left_on: Some(day(2026, 2, 1)),
            ..learner
        };
        assert!(matches!(
            gone.leave(day(2026, 3, 1)),
            Err(DomainError::Conflict(_))
        ));
    }

    #[test]
    fn kinds_parse_from_their_wire_names() {
        assert_eq!(
            "elected_member".parse::<LearnerKind>(),
            Ok(LearnerKind::ElectedMember)
        );
        assert!("councillor".parse::<LearnerKind>().is_err());
    }
}
