//! Every so often, each server process applies the xAPI statements left waiting although their
//! learner and course exist: a learner created in the same instant as the batch naming them
//! commits unseen by it, and it by them, and nothing else would look again until one of them
//! changed.

use std::time::Duration;

use pathway_domain::audit::Actor;
use pathway_persistence::DatabaseConnection;
use pathway_persistence::effects;
use tokio::time::{Instant, MissedTickBehavior, interval_at};

/// Who the audit trail says recorded the completions a re-match finds.
const SUBJECT: &str = "pathway:xapi-rematch";

/// Re-matches every `period`, for as long as the process runs.
pub(crate) async fn every(db: DatabaseConnection, period: Duration) {
    let actor = Actor {
        subject: SUBJECT.into(),
        request_id: None,
    };
    let mut ticks = interval_at(Instant::now() + period, period);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match effects::rematch(&db, &actor).await {
            Ok(0) => {}
            Ok(learners) => tracing::info!(learners, "applied xAPI statements left waiting"),
            Err(error) => {
                tracing::warn!(%error, "re-matching waiting xAPI statements failed; trying again later");
            }
        }
    }
}
