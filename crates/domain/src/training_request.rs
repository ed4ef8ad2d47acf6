//! The training request pro-forma managed by Members Services, and its workflow.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::budget::{self, Movement};
use crate::course::Pillar;
use crate::error::Errors;
use crate::{DomainError, text, vocabulary};

vocabulary!(
    /// `one_off`: external training such as an LGA event; `additional`: training several
    /// learners want that the offer lacks.
    RequestKind { OneOff => "one_off", Additional => "additional" }
);

vocabulary!(
    RequestStatus {
        Draft => "draft",
        Submitted => "submitted",
        Approved => "approved",
        Rejected => "rejected",
        Withdrawn => "withdrawn",
        Booked => "booked",
        Completed => "completed",
        Cancelled => "cancelled",
    }
);

vocabulary!(
    /// What can be done to a request; each is an endpoint of its own.
    RequestAction {
        Submit => "submit",
        Approve => "approve",
        Reject => "reject",
        Withdraw => "withdraw",
        Book => "book",
        Complete => "complete",
        Cancel => "cancel",
    }
);

impl RequestStatus {
    /// The workflow: draft -> submitted -> approved | rejected | withdrawn;
    /// approved -> booked -> completed | cancelled; approved -> cancelled.
    fn next(self, action: RequestAction) -> Option<RequestStatus> {
        use RequestAction as A;
        use RequestStatus as S;
        match (self, action) {
            (S::Draft, A::Submit) => Some(S::Submitted),
            (S::Submitted, A::Approve) => Some(S::Approved),
            (S::Submitted, A::Reject) => Some(S::Rejected),
            (S::Submitted, A::Withdraw) => Some(S::Withdrawn),
            (S::Approved, A::Book) => Some(S::Booked),
            (S::Approved | S::Booked, A::Cancel) => Some(S::Cancelled),
            (S::Booked, A::Complete) => Some(S::Completed),
            _ => None,
        }
    }

    /// The actions this status allows, in workflow order.
    pub fn allowed(self) -> Vec<RequestAction> {
        RequestAction::ALL
            .iter()
            .copied()
            .filter(|a| self.next(*a).is_some())
            .collect()
    }

    /// Applies an action, or says which actions the current status allows.
    pub fn apply(self, action: RequestAction) -> Result<RequestStatus, DomainError> {
        self.next(action).ok_or_else(|| {
            let allowed = self.allowed();
            let options = if allowed.is_empty() {
                "nothing more can be done to it".to_owned()
            } else {
                format!(
                    "from {self} it can only {}",
                    allowed
                        .iter()
                        .map(|a| a.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            DomainError::Conflict(format!(
                "cannot {action} a {self} training request; {options}"
            ))
        })
    }

    /// What a request in this status holds against its pillar's budget: approved and booked
    /// requests commit their estimate; a completed one has spent its actual cost.
    pub fn movement(self, estimated_pence: i64, actual_pence: Option<i64>) -> Option<Movement> {
        match self {
            RequestStatus::Approved | RequestStatus::Booked => {
                Some(Movement::Committed(estimated_pence))
            }
            RequestStatus::Completed => {
                Some(Movement::Spent(actual_pence.unwrap_or(estimated_pence)))
            }
            _ => None,
        }
    }
}

/// The pro-forma as a learner filled it in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestDraft {
    pub kind: RequestKind,
    pub title: String,
    pub provider: String,
    pub justification: String,
    pub development_need: String,
    pub course_id: Option<Uuid>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub estimated_cost_pence: i64,
    pub pillar: Pillar,
}

/// The pro-forma once every rule holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestDetails {
    pub kind: RequestKind,
    pub title: String,
    pub provider: String,
    /// Why the training is needed.
    pub justification: String,
    /// The development need it meets.
    pub development_need: String,
    pub course_id: Option<Uuid>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub estimated_cost_pence: i64,
    /// The pillar whose budget pays.
    pub pillar: Pillar,
}

impl RequestDetails {
    pub fn parse(draft: RequestDraft) -> Result<Self, DomainError> {
        let mut errors = Errors::default();
        let title = errors.take(text::required("title", &draft.title, 200));
        let provider = errors.take(text::required("provider", &draft.provider, 200));
        let justification =
            errors.take(text::required("justification", &draft.justification, 4000));
        let development_need = errors.take(text::required(
            "development_need",
            &draft.development_need,
            4000,
        ));
        errors.check(
            draft.ends_on >= draft.starts_on,
            "ends_on",
            "must not be before starts_on",
        );
        errors.check(
            budget::is_amount(draft.estimated_cost_pence),
            "estimated_cost_pence",
            budget::AMOUNT_RULE,
        );
        let details = (|| {
            Some(Self {
                kind: draft.kind,
                title: title?,
                provider: provider?,
                justification: justification?,
                development_need: development_need?,
                course_id: draft.course_id,
                starts_on: draft.starts_on,
                ends_on: draft.ends_on,
                estimated_cost_pence: draft.estimated_cost_pence,
                pillar: draft.pillar,
            })
        })();
        errors.finish(details)
    }
}

/// One step of a request's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub from: Option<RequestStatus>,
    pub to: RequestStatus,
    pub actor: String,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingRequest {
    pub id: Uuid,
    pub requester_id: Uuid,
    pub details: RequestDetails,
    pub status: RequestStatus,
    pub actual_cost_pence: Option<i64>,
    /// Recorded when an admin approved beyond the budget.
    pub override_reason: Option<String>,
    pub supporters: Vec<Uuid>,
    pub history: Vec<Transition>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TrainingRequest {
    /// Whether enough learners have co-signed an additional request for the panel to consider it.
    pub fn ready_for_panel(&self, threshold: usize) -> bool {
        self.details.kind == RequestKind::Additional && self.supporters.len() >= threshold
    }

    /// Another learner co-signs an additional request, once, while it is open.
    pub fn support(&self, learner_id: Uuid) -> Result<(), DomainError> {
        if self.details.kind != RequestKind::Additional {
            return Err(DomainError::Conflict(
                "only additional requests gather supporters".into(),
            ));
        }
        if learner_id == self.requester_id {
            return Err(DomainError::invalid(
                "learner_id",
                "the requester already asks for it",
            ));
        }
        if self.supporters.contains(&learner_id) {
            return Err(DomainError::Conflict(
                "the learner already supports this request".into(),
            ));
        }
        if !matches!(self.status, RequestStatus::Draft | RequestStatus::Submitted) {
            return Err(DomainError::Conflict(format!(
                "a {} request takes no more supporters",
                self.status
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RequestAction as A;
    use RequestStatus as S;

    #[test]
    fn every_legal_transition_of_the_workflow() {
        let legal = [
            (S::Draft, A::Submit, S::Submitted),
            (S::Submitted, A::Approve, S::Approved),
            (S::Submitted, A::Reject, S::Rejected),
            (S::Submitted, A::Withdraw, S::Withdrawn),
            (S::Approved, A::Book, S::Booked),
            (S::Approved, A::Cancel, S::Cancelled),
            (S::Booked, A::Complete, S::Completed),
            (S::Booked, A::Cancel, S::Cancelled),
        ];
        for (from, action, to) in legal {
            assert_eq!(from.apply(action), Ok(to), "{from} --{action}-->");
        }
        let illegal = S::ALL
            .iter()
            .flat_map(|s| A::ALL.iter().map(move |a| (*s, *a)))
            .filter(|(s, a)| !legal.iter().any(|(f, b, _)| f == s && b == a));
        for (from, action) in illegal {
            assert!(
                matches!(from.apply(action), Err(DomainError::Conflict(_))),
                "{from} --{action}--> should be refused"
            );
        }
    }

    #[test]
    fn a_refusal_says_what_the_status_allows() {
        let Err(DomainError::Conflict(why)) = S::Draft.apply(A::Approve) else {
            panic!("refused")
        };
        assert_eq!(
            why,
            "cannot approve a draft training request; from draft it can only submit"
        );
        let Err(DomainError::Conflict(why)) = S::Completed.apply(A::Cancel) else {
            panic!("refused")
        };
        assert!(why.ends_with("nothing more can be done to it"), "{why}");
        assert_eq!(S::Booked.allowed(), [A::Complete, A::Cancel]);
    }

    #[test]
    fn approved_and_booked_requests_commit_their_estimate_and_completed_ones_spend_their_actual_cost()
     {
        let held: Vec<_> = S::ALL
            .iter()
            .filter_map(|s| s.movement(100, Some(90)).map(|m| (*s, m)))
            .collect();
        assert_eq!(
            held,
            [
                (S::Approved, Movement::Committed(100)),
                (S::Booked, Movement::Committed(100)),
                (S::Completed, Movement::Spent(90))
            ]
        );
    }

    fn request(kind: RequestKind) -> TrainingRequest {
        let draft = RequestDraft {
            kind,
            title: "Planning law update".into(),
            provider: "LGA".into(),
            justification: "New national policy framework".into(),
            development_need: "Understanding of the changes".into(),
            course_id: None,
            starts_on: NaiveDate::from_ymd_opt(2026, 5, 1).expect("a date"),
            ends_on: NaiveDate::from_ymd_opt(2026, 5, 1).expect("a date"),
            estimated_cost_pence: 25_000,
            pillar: Pillar::Professional,
        };
        TrainingRequest {
            id: Uuid::now_v7(),
            requester_id: Uuid::now_v7(),
            details: RequestDetails::parse(draft).expect("valid"),
            status: S::Submitted,
            actual_cost_pence: None,
            override_reason: None,
            supporters: vec![],
            history: vec![],
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn supporters_co_sign_additional_requests_once_and_never_their_own() {
        let mut r = request(RequestKind::Additional);
        let supporter = Uuid::now_v7();
        assert!(r.support(supporter).is_ok());
        r.supporters.push(supporter);
        assert!(r.support(supporter).is_err());
        assert!(r.support(r.requester_id).is_err());
        assert!(request(RequestKind::OneOff).support(supporter).is_err());
        r.supporters.extend([Uuid::now_v7(), Uuid::now_v7()]);
        assert!(r.ready_for_panel(3));
        assert!(!r.ready_for_panel(4));
    }

    #[test]
    fn a_request_ends_after_it_starts_and_costs_nothing_negative() {
        let mut draft = RequestDraft {
            kind: RequestKind::OneOff,
            title: "LGA event".into(),
            provider: "LGA".into(),
            justification: "x".into(),
            development_need: "y".into(),
            course_id: None,
            starts_on: NaiveDate::from_ymd_opt(2026, 5, 2).expect("a date"),
            ends_on: NaiveDate::from_ymd_opt(2026, 5, 1).expect("a date"),
            estimated_cost_pence: -1,
            pillar: Pillar::Professional,
        };
        let Err(DomainError::Invalid(fields)) = RequestDetails::parse(draft.clone()) else {
            panic!("invalid")
        };
        assert_eq!(
            fields.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(),
            ["ends_on", "estimated_cost_pence"]
        );
        draft.ends_on = draft.starts_on;
        draft.estimated_cost_pence = 0;
        assert!(RequestDetails::parse(draft).is_ok());
    }
}
