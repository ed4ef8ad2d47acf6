//! The consequences of a change, in one place: whatever a change did that other records depend
//! on is followed up here, in the same transaction, before it commits. A learner who left
//! gives up their places on sessions; learners and courses that can now be identified get the
//! completions xAPI statements were holding for them; the compliance of everyone affected is
//! worked out again; the change's xAPI statements are numbered last of all.

use std::collections::BTreeSet;

use pathway_domain::audit::Actor;
use sea_orm::DatabaseConnection;

use crate::change::{Change, Fact};
use crate::compliance::{self, Refresh};
use crate::db::begin_write;
use crate::xapi::{self, Waiting};
use crate::{StoreError, session};

/// Runs `work` as one change by `actor`: its writes, then their consequences, committed
/// together or not at all.
pub async fn write<T, E: From<StoreError>>(
    db: &DatabaseConnection,
    actor: &Actor,
    work: impl AsyncFnOnce(&Change) -> Result<T, E>,
) -> Result<T, E> {
    let change = Change::new(begin_write(db).await?, actor.clone());
    let done = work(&change).await?;
    follow_up(&change).await?;
    change
        .into_transaction()
        .commit()
        .await
        .map_err(StoreError::from)?;
    Ok(done)
}

/// Runs `work` as [`write`] would and rolls it back: what it would do, with nothing done. The
/// follow-up is left out, since it changes other records, never what `work` answers.
pub async fn rehearse<T, E: From<StoreError>>(
    db: &DatabaseConnection,
    actor: &Actor,
    work: impl AsyncFnOnce(&Change) -> Result<T, E>,
) -> Result<T, E> {
    let change = Change::new(begin_write(db).await?, actor.clone());
    let done = work(&change).await?;
    change
        .into_transaction()
        .rollback()
        .await
        .map_err(StoreError::from)?;
    Ok(done)
}

/// How many waiting statements one re-match applies at most; the next takes the rest.
const REMATCH_BATCH: u64 = 500;

/// Applies completion statements left waiting although their learner and course are known
/// (see [`Waiting::Matchable`]), as `actor`; returns how many learners gained completions.
/// Meant to run every so often in each server process: processes at once take different
/// statements.
pub async fn rematch(db: &DatabaseConnection, actor: &Actor) -> Result<usize, StoreError> {
    write(db, actor, async |change: &Change| {
        let learners =
            xapi::apply_waiting(change.tx(), Waiting::Matchable(REMATCH_BATCH), actor).await?;
        let count = learners.len();
        change.record(Fact::LearnersChanged(learners.into_iter().collect()));
        Ok::<_, StoreError>(count)
    })
    .await
}

async fn follow_up(change: &Change) -> Result<(), StoreError> {
    let (tx, actor) = (change.tx(), change.actor());
    let facts = change.take_facts();
    let mut learners = BTreeSet::new();
    let mut refreshes = Vec::new();
    let mut statements = Vec::new();
    for fact in facts {
        match fact {
            Fact::LearnerLeft { learner_id, on } => {
                session::release_places_of(tx, learner_id, on, actor).await?;
            }
            Fact::LearnersIdentified(ids) => {
                learners.extend(xapi::apply_waiting(tx, Waiting::Learners(&ids), actor).await?);
                learners.extend(ids);
            }
            Fact::CourseIdentified(course) => {
                learners.extend(xapi::apply_waiting(tx, Waiting::Course(&course), actor).await?);
            }
            Fact::CompletionsChanged(id) => {
                learners.insert(id);
            }
            Fact::LearnersChanged(ids) => learners.extend(ids),
            Fact::CourseChanged(id) => refreshes.push(Refresh::Course(id)),
            Fact::RequirementChanged(id) => refreshes.push(Refresh::Requirement(id)),
            Fact::StatementsStored(ids) => statements.extend(ids),
        }
    }
    if !learners.is_empty() {
        refreshes.push(Refresh::Learners(learners.into_iter().collect()));
    }
    for refresh in refreshes {
        compliance::refresh(tx, refresh).await?;
    }
    if !statements.is_empty() {
        xapi::number(tx, &statements).await?;
    }
    Ok(())
}
