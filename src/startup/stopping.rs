//! Stopping: the signals, and finishing the calls in progress first.

use std::time::Duration;

use tracing::{info, warn};

use crate::calls::CallService;

/// Waits until no call this instance answered is in progress, or `grace`
/// is over. The listener stays open meanwhile: a call's next webhook must
/// be answered, or its caller hears an error mid-call.
pub(super) async fn finish_calls(calls: &CallService, grace: Duration) {
    let deadline = tokio::time::Instant::now() + grace;
    let mut said = false;
    loop {
        let in_flight = calls.calls_in_flight();
        if in_flight == 0 {
            return;
        }
        if tokio::time::Instant::now() >= deadline {
            warn!(
                calls = in_flight,
                "stop grace over with calls in progress: what they captured is kept, and the next start queues them (idle sweeper)"
            );
            return;
        }
        if !std::mem::replace(&mut said, true) {
            info!(calls = in_flight, grace_secs = grace.as_secs(), "stopping: finishing the calls in progress first");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub(super) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    info!("asked to stop");
}
