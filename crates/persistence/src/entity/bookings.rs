use pathway_domain::session::{Attendance, BookingStatus};
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bookings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub session_id: Uuid,
    pub learner_id: Uuid,
    pub status: BookingStatus,
    pub attendance: Option<Attendance>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

super::unrelated!();
