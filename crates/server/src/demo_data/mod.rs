//! `pathway demo-data`: a realistic catalogue, delivery history, budgets, training requests,
//! compliance requirements and the advisory panel's records taken from the strategies,
//! so a frontend team sees real-looking data. It only adds what is missing: running it twice
//! changes nothing.

mod catalogue;
mod compliance;
mod delivery;
mod governance;
mod requests;

use pathway_domain::audit::Actor;
use pathway_persistence::{DatabaseConnection, StoreError};

use crate::config::Config;

/// What a run of the loader did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Loaded {
    pub added: usize,
    pub already_there: usize,
    /// Whether this run added the delivery history (false when it was already there).
    pub history_added: bool,
    /// Whether this run added the budgets and training requests.
    pub money_added: bool,
    /// Requirements this run added.
    pub requirements_added: usize,
    /// Whether this run added the advisory panel, its meetings, an evaluation and a needs round.
    pub panel_added: bool,
}

/// Loads what is missing; the panel's municipal years and citations follow `config`.
pub async fn load(db: &DatabaseConnection, config: &Config) -> Result<Loaded, StoreError> {
    let actor = Actor {
        subject: "pathway demo-data".into(),
        request_id: None,
    };
    let (added, already_there) = catalogue::load(db, &actor).await?;
    let history_added = delivery::load(db, &actor).await?;
    let money_added = requests::load(db, &actor).await?;
    let requirements_added = compliance::load(db, &actor).await?;
    let panel_added = governance::load(
        db,
        &actor,
        config.municipal_year_start,
        config.supporters_for_panel,
    )
    .await?;
    Ok(Loaded {
        added,
        already_there,
        history_added,
        money_added,
        requirements_added,
        panel_added,
    })
}
