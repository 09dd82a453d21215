//! What an operator relies on: health, readiness, metrics, retention.

use super::{helpers::spawn_app, twilio_sim::Call};

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = spawn_app().await;
    let health = app.client.get(format!("{}/healthz", app.address)).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = app.client.get(format!("{}/readyz", app.address)).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    app.database.execute("DELETE FROM _sqlx_migrations").await;
    let not_ready = app.client.get(format!("{}/readyz", app.address)).send().await.unwrap();
    assert_eq!(not_ready.status(), 503, "migrations not current");
}

#[tokio::test]
async fn metrics_count_webhooks_and_show_the_queue_without_phone_numbers() {
    let app = spawn_app().await;
    let mut call = Call::start(&app, "CAf0000000000000000000000000000001", "+919800000151").await;
    call.press("1").await;
    call.press("1").await;
    call.press("10#").await;
    call.hang_up().await;
    let forged = app.post_form("/twilio/voice", &call.params(&[]), Some("forged")).await;
    assert_eq!(forged.status(), 403);
    let metrics = app.client.get(format!("{}/metrics", app.address)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains(r#"sampark_webhooks_total{gateway="twilio",outcome="answered"}"#), "{metrics}");
    assert!(metrics.contains(r#"sampark_webhooks_total{gateway="twilio",outcome="rejected"}"#));
    assert!(metrics.contains(r#"sampark_webhook_duration_seconds_bucket{gateway="twilio",le="0.005"}"#));
    assert!(metrics.contains(r#"sampark_queue_waiting{state="10"} 1"#), "{metrics}");
    assert!(metrics.contains("sampark_calls_in_progress 0"));
    assert!(!metrics.contains("9800000151") && !metrics.contains("CAf000"), "no numbers or call ids in metrics");
}
