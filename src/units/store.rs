//! Units, their states and members.

use chrono::{DateTime, Utc};

use super::{Unit, valid_unit_name};
use crate::{
    db::{Db, StoreError, corrupt},
    domain::StateCode,
    on_db, on_tx,
};

/// The unit columns [`UnitRow`] reads, for a `units n`.
macro_rules! unit_columns {
    () => {
        "n.id, n.name, n.title,
         (SELECT string_agg(CAST(state_code AS TEXT), ',' ORDER BY state_code)
            FROM unit_states WHERE unit_id = n.id) AS states,
         (SELECT string_agg(u.username, ',' ORDER BY u.username)
            FROM unit_members m JOIN users u ON u.id = m.user_id WHERE m.unit_id = n.id) AS members"
    };
}

#[derive(sqlx::FromRow)]
struct UnitRow {
    id: i64,
    name: String,
    title: String,
    states: Option<String>,
    members: Option<String>,
}

impl UnitRow {
    fn into_unit(self) -> Result<Unit, StoreError> {
        let states = match self.states.as_deref() {
            None => Vec::new(),
            Some(list) => list
                .split(',')
                .map(|s| s.parse::<StateCode>().map_err(|_| corrupt("unit states")))
                .collect::<Result<_, _>>()?,
        };
        let members = self.members.map(|m| m.split(',').map(str::to_owned).collect()).unwrap_or_default();
        Ok(Unit { id: self.id, name: self.name, title: self.title, states, members })
    }
}

/// Units, their states and their members.
#[derive(Debug, Clone)]
pub struct UnitStore {
    db: Db,
}

impl UnitStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Adds a unit serving `states`; [`StoreError::Conflict`] if the name is
    /// taken, [`StoreError::Refused`] for a name that is not plain or a
    /// blank title.
    pub async fn create_unit(
        &self,
        name: &str,
        title: &str,
        states: &[StateCode],
        at: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        if !valid_unit_name(name) {
            return Err(StoreError::Refused("unit name: 2–32 lower-case letters, digits, `.`, `_` or `-`".into()));
        }
        let title = title.trim();
        if title.is_empty() {
            return Err(StoreError::Refused("a unit needs a title (`Bihar state unit`)".into()));
        }
        const UNIT: &str = "INSERT INTO units (name, title, created_at) VALUES ($1, $2, $3)
                            ON CONFLICT (name) DO NOTHING RETURNING id";
        const STATE: &str = "INSERT INTO unit_states (unit_id, state_code) VALUES ($1, $2) ON CONFLICT DO NOTHING";
        // Rolled back on drop if an insert fails.
        let mut tx = self.db.begin().await?;
        let id: Option<i64> = on_tx!(&mut tx, conn => {
            sqlx::query_scalar(UNIT).bind(name).bind(title).bind(at).fetch_optional(&mut **conn).await?
        });
        let Some(id) = id else { return Err(StoreError::Conflict(format!("unit `{name}`"))) };
        for state in states {
            let state = i64::from(*state);
            on_tx!(&mut tx, conn => sqlx::query(STATE).bind(id).bind(state).execute(&mut **conn).await.map(drop)?);
        }
        tx.commit().await?;
        Ok(id)
    }

    /// Makes `username` a member of the unit `unit`; true if they were not
    /// one already. [`StoreError::NotFound`] for no such unit or user.
    pub async fn add_member(&self, unit: &str, username: &str) -> Result<bool, StoreError> {
        const SQL: &str = "INSERT INTO unit_members (unit_id, user_id)
                           SELECT n.id, u.id FROM units n, users u WHERE n.name = $1 AND u.username = $2
                           ON CONFLICT DO NOTHING";
        let added = on_db!(&self.db, pool => {
            sqlx::query(SQL).bind(unit).bind(username).execute(pool).await?.rows_affected()
        });
        if added == 0 {
            self.both_exist(unit, username).await?;
        }
        Ok(added > 0)
    }

    /// Ends `username`'s membership of `unit`; true if they were a member.
    pub async fn remove_member(&self, unit: &str, username: &str) -> Result<bool, StoreError> {
        const SQL: &str = "DELETE FROM unit_members
                           WHERE unit_id = (SELECT id FROM units WHERE name = $1)
                             AND user_id = (SELECT id FROM users WHERE username = $2)";
        let removed = on_db!(&self.db, pool => {
            sqlx::query(SQL).bind(unit).bind(username).execute(pool).await?.rows_affected()
        });
        if removed == 0 {
            self.both_exist(unit, username).await?;
        }
        Ok(removed > 0)
    }

    /// [`StoreError::NotFound`] unless the unit and the user both exist.
    async fn both_exist(&self, unit: &str, username: &str) -> Result<(), StoreError> {
        const SQL: &str =
            "SELECT (SELECT count(*) FROM units WHERE name = $1) + (SELECT count(*) FROM users WHERE username = $2)";
        let found: i64 =
            on_db!(&self.db, pool => sqlx::query_scalar(SQL).bind(unit).bind(username).fetch_one(pool).await?);
        if found == 2 { Ok(()) } else { Err(StoreError::NotFound) }
    }

    /// Every unit, by name.
    pub async fn units(&self) -> Result<Vec<Unit>, StoreError> {
        const SQL: &str = concat!("SELECT ", unit_columns!(), " FROM units n ORDER BY n.name");
        let rows: Vec<UnitRow> = on_db!(&self.db, pool => sqlx::query_as(SQL).fetch_all(pool).await?);
        rows.into_iter().map(UnitRow::into_unit).collect()
    }

    /// The units a user is a member of, by name.
    pub async fn units_of(&self, user_id: i64) -> Result<Vec<Unit>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            unit_columns!(),
            " FROM units n JOIN unit_members me ON me.unit_id = n.id WHERE me.user_id = $1 ORDER BY n.name"
        );
        let rows: Vec<UnitRow> = on_db!(&self.db, pool => sqlx::query_as(SQL).bind(user_id).fetch_all(pool).await?);
        rows.into_iter().map(UnitRow::into_unit).collect()
    }

    /// Hands a case to another unit ([`super::handover::hand_over`]).
    pub async fn hand_over(
        &self,
        by: &crate::auth::User,
        id: i64,
        to: &str,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<super::HandOver, StoreError> {
        super::handover::hand_over(&self.db, by, id, to, note, now).await
    }

    /// A case's hand-overs, oldest first ([`super::handover::history`]).
    pub async fn handovers(&self, case_id: i64) -> Result<Vec<super::Handover>, StoreError> {
        super::handover::history(&self.db, case_id).await
    }

    /// Hand-overs to or from the user's units ([`super::handover::handed`]).
    pub async fn handed(
        &self,
        user_id: i64,
        all: bool,
        to: bool,
        limit: i64,
    ) -> Result<Vec<super::HandedCase>, StoreError> {
        super::handover::handed(&self.db, user_id, all, to, limit).await
    }

    /// The unit named `name`, if any.
    pub async fn unit(&self, name: &str) -> Result<Option<Unit>, StoreError> {
        const SQL: &str = concat!("SELECT ", unit_columns!(), " FROM units n WHERE n.name = $1");
        let row: Option<UnitRow> = on_db!(&self.db, pool => sqlx::query_as(SQL).bind(name).fetch_optional(pool).await?);
        row.map(UnitRow::into_unit).transpose()
    }
}
