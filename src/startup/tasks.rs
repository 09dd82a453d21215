//! The server's background tasks: each runs on a timer until the stop
//! signal changes.

use std::{sync::Arc, time::Duration};

use tokio::sync::watch;
use tracing::{error, info};

use crate::{
    calls::CallService, cases::CaseStore, prompts::PromptLibrary, queue::Desk, retention::TwilioRecordings,
    spool::Spool,
};

/// Ends calls whose final status callback never came, so their callers are
/// queued. Runs every minute (or sooner for short timeouts) until stopped.
pub(super) async fn sweep_idle_calls(calls: Arc<CallService>, idle: Duration, mut stop: watch::Receiver<bool>) {
    let period = (idle / 2).clamp(Duration::from_millis(100), Duration::from_secs(60));
    let mut ticker = tokio::time::interval(period);
    loop {
        tokio::select! {
            _ = ticker.tick() => match calls.end_idle_calls(idle).await {
                Ok(0) => {}
                Ok(n) => info!(calls = n, "ended idle calls and queued their callers"),
                Err(e) => error!(error.message = %e, "could not sweep idle calls"),
            },
            _ = stop.changed() => return,
        }
    }
}

/// Replays the spool into the database every few seconds (a no-op when it
/// is empty), until stopped.
pub(super) async fn replay_spool(
    spool: Arc<Spool>,
    calls: Arc<CallService>,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let mut ticker = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                if let Err(e) = spool.replay(&calls).await {
                    error!(error.message = %e, file = %spool.path().display(), "could not replay the spool");
                }
            }
            _ = stop.changed() => return,
        }
    }
}

/// Runs retention hourly until stopped.
pub(super) async fn retain(
    cases: CaseStore,
    desk: Desk,
    days: u32,
    twilio: Option<TwilioRecordings>,
    mut stop: watch::Receiver<bool>,
) {
    let mut ticker = tokio::time::interval(crate::retention::PERIOD);
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                if let Err(e) = crate::retention::run_once(&cases, desk.now(), days, twilio.as_ref()).await {
                    error!(error.message = %e, "retention run failed");
                }
            }
            _ = stop.changed() => return,
        }
    }
}

/// Reloads the active prompt versions until stopped, so every instance
/// serves what an admin uploaded on any of them.
pub(super) async fn refresh_prompts(prompts: PromptLibrary, every: Duration, mut stop: watch::Receiver<bool>) {
    let mut ticker = tokio::time::interval(every);
    ticker.tick().await;
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                if let Err(e) = prompts.refresh().await {
                    error!(error.message = %e, "could not reload the uploaded prompt recordings");
                }
            }
            _ = stop.changed() => return,
        }
    }
}

/// Keeps the metrics recorder's histograms trimmed (nobody else runs its upkeep).
pub(super) async fn metrics_upkeep(mut stop: watch::Receiver<bool>) {
    let handle = crate::metrics::handle();
    let mut ticker = tokio::time::interval(Duration::from_secs(5));
    loop {
        tokio::select! {
            _ = ticker.tick() => handle.run_upkeep(),
            _ = stop.changed() => return,
        }
    }
}

/// Counts where this helpline's callers of the last 30 days came from, and
/// puts the lists of states and districts in that order, until stopped.
pub(super) async fn rank_places(
    cases: CaseStore,
    calls: Arc<CallService>,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let mut ticker = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                let since = (calls.clock())() - chrono::Duration::days(crate::cases::RANKING_DAYS);
                match cases.callers_by_place(since).await {
                    Ok(counts) => calls.set_ranking(crate::flow::Ranking::from_counts(counts)),
                    Err(e) => error!(error.message = %e, "could not count where callers came from; the lists keep their order"),
                }
            }
            _ = stop.changed() => return,
        }
    }
}

/// Records changed cases in their people every [`people::sync::EVERY`](crate::people::sync::EVERY), until stopped.
pub(super) async fn people_from_cases(db: crate::db::Db, mut stop: watch::Receiver<bool>) {
    let mut ticker = tokio::time::interval(crate::people::sync::EVERY);
    let mut cursor = crate::people::sync::Cursor::default();
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                if let Err(e) = crate::people::sync::sync_cases(&db, &mut cursor).await {
                    error!(error.message = %e, "could not record callers in the people database; will try again");
                }
            }
            _ = stop.changed() => return,
        }
    }
}
