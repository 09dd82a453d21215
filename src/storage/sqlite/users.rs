//! Users, sessions and failed sign-ins.

use chrono::{DateTime, Utc};
use sqlx::{Row, SqlitePool, sqlite::SqliteRow};

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
         (SELECT json_group_array(state_code) FROM (SELECT state_code FROM user_states WHERE user_id = u.id ORDER BY state_code)) AS states,
         (SELECT json_group_array(language) FROM (SELECT language FROM user_languages WHERE user_id = u.id ORDER BY language)) AS languages"
    };
}

fn user_from_row(row: &SqliteRow) -> Result<User, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("user {what}"));
    let role: String = row.get("role");
    let states: Vec<StateCode> = serde_json::from_str(row.get("states")).map_err(|_| corrupt("states"))?;
    let languages: Vec<String> = serde_json::from_str(row.get("languages")).map_err(|_| corrupt("languages"))?;
    let languages =
        languages.iter().map(|l| Language::parse(l).map_err(|_| corrupt("language"))).collect::<Result<_, _>>()?;
    Ok(User {
        id: row.get("id"),
        username: row.get("username"),
        role: role.parse::<Role>().map_err(|_| corrupt("role"))?,
        states,
        languages,
        phone: row.get("phone"),
        disabled: row.get::<Option<String>, _>("disabled_at").is_some(),
    })
}

pub(super) async fn create_user(pool: &SqlitePool, user: &NewUser, at: DateTime<Utc>) -> Result<i64, StoreError> {
    // Rolled back on drop if any insert fails.
    let mut tx = pool.begin().await?;
    let inserted = sqlx::query_scalar(
        r#"INSERT INTO users (username, role, password_hash, phone, created_at) VALUES (?, ?, ?, ?, ?)
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
        sqlx::query("INSERT INTO user_states (user_id, state_code) VALUES (?, ?) ON CONFLICT DO NOTHING")
            .bind(id)
            .bind(i64::from(*state))
            .execute(&mut *tx)
            .await?;
    }
    for language in &user.languages {
        sqlx::query("INSERT INTO user_languages (user_id, language) VALUES (?, ?) ON CONFLICT DO NOTHING")
            .bind(id)
            .bind(language.as_str())
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(id)
}

pub(super) async fn users(pool: &SqlitePool) -> Result<Vec<User>, StoreError> {
    let rows =
        sqlx::query(concat!("SELECT ", user_columns!(), " FROM users u ORDER BY u.username")).fetch_all(pool).await?;
    rows.iter().map(user_from_row).collect()
}

pub(super) async fn set_user_disabled(
    pool: &SqlitePool,
    username: &str,
    disabled: bool,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let disabled_at = disabled.then_some(at);
    let updated = sqlx::query("UPDATE users SET disabled_at = ? WHERE username = ?")
        .bind(disabled_at)
        .bind(username)
        .execute(pool)
        .await?;
    if updated.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    if disabled {
        sqlx::query("DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = ?)")
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

pub(super) async fn user_with_password(
    pool: &SqlitePool,
    username: &str,
) -> Result<Option<(User, String)>, StoreError> {
    let row = sqlx::query(concat!("SELECT ", user_columns!(), ", u.password_hash FROM users u WHERE u.username = ?"))
        .bind(username)
        .fetch_optional(pool)
        .await?;
    row.map(|r| Ok((user_from_row(&r)?, r.get("password_hash")))).transpose()
}

pub(super) async fn create_session(
    pool: &SqlitePool,
    token_hash: &str,
    user_id: i64,
    csrf_token: &str,
    at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sessions WHERE expires_at <= ?").bind(at).execute(pool).await?;
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
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
    pool: &SqlitePool,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<(User, String)>, StoreError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        user_columns!(),
        ", s.csrf_token FROM sessions s JOIN users u ON u.id = s.user_id
           WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled_at IS NULL"
    ))
    .bind(token_hash)
    .bind(now)
    .fetch_optional(pool)
    .await?;
    row.map(|r| Ok((user_from_row(&r)?, r.get("csrf_token")))).transpose()
}

pub(super) async fn delete_session(pool: &SqlitePool, token_hash: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = ?").bind(token_hash).execute(pool).await?;
    Ok(())
}

pub(super) async fn login_failures(pool: &SqlitePool, key: &str) -> Result<Option<(u32, DateTime<Utc>)>, StoreError> {
    let row: Option<(i64, DateTime<Utc>)> = sqlx::query_as(sql::READ).bind(key).fetch_optional(pool).await?;
    row.map(|(count, at)| Ok((count_from(count)?, at))).transpose()
}

fn count_from(count: i64) -> Result<u32, StoreError> {
    u32::try_from(count).map_err(|_| StoreError::Corrupt(format!("sign-in attempt count {count}")))
}

pub(super) async fn admit_login_attempt(
    pool: &SqlitePool,
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

pub(super) async fn refund_login_attempt(pool: &SqlitePool, key: &str) -> Result<(), StoreError> {
    sqlx::query(sql::REFUND).bind(key).execute(pool).await?;
    Ok(())
}

pub(super) async fn clear_login_failures(
    pool: &SqlitePool,
    key: &str,
    idle_since: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(sql::CLEAR).bind(key).bind(idle_since).execute(pool).await?;
    Ok(())
}
