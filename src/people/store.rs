//! The people store: recording what a source gives (inside the caller's
//! transaction, so an import's batch or a case's sync is all or nothing),
//! reading a person with their facts, settling a conflict. One SQL text for
//! both backends; field columns are named from [`Field::column`], never
//! from input.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{ColumnKind, Field, Given, Source, SourceKind, Standing, standing};
use crate::{
    db::{Db, StoreError, Tx, corrupt},
    on_db, on_tx,
};

/// The `people` columns [`Person`] reads; a macro so queries stay static strings.
macro_rules! person_columns {
    () => {
        "id, phone, name, language, home_state_code, home_district_code, village, ward, post_office, pin_code, \
         current_location, need, consent, unit_id, open_conflicts, created_at, updated_at, other_phone"
    };
}

/// One worker, with their current values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Person {
    pub id: i64,
    pub phone: Option<String>,
    pub name: Option<String>,
    pub language: Option<String>,
    pub home_state_code: Option<i64>,
    pub home_district_code: Option<i64>,
    pub village: Option<String>,
    pub ward: Option<String>,
    pub post_office: Option<String>,
    pub pin_code: Option<String>,
    pub other_phone: Option<String>,
    pub current_location: Option<String>,
    pub need: Option<String>,
    pub consent: Option<bool>,
    pub unit_id: Option<i64>,
    pub open_conflicts: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Person {
    /// The person's value for `field`, as facts hold values.
    pub fn value(&self, field: Field) -> Option<String> {
        let text = |v: &Option<String>| v.clone();
        match field {
            Field::Name => text(&self.name),
            Field::Language => text(&self.language),
            Field::HomeState => self.home_state_code.map(|c| c.to_string()),
            Field::HomeDistrict => self.home_district_code.map(|c| c.to_string()),
            Field::Village => text(&self.village),
            Field::Ward => text(&self.ward),
            Field::PostOffice => text(&self.post_office),
            Field::Pin => text(&self.pin_code),
            Field::OtherPhone => text(&self.other_phone),
            Field::CurrentLocation => text(&self.current_location),
            Field::Need => text(&self.need),
            Field::Consent => self.consent.map(|c| if c { "yes" } else { "no" }.to_owned()),
        }
    }
}

/// One value a source gave a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fact {
    pub field: Field,
    pub value: String,
    pub source_kind: SourceKind,
    pub source: String,
    pub unit_id: Option<i64>,
    pub given_by: Option<String>,
    pub given_at: DateTime<Utc>,
    pub standing: Standing,
}

#[derive(sqlx::FromRow)]
struct FactRow {
    field: String,
    value: String,
    source_kind: String,
    source: String,
    unit_id: Option<i64>,
    given_by: Option<String>,
    given_at: DateTime<Utc>,
    standing: String,
}

impl FactRow {
    fn fact(self) -> Result<Fact, StoreError> {
        Ok(Fact {
            field: Field::from_column(&self.field).ok_or_else(|| corrupt("fact field"))?,
            value: self.value,
            source_kind: SourceKind::parse(&self.source_kind).ok_or_else(|| corrupt("fact source"))?,
            source: self.source,
            unit_id: self.unit_id,
            given_by: self.given_by,
            given_at: self.given_at,
            standing: Standing::parse(&self.standing).ok_or_else(|| corrupt("fact standing"))?,
        })
    }
}

/// What recording a source's values did to the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// A person the database did not hold.
    New { id: i64 },
    /// A person it held: `added` new facts, `conflicts` of them differing
    /// from the person's values (0 and 0: it knew all of it already).
    Matched { id: i64, added: u32, conflicts: u32 },
}

impl Recorded {
    pub fn id(self) -> i64 {
        match self {
            Self::New { id } | Self::Matched { id, .. } => id,
        }
    }
}

/// People and their facts.
#[derive(Debug, Clone)]
pub struct PeopleStore {
    db: Db,
}

impl PeopleStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// The database the store writes to (an import runs its batches on it).
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// A person and every fact given of them, oldest first.
    pub async fn person(&self, id: i64) -> Result<Option<(Person, Vec<Fact>)>, StoreError> {
        const SQL: &str = concat!("SELECT ", person_columns!(), " FROM people WHERE id = $1");
        const FACTS: &str = "SELECT field, value, source_kind, source, unit_id, given_by, given_at, standing
                             FROM person_facts WHERE person_id = $1 ORDER BY given_at, id";
        let person: Option<Person> = on_db!(&self.db, pool => sqlx::query_as(SQL).bind(id).fetch_optional(pool).await?);
        let Some(person) = person else { return Ok(None) };
        let rows: Vec<FactRow> = on_db!(&self.db, pool => sqlx::query_as(FACTS).bind(id).fetch_all(pool).await?);
        let facts = rows.into_iter().map(FactRow::fact).collect::<Result<_, _>>()?;
        Ok(Some((person, facts)))
    }

    /// The person with this E.164 number, if the database holds one.
    pub async fn by_phone(&self, phone: &str) -> Result<Option<Person>, StoreError> {
        const SQL: &str = concat!("SELECT ", person_columns!(), " FROM people WHERE phone = $1");
        Ok(on_db!(&self.db, pool => sqlx::query_as(SQL).bind(phone).fetch_optional(pool).await?))
    }

    /// The person case `case_id` belongs to, once the sync has linked it.
    pub async fn person_of_case(&self, case_id: i64) -> Result<Option<Person>, StoreError> {
        const SQL: &str = concat!(
            "SELECT ",
            person_columns!(),
            " FROM people WHERE id = (SELECT person_id FROM cases WHERE id = $1)"
        );
        Ok(on_db!(&self.db, pool => sqlx::query_as(SQL).bind(case_id).fetch_optional(pool).await?))
    }

    /// How many people the database holds.
    pub async fn count(&self) -> Result<i64, StoreError> {
        Ok(on_db!(&self.db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM people").fetch_one(pool).await?))
    }

    /// Records `given` from `source` in its own transaction.
    pub async fn record(&self, given: &Given, source: &Source) -> Result<Recorded, StoreError> {
        let mut tx = self.db.begin().await?;
        let recorded = record(&mut tx, given, source).await?;
        tx.commit().await?;
        Ok(recorded)
    }
}

/// Finds the person `given` is of — by number; without one, a person
/// without a number of the same name, district and village — and records
/// its values as facts by the module's rules.
pub(crate) async fn record(tx: &mut Tx<'_>, given: &Given, source: &Source) -> Result<Recorded, StoreError> {
    record_into(tx, None, given, source).await
}

/// As [`record`], into person `known` when the source already belongs to
/// one (a case linked to its person).
pub(crate) async fn record_into(
    tx: &mut Tx<'_>,
    known: Option<i64>,
    given: &Given,
    source: &Source,
) -> Result<Recorded, StoreError> {
    let person = match known {
        Some(id) => on_tx!(tx, conn, d => {
            const SQL: &str = concat!("SELECT ", person_columns!(), " FROM people WHERE id = $1", d::for_update!());
            sqlx::query_as(SQL).bind(id).fetch_optional(&mut **conn).await?
        }),
        None => find(tx, given).await?,
    };
    let Some(person) = person else {
        let id = insert(tx, given, source).await?;
        add_first_facts(tx, id, &given.values, source).await?;
        return Ok(Recorded::New { id });
    };
    let (mut added, mut conflicts) = (0, 0);
    for (field, value) in &given.values {
        let current = person.value(*field);
        let standing = standing(current.as_deref(), value);
        if !add_fact(tx, person.id, *field, value, source, standing).await? {
            continue;
        }
        added += 1;
        match standing {
            Standing::Conflict => conflicts += 1,
            _ if current.is_none() => set_value(tx, person.id, *field, value, source.at).await?,
            _ => {}
        }
    }
    if conflicts > 0 {
        count_conflicts(tx, person.id).await?;
    }
    Ok(Recorded::Matched { id: person.id, added, conflicts })
}

async fn find(tx: &mut Tx<'_>, given: &Given) -> Result<Option<Person>, StoreError> {
    if let Some(phone) = &given.phone {
        return on_tx!(tx, conn, d => {
            const SQL: &str = concat!("SELECT ", person_columns!(), " FROM people WHERE phone = $1", d::for_update!());
            Ok(sqlx::query_as(SQL).bind(phone.as_e164()).fetch_optional(&mut **conn).await?)
        });
    }
    let (Some(name), Some(district)) = (given.get(Field::Name), given.get(Field::HomeDistrict)) else {
        return Ok(None);
    };
    let district: i64 = district.parse().map_err(|_| corrupt("district code"))?;
    let village = given.get(Field::Village).unwrap_or("");
    const SQL: &str = concat!(
        "SELECT ",
        person_columns!(),
        " FROM people WHERE phone IS NULL AND name = $1 AND home_district_code = $2
         AND COALESCE(village, '') = $3 ORDER BY id LIMIT 1"
    );
    Ok(on_tx!(tx, conn => sqlx::query_as(SQL).bind(name).bind(district).bind(village)
        .fetch_optional(&mut **conn).await?))
}

async fn insert(tx: &mut Tx<'_>, given: &Given, source: &Source) -> Result<i64, StoreError> {
    const SQL: &str = "INSERT INTO people (phone, name, language, home_state_code, home_district_code, village, ward,
            post_office, pin_code, current_location, need, consent, unit_id, open_conflicts, created_at, updated_at,
            other_phone)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 0, $14, $14, $15) RETURNING id";
    let text = |field| given.get(field);
    let code = |field| given.get(field).and_then(|v| v.parse::<i64>().ok());
    let phone = given.phone.as_ref().map(|p| p.as_e164());
    let consent = given.get(Field::Consent).map(|c| c == "yes");
    Ok(on_tx!(tx, conn => sqlx::query_scalar(SQL)
        .bind(phone)
        .bind(text(Field::Name))
        .bind(text(Field::Language))
        .bind(code(Field::HomeState))
        .bind(code(Field::HomeDistrict))
        .bind(text(Field::Village))
        .bind(text(Field::Ward))
        .bind(text(Field::PostOffice))
        .bind(text(Field::Pin))
        .bind(text(Field::CurrentLocation))
        .bind(text(Field::Need))
        .bind(consent)
        .bind(source.unit_id)
        .bind(source.at)
        .bind(text(Field::OtherPhone))
        .fetch_one(&mut **conn)
        .await?))
}

/// A new person's facts, all held, in one statement (an import writes
/// mostly new people: one statement a row, not one a value).
async fn add_first_facts(
    tx: &mut Tx<'_>,
    person: i64,
    values: &[(Field, String)],
    source: &Source,
) -> Result<(), StoreError> {
    if values.is_empty() {
        return Ok(());
    }
    // Only placeholders are made here: no value enters the text.
    let rows: Vec<String> = (0..values.len())
        .map(|i| {
            let p = 7 + 2 * i;
            format!("($1, ${p}, ${}, $2, $3, $4, $5, $6, 'held')", p + 1)
        })
        .collect();
    let sql = format!(
        "INSERT INTO person_facts (person_id, field, value, source_kind, source, unit_id, given_by, given_at, standing)
         VALUES {} ON CONFLICT (person_id, field, value, source_kind, source) DO NOTHING",
        rows.join(", ")
    );
    on_tx!(tx, conn => {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(person)
            .bind(source.kind.as_str())
            .bind(&source.name)
            .bind(source.unit_id)
            .bind(source.by.as_deref())
            .bind(source.at);
        for (field, value) in values {
            query = query.bind(field.column()).bind(value);
        }
        query.execute(&mut **conn).await.map(drop)?
    });
    Ok(())
}

/// Adds a fact unless the same source gave the same value before: whether
/// it was new.
async fn add_fact(
    tx: &mut Tx<'_>,
    person: i64,
    field: Field,
    value: &str,
    source: &Source,
    standing: Standing,
) -> Result<bool, StoreError> {
    const SQL: &str = "INSERT INTO person_facts
            (person_id, field, value, source_kind, source, unit_id, given_by, given_at, standing)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (person_id, field, value, source_kind, source) DO NOTHING";
    let done = on_tx!(tx, conn => sqlx::query(SQL)
        .bind(person)
        .bind(field.column())
        .bind(value)
        .bind(source.kind.as_str())
        .bind(&source.name)
        .bind(source.unit_id)
        .bind(source.by.as_deref())
        .bind(source.at)
        .bind(standing.as_str())
        .execute(&mut **conn)
        .await?
        .rows_affected());
    Ok(done == 1)
}

/// Gives person `id` the value for `field`.
pub(super) async fn set_value(
    tx: &mut Tx<'_>,
    id: i64,
    field: Field,
    value: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let sql = format!("UPDATE people SET {} = $1, updated_at = $2 WHERE id = $3", field.column());
    on_tx!(tx, conn => {
        // The column is one of `Field::column`'s names, never input.
        let query = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
        let query = match field.kind() {
            ColumnKind::Text => query.bind(Some(value.to_owned())),
            ColumnKind::Code => query.bind(value.parse::<i64>().map_err(|_| corrupt("a code value"))?),
            ColumnKind::Flag => query.bind(value == "yes"),
        };
        query.bind(at).bind(id).execute(&mut **conn).await.map(drop)?
    });
    Ok(())
}

pub(super) async fn count_conflicts(tx: &mut Tx<'_>, id: i64) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE people SET open_conflicts =
        (SELECT COUNT(*) FROM person_facts WHERE person_id = $1 AND standing = 'conflict') WHERE id = $1";
    on_tx!(tx, conn => sqlx::query(SQL).bind(id).execute(&mut **conn).await.map(drop)?);
    Ok(())
}
