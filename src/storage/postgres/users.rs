//! Users, sessions and failed sign-ins (PostgreSQL).

use chrono::{DateTime, Utc};
use sqlx::{PgPool, Row, postgres::PgRow};

use crate::{
    auth::{NewUser, Role, User},
    directory::StateCode,
    domain::Language,
    storage::{AttemptLimit, StoreError, login_attempts as sql},
};

/// The user columns [`user_from_row`] reads, with states and languages as
/// JSON arrays; a macro so queries stay static strings.
macro_rules! user_columns {
    () => {
        "u.id, u.username, u.role, u.phone, u.disabled_at,
         coalesce((SELECT array_agg(state_code ORDER BY state_code) FROM user_states WHERE user_id = u.id), '{}') AS states,
         coalesce((SELECT array_agg(language ORDER BY language) FROM user_languages WHERE user_id = u.id), '{}') AS languages"
    };
}

fn user_from_row(row: &PgRow) -> Result<User, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("user {what}"));
    let role: String = row.get("role");
    let states: Vec<i64> = row.try_get("states")?;
    let states =
        states.into_iter().map(|s| StateCode::try_from(s).map_err(|_| corrupt("states"))).collect::<Result<_, _>>()?;
    let languages: Vec<String> = row.try_get("languages")?;
    let languages =
        languages.iter().map(|l| Language::parse(l).map_err(|_| corrupt("language"))).collect::<Result<_, _>>()?;
    Ok(User {
        id: row.get("id"),
        username: row.get("username"),
        role: role.parse::<Role>().map_err(|_| corrupt("role"))?,
        states,
        languages,
        phone: row.get("phone"),
        disabled: row.get::<Option<DateTime<Utc>>, _>("disabled_at").is_some(),
    })
}

pub(super) async fn create_user(pool: &PgPool, user: &NewUser, at: DateTime<Utc>) -> Result<i64, StoreError> {
    // Rolled back on drop if any insert fails.
    let mut tx = pool.begin().await?;
    let inserted = sqlx::query_scalar(
        r#"INSERT INTO users (username, role, password_hash, phone, created_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (username) DO NOTHING RETURNING id"#,
    )
    .bind(&user.username)
    .bind(user.role.as_str())
    .bind(&user.password_hash)
    .bind(&user.phone)
    .bind(at)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(id) = inserted else { return Err(StoreError::Conflict(format!("user `{}`", user.username))) };
    for state in &user.states {
        sqlx::query("INSERT INTO user_states (user_id, state_code) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(id)
            .bind(i64::from(*state))
            .execute(&mut *tx)
            .await?;
    }
    for language in &user.languages {
        sqlx::query("INSERT INTO user_languages (user_id, language) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(id)
            .bind(language.as_str())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(id)
}

pub(super) async fn users(pool: &PgPool) -> Result<Vec<User>, StoreError> {
    let rows =
        sqlx::query(concat!("SELECT ", user_columns!(), " FROM users u ORDER BY u.username")).fetch_all(pool).await?;
    rows.iter().map(user_from_row).collect()
}

pub(super) async fn set_user_disabled(
    pool: &PgPool,
    username: &str,
    disabled: bool,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let disabled_at = disabled.then_some(at);
    let updated = sqlx::query("UPDATE users SET disabled_at = $1 WHERE username = $2")
        .bind(disabled_at)
        .bind(username)
        .execute(pool)
        .await?;
    if updated.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    if disabled {
        sqlx::query("DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = $1)")
            .bind(username)
            .execute(pool)
            .await?;
        // The case they held goes back to the queue at once, not when the
        // lease runs out.
        sqlx::query(
            "UPDATE cases SET claimed_by = NULL, lease_expires_at = NULL
             WHERE claimed_by = (SELECT id FROM users WHERE username = $1)",
        )
        .bind(username)
        .execute(pool)
        .await?;
    }
    Ok(())
}

pub(super) async fn user_with_password(pool: &PgPool, username: &str) -> Result<Option<(User, String)>, StoreError> {
    let row = sqlx::query(concat!("SELECT ", user_columns!(), ", u.password_hash FROM users u WHERE u.username = $1"))
        .bind(username)
        .fetch_optional(pool)
        .await?;
    row.map(|r| Ok((user_from_row(&r)?, r.get("password_hash")))).transpose()
}

pub(super) async fn create_session(
    pool: &PgPool,
    token_hash: &str,
    user_id: i64,
    csrf_token: &str,
    at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(at).execute(pool).await?;
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(csrf_token)
    .bind(at)
    .bind(expires_at)
    .execute(pool)
    .await?;
    Ok(())
}

pub(super) async fn session(
    pool: &PgPool,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<(User, String)>, StoreError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        user_columns!(),
        ", s.csrf_token FROM sessions s JOIN users u ON u.id = s.user_id
           WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled_at IS NULL"
    ))
    .bind(token_hash)
    .bind(now)
    .fetch_optional(pool)
    .await?;
    row.map(|r| Ok((user_from_row(&r)?, r.get("csrf_token")))).transpose()
}

pub(super) async fn delete_session(pool: &PgPool, token_hash: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(pool).await?;
    Ok(())
}

pub(super) async fn login_failures(pool: &PgPool, key: &str) -> Result<Option<(u32, DateTime<Utc>)>, StoreError> {
    let row: Option<(i64, DateTime<Utc>)> = sqlx::query_as(sql::READ).bind(key).fetch_optional(pool).await?;
    row.map(|(count, at)| Ok((count_from(count)?, at))).transpose()
}

fn count_from(count: i64) -> Result<u32, StoreError> {
    u32::try_from(count).map_err(|_| StoreError::Corrupt(format!("sign-in attempt count {count}")))
}

pub(super) async fn admit_login_attempt(
    pool: &PgPool,
    key: &str,
    at: DateTime<Utc>,
    limit: &AttemptLimit,
) -> Result<Option<u32>, StoreError> {
    let mut query =
        sqlx::query_scalar(sql::ADMIT).bind(key).bind(at).bind(limit.forget_before).bind(i64::from(limit.free));
    for cutoff in limit.cutoffs {
        query = query.bind(cutoff);
    }
    let count: Option<i64> = query.fetch_optional(pool).await?;
    count.map(count_from).transpose()
}

pub(super) async fn refund_login_attempt(pool: &PgPool, key: &str) -> Result<(), StoreError> {
    sqlx::query(sql::REFUND).bind(key).execute(pool).await?;
    Ok(())
}

pub(super) async fn clear_login_failures(
    pool: &PgPool,
    key: &str,
    idle_since: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(sql::CLEAR).bind(key).bind(idle_since).execute(pool).await?;
    Ok(())
}
