//! The disk fills up mid-call, then space is freed: what must not be lost
//! is every webhook answered with normal TwiML (it is on disk after a
//! restart) and every caller who heard "we have your number" (queued exactly
//! once), and nothing may wait for a restart to work again.
//!
//! SQLite: `PRAGMA max_page_count` makes `SQLITE_FULL` on demand, and SQLite
//! rolls the transaction back by itself, as on a real full disk.
//! PostgreSQL: a trigger raises `disk_full` (SQLSTATE 53100) inside the
//! turn's transaction, as a full tablespace would.

use std::sync::Arc;

use sampark::db::PageLimit;

use super::{
    helpers::{Options, TestApp, TestDatabase, spawn_app_with},
    twilio_sim::{Call, Twiml},
};

/// Fills and frees the disk under a running server.
struct Disk {
    database: Arc<TestDatabase>,
    limit: PageLimit,
}

impl Disk {
    async fn fill(&self) {
        if self.database.is_postgres() {
            self.database
                .execute(
                    "CREATE OR REPLACE FUNCTION disk_is_full() RETURNS trigger LANGUAGE plpgsql AS
                     $$ BEGIN RAISE EXCEPTION 'could not extend file: No space left on device'
                        USING ERRCODE = 'disk_full'; END $$",
                )
                .await;
            self.database
                .execute("CREATE TRIGGER disk_full BEFORE INSERT ON call_events FOR EACH ROW EXECUTE FUNCTION disk_is_full()")
                .await;
        } else {
            self.limit.set_full(true);
        }
    }

    async fn free(&self) {
        if self.database.is_postgres() {
            self.database.execute("DROP TRIGGER disk_full ON call_events").await;
        } else {
            self.limit.set_full(false);
        }
    }
}

/// "We have your number, a volunteer will call you back", then a hang-up.
fn spooled(twiml: &Twiml) -> bool {
    twiml.hangup && twiml.spoken().contains("सुरक्षित")
}

/// What happened to one call.
#[derive(Debug, Default)]
struct Played {
    /// Webhooks answered with the flow's own TwiML.
    acknowledged: usize,
    /// The caller heard the spool answer.
    spooled: bool,
}

/// The default flow from the first ring to the status callback, stopping
/// early if the caller hears the spool answer (the gateway hangs up).
/// With `retries`, every request after the first is sent twice at once.
async fn whole_call(app: &TestApp, sid: &str, phone: &str, retries: bool) -> Played {
    let mut played = Played::default();
    let mut call = Call::start(app, sid, phone).await;
    call.racing_retries = retries;
    let steps: [&str; 7] = ["1", "1", "0", "10#", "212#", "1", "4"];
    let mut answer = call.twiml.clone();
    let mut step = 0;
    loop {
        if spooled(&answer) {
            played.spooled = true;
            break;
        }
        played.acknowledged += 1;
        if step == steps.len() {
            answer =
                call.leave_message("https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE0001").await.clone();
            if spooled(&answer) {
                played.spooled = true;
            } else {
                played.acknowledged += 1;
            }
            break;
        }
        answer = call.press(steps[step]).await.clone();
        step += 1;
    }
    call.hang_up().await;
    played
}

async fn a_full_disk_then_free_space(env: Vec<(&'static str, String)>) {
    let limit = PageLimit::default();
    let options = || Options { page_limit: Some(limit.clone()), env: env.clone(), ..Options::default() };
    let app = spawn_app_with(options()).await;
    let disk = Disk { database: app.database.clone(), limit: limit.clone() };

    // Calls while the disk fills: some webhooks are answered normally, then
    // callers hear the spool answer.
    disk.fill().await;
    let mut during = Vec::new();
    for n in 0..12 {
        let phone = format!("+9110000003{n:02}");
        let played = whole_call(&app, &format!("CA0d{n:030}"), &phone, false).await;
        during.push((phone, played));
    }
    let spooled_callers: Vec<&String> = during.iter().filter(|(_, p)| p.spooled).map(|(phone, _)| phone).collect();
    assert!(!spooled_callers.is_empty(), "the full disk refused turns: {during:?}");

    // Space is freed; 30 whole calls are answered as usual, with no restart
    // (Twilio retrying every request while the first is answered, so some
    // turns are refused as duplicates and roll back).
    disk.free().await;
    // Volunteers go on working: an outcome for a case nobody holds is
    // refused, its transaction rolled back, on whichever connection.
    app.add_user("asha", "admin", "", "", "").await;
    let session = app.api_login("asha").await;
    for _ in 0..8 {
        let body = serde_json::json!({"outcome": "resolved"});
        let refused = app.api(&session, reqwest::Method::POST, "/api/v1/cases/1/outcome").json(&body).send().await;
        let status = refused.unwrap().status();
        assert!([404, 409].contains(&status.as_u16()), "refused (nobody holds case 1), not {status}");
    }
    for n in 0..30 {
        let played = whole_call(&app, &format!("CA0e{n:030}"), &format!("+9110000004{n:02}"), true).await;
        assert!(!played.spooled, "call {n} after the disk was freed heard the spool answer");
        assert_eq!(played.acknowledged, 9, "call {n}: every turn answered");
    }
    let replayed = app.spool.replay(&app.calls).await.unwrap();
    assert!(replayed >= spooled_callers.len(), "the spool replays without a restart: {replayed}");
    assert!(app.spool.entries().unwrap().is_empty(), "nothing left spooled");

    // After a restart, everything acknowledged is on disk.
    let database = app.stop().await;
    let app = spawn_app_with(Options { database: Some(database), ..options() }).await;
    let cases = app.cases().await;
    for n in 0..30 {
        let phone = format!("+9110000004{n:02}");
        let case = cases.iter().find(|c| c["phone"] == phone.as_str());
        let case = case.unwrap_or_else(|| panic!("call {n} after the disk was freed is lost"));
        assert_eq!(case["home_district_code"], 212, "{case}");
        assert_eq!(case["need"], "medical", "{case}");
        assert_eq!(case["calls"], 1, "{case}");
    }
    for (phone, played) in &during {
        let found: Vec<_> = cases.iter().filter(|c| c["phone"] == phone.as_str()).collect();
        if played.spooled || played.acknowledged > 0 {
            assert_eq!(found.len(), 1, "{phone} ({played:?}) is queued exactly once: {found:?}");
            assert_eq!(found[0]["calls"], 1, "{phone}: one call");
        }
    }
    let events = app.database.scalar("SELECT count(*) FROM call_events WHERE dedupe_key LIKE 'turn:%'").await;
    let acknowledged: usize = during.iter().map(|(_, p)| p.acknowledged).sum::<usize>() + 30 * 9;
    assert!(events >= i64::try_from(acknowledged).unwrap(), "{events} turns on disk, {acknowledged} acknowledged");
}

#[tokio::test]
async fn a_full_disk_loses_no_acknowledged_webhook_and_recovers_without_a_restart() {
    a_full_disk_then_free_space(Vec::new()).await;
}

#[tokio::test]
async fn a_full_disk_with_group_commit_off_loses_nothing_either() {
    // Group commit is SQLite's; on PostgreSQL this is the test above again.
    a_full_disk_then_free_space(vec![("SAMPARK_GROUP_COMMIT", "off".to_owned())]).await;
}
