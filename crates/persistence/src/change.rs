//! A change in progress: the transaction it is written in, who makes it, and what it did that
//! other records depend on. Repositories write through it and say what happened as [`Fact`]s;
//! [`crate::effects`] follows them up in the same transaction before it commits, so no
//! repository needs to know who depends on its rows.

use std::sync::Mutex;

use chrono::NaiveDate;
use pathway_domain::audit::Actor;
use pathway_domain::course::Course;
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

/// Something a change did that other records depend on.
#[derive(Debug, Clone)]
pub(crate) enum Fact {
    /// A learner's completions were recorded or withdrawn.
    CompletionsChanged(Uuid),
    /// Learners joined, or their details or seats changed: what applies to them may differ.
    LearnersChanged(Vec<Uuid>),
    /// Learners can now be told apart by email or HR reference: completion statements waiting
    /// for them may match.
    LearnersIdentified(Vec<Uuid>),
    /// A learner left on this day: their places on sessions after it go to the waitlist.
    LearnerLeft { learner_id: Uuid, on: NaiveDate },
    /// A course's title or go-live day changed: the requirements on it apply anew.
    CourseChanged(Uuid),
    /// A course has a new xAPI activity id: statements waiting for it may match.
    CourseIdentified(Box<Course>),
    /// A requirement was set or changed.
    RequirementChanged(Uuid),
    /// xAPI statements stored by this change, to be numbered last, just before it commits.
    StatementsStored(Vec<Uuid>),
}

pub struct Change {
    tx: DatabaseTransaction,
    actor: Actor,
    facts: Mutex<Vec<Fact>>,
}

impl Change {
    pub(crate) fn new(tx: DatabaseTransaction, actor: Actor) -> Self {
        Self {
            tx,
            actor,
            facts: Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn tx(&self) -> &DatabaseTransaction {
        &self.tx
    }

    pub(crate) fn actor(&self) -> &Actor {
        &self.actor
    }

    pub(crate) fn record(&self, fact: Fact) {
        self.facts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(fact);
    }

    /// What the change has done, for its follow-up.
    pub(crate) fn take_facts(&self) -> Vec<Fact> {
        std::mem::take(
            &mut *self
                .facts
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    }

    pub(crate) fn into_transaction(self) -> DatabaseTransaction {
        self.tx
    }
}
