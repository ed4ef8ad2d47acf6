//! Delegates' evaluations of sessions and cohort modules, and their summaries: the evidence
//! the advisory panel and the quarterly provider reviews work from.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::Errors;
use crate::{DomainError, text};

/// What is being evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Subject {
    Session(Uuid),
    Module { cohort_id: Uuid, module_id: Uuid },
}

impl Subject {
    /// Exactly one subject: a session, or a cohort's module.
    pub fn from_parts(
        session_id: Option<Uuid>,
        cohort_id: Option<Uuid>,
        module_id: Option<Uuid>,
    ) -> Result<Self, DomainError> {
        match (session_id, cohort_id, module_id) {
            (Some(session), None, None) => Ok(Self::Session(session)),
            (None, Some(cohort_id), Some(module_id)) => Ok(Self::Module {
                cohort_id,
                module_id,
            }),
            _ => Err(DomainError::invalid(
                "session_id",
                "give either a session_id, or a cohort_id with a module_id",
            )),
        }
    }

    /// One evaluation per learner per subject: this key is unique with the learner.
    pub fn key(self) -> String {
        match self {
            Self::Session(id) => format!("session:{id}"),
            Self::Module {
                cohort_id,
                module_id,
            } => format!("cohort:{cohort_id}:module:{module_id}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedbackDraft {
    pub learner_id: Uuid,
    pub subject: Subject,
    pub rating: i32,
    pub comments: Option<String>,
    pub would_recommend: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedbackDetails {
    pub learner_id: Uuid,
    pub subject: Subject,
    /// 1 (poor) to 5 (excellent).
    pub rating: i32,
    pub comments: Option<String>,
    pub would_recommend: bool,
}

impl FeedbackDetails {
    pub fn parse(draft: FeedbackDraft) -> Result<Self, DomainError> {
        let mut errors = Errors::default();
        errors.check((1..=5).contains(&draft.rating), "rating", "must be 1 to 5");
        let comments = errors.take(text::optional("comments", draft.comments.as_deref(), 4000));
        let details = comments.map(|comments| Self {
            learner_id: draft.learner_id,
            subject: draft.subject,
            rating: draft.rating,
            comments,
            would_recommend: draft.would_recommend,
        });
        errors.finish(details)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feedback {
    pub id: Uuid,
    pub details: FeedbackDetails,
    pub given_at: DateTime<Utc>,
}

/// The figures for one group of evaluations.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub key: String,
    pub count: usize,
    pub mean: f64,
    /// How many gave each rating, 1 to 5.
    pub distribution: [usize; 5],
    /// The share who would recommend it, 0 to 1.
    pub would_recommend: f64,
}

/// Groups ratings by key, in key order: count, mean, distribution and recommendation rate.
pub fn summarise<'a>(
    ratings: impl IntoIterator<Item = (String, &'a FeedbackDetails)>,
) -> Vec<Summary> {
    let mut groups: BTreeMap<String, Vec<&FeedbackDetails>> = BTreeMap::new();
    for (key, details) in ratings {
        groups.entry(key).or_default().push(details);
    }
    groups
        .into_iter()
        .map(|(key, items)| {
            let mut distribution = [0; 5];
            for item in &items {
                if let Some(slot) = usize::try_from(item.rating - 1)
                    .ok()
                    .and_then(|i| distribution.get_mut(i))
                {
                    *slot += 1;
                }
            }
            let count = items.len();
            let total: i32 = items.iter().map(|i| i.rating).sum();
            let recommending = items.iter().filter(|i| i.would_recommend).count();
            Summary {
                key,
                count,
                mean: f64::from(total) / count as f64,
                distribution,
                would_recommend: recommending as f64 / count as f64,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rated(rating: i32, recommend: bool) -> FeedbackDetails {
        FeedbackDetails {
            learner_id: Uuid::now_v7(),
            subject: Subject::Session(Uuid::now_v7()),
            rating,
            comments: None,
            would_recommend: recommend,
        }
    }

    #[test]
    fn a_subject_is_a_session_or_a_cohort_module_never_both() {
        let id = Some(Uuid::now_v7());
        assert!(Subject::from_parts(id, None, None).is_ok());
        assert!(Subject::from_parts(None, id, id).is_ok());
        assert!(Subject::from_parts(id, id, id).is_err());
        assert!(Subject::from_parts(None, id, None).is_err());
        assert!(Subject::from_parts(None, None, None).is_err());
    }

    #[test]
    fn ratings_run_from_one_to_five() {
        let draft = |rating| FeedbackDraft {
            learner_id: Uuid::now_v7(),
            subject: Subject::Session(Uuid::now_v7()),
            rating,
            comments: None,
            would_recommend: true,
        };
        assert!(FeedbackDetails::parse(draft(0)).is_err());
        assert!(FeedbackDetails::parse(draft(6)).is_err());
        assert!(FeedbackDetails::parse(draft(5)).is_ok());
    }

    #[test]
    fn summaries_count_average_and_spread_each_group() {
        let (a, b, c) = (rated(5, true), rated(3, false), rated(4, true));
        let summary = summarise([
            ("ILM".to_owned(), &a),
            ("ILM".to_owned(), &b),
            ("LGA".to_owned(), &c),
        ]);
        assert_eq!(summary.len(), 2);
        assert_eq!(
            (summary[0].key.as_str(), summary[0].count, summary[0].mean),
            ("ILM", 2, 4.0)
        );
        assert_eq!(summary[0].distribution, [0, 0, 1, 0, 1]);
        assert!((summary[0].would_recommend - 0.5).abs() < f64::EPSILON);
        assert_eq!(summary[1].distribution, [0, 0, 0, 1, 0]);
    }
}
