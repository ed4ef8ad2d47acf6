//! What stored statements are found by, and what the LRS knows of the agents and activities
//! they name: the Agents and Activities resources (xAPI 1.0.3 communication s2.4, s2.5).

use std::collections::{BTreeMap, HashMap};

use pathway_domain::xapi::{LearnerName, learner_keys, learner_named};
use pathway_domain::xapi_format::{self, merge_definition};
use pathway_domain::xapi_mentions::{ACTIVITY, AGENT, Mentions};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{LockType, OnConflict};
use sea_orm::{DatabaseTransaction, QueryOrder, QuerySelect};
use serde_json::{Map, Value};

use crate::sql::{IN_LIST, insert};
use crate::{StoreError, json};

use crate::entity::learners;
use crate::entity::xapi_activities as activities;
use crate::entity::xapi_agent_names as names;

/// Files new statements under what they mention, and takes their names and definitions into
/// what the LRS knows: definitions merged, the last name given kept.
pub(crate) async fn file(
    tx: &DatabaseTransaction,
    filed: &[(Uuid, Mentions)],
) -> Result<(), StoreError> {
    let rows = filed.iter().flat_map(|(id, m)| {
        let agents = m.agents.iter().map(move |a| (id, AGENT, a));
        let activities = m.activities.iter().map(move |a| (id, ACTIVITY, a));
        agents.chain(activities).map(|(id, kind, mention)| {
            vec![
                (*id).into(),
                kind.into(),
                mention.key.clone().into(),
                mention.direct.into(),
            ]
        })
    });
    insert(
        tx,
        "xapi_statement_mentions",
        &["statement_id", "kind", "key", "direct"],
        rows,
    )
    .await?;
    // Sorted and each key once: concurrent batches take the rows' locks in one order, and
    // PostgreSQL refuses an upsert that meets one key twice.
    let mut definitions: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
    let mut given: BTreeMap<&str, &str> = BTreeMap::new();
    for (_, mentions) in filed {
        for (activity, definition) in &mentions.definitions {
            merge_definition(definitions.entry(activity).or_default(), definition);
        }
        given.extend(mentions.names.iter().map(|(k, n)| (k.as_str(), n.as_str())));
    }
    if !given.is_empty() {
        names::Entity::insert_many(given.into_iter().map(|(key, name)| names::ActiveModel {
            agent_key: sea_orm::Set(key.to_owned()),
            name: sea_orm::Set(name.to_owned()),
        }))
        .on_conflict(
            OnConflict::column(names::Column::AgentKey)
                .update_column(names::Column::Name)
                .to_owned(),
        )
        .exec_without_returning(tx)
        .await?;
    }
    if definitions.is_empty() {
        return Ok(());
    }
    // Each activity gets a row first, so the merge below can lock the one another batch is
    // merging into at the same time.
    activities::Entity::insert_many(definitions.keys().map(|id| activities::ActiveModel {
        id: sea_orm::Set((*id).to_owned()),
        definition: sea_orm::Set("{}".to_owned()),
    }))
    .on_conflict_do_nothing()
    .exec_without_returning(tx)
    .await?;
    let ids: Vec<&str> = definitions.keys().copied().collect();
    for chunk in ids.chunks(IN_LIST) {
        let known = activities::Entity::find()
            .filter(activities::Column::Id.is_in(chunk.iter().copied()))
            .order_by_asc(activities::Column::Id)
            .lock(LockType::Update)
            .all(tx)
            .await?;
        for row in known {
            let mut canonical: Map<String, Value> = json::read(ACTIVITY, &row.definition)?;
            merge_definition(&mut canonical, &definitions[row.id.as_str()]);
            activities::ActiveModel {
                id: sea_orm::Set(row.id),
                definition: sea_orm::Set(json::write(&canonical)?),
            }
            .update(tx)
            .await?;
        }
    }
    Ok(())
}

/// The canonical definitions of these activities, where statements gave one.
pub async fn definitions(
    db: &impl ConnectionTrait,
    ids: &[String],
) -> Result<HashMap<String, Map<String, Value>>, StoreError> {
    let mut found = HashMap::new();
    for chunk in ids.chunks(IN_LIST) {
        for row in activities::Entity::find()
            .filter(activities::Column::Id.is_in(chunk.iter().cloned()))
            .all(db)
            .await?
        {
            let definition: Map<String, Value> = json::read(ACTIVITY, &row.definition)?;
            found.insert(row.id, definition);
        }
    }
    Ok(found)
}

/// The Activity object of this id: with its canonical definition if statements gave one,
/// and with its id alone if not (every IRI names an activity).
pub async fn activity(db: &DatabaseConnection, id: &str) -> Result<Value, StoreError> {
    let mut activity = Map::new();
    activity.insert("objectType".into(), Value::String("Activity".into()));
    activity.insert("id".into(), Value::String(id.to_owned()));
    if let Some(definition) = definitions(db, &[id.to_owned()]).await?.remove(id) {
        activity.insert("definition".into(), Value::Object(definition));
    }
    Ok(Value::Object(activity))
}

/// The Person an agent is: its own identifier and, when it names a learner (by email
/// address, or by HR reference on the council's home page), the learner's others; with the
/// names statements gave any of them.
pub async fn person(
    db: &DatabaseConnection,
    agent_key: String,
    council_home_page: Option<&str>,
) -> Result<Value, StoreError> {
    let found = match learner_named(&agent_key, council_home_page) {
        Some(LearnerName::Email(email)) => {
            learners::Entity::find()
                .filter(learners::Column::Email.eq(email))
                .one(db)
                .await?
        }
        Some(LearnerName::Reference(reference)) => {
            learners::Entity::find()
                .filter(learners::Column::ExternalRef.eq(reference))
                .one(db)
                .await?
        }
        None => None,
    };
    let mut keys = vec![agent_key];
    if let Some(learner) = found {
        keys.extend(learner_keys(
            &learner.email,
            learner.external_ref.as_deref(),
            council_home_page,
        ));
    }
    let given: Vec<String> = names::Entity::find()
        .select_only()
        .column(names::Column::Name)
        .filter(names::Column::AgentKey.is_in(keys.iter().cloned()))
        .order_by_asc(names::Column::AgentKey)
        .into_tuple()
        .all(db)
        .await?;
    Ok(xapi_format::person(&keys, &given))
}
