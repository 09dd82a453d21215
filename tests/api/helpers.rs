//! `spawn_app` and friends: a real server per test, a fresh database each.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use sampark::{
    calls::CallService,
    cases::{ExportFormat, write_export},
    config::{LogFormat, Secret, Settings},
    startup::Application,
    storage::{self, Counts},
};
use tempfile::TempDir;
use tokio::{sync::oneshot, task::JoinHandle};

/// The URL Twilio is told to use; requests are signed against it while they
/// actually go to 127.0.0.1 (as behind a tunnel or proxy).
pub const PUBLIC_URL: &str = "https://sampark.test";
pub const TOKEN: &str = "test-auth-token-not-a-secret";

pub fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// How to start a test server; `Default` is the shipped flow and prompts.
pub struct Options {
    pub flows_dir: PathBuf,
    pub prompts_dir: PathBuf,
    pub token: Option<&'static str>,
    /// Reuse a database (to restart a server on it).
    pub database: Option<Arc<TempDir>>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            flows_dir: repo_path("call_flows"),
            prompts_dir: repo_path("prompts"),
            token: Some(TOKEN),
            database: None,
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub token: Option<&'static str>,
    pub database_url: String,
    pub db_dir: Arc<TempDir>,
    pub calls: Arc<CallService>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
}

pub fn settings(options: &Options, database_url: &str) -> Settings {
    Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url: database_url.to_owned(),
        public_url: PUBLIC_URL.to_owned(),
        twilio_auth_token: options.token.map(|t| Secret::new(t.to_owned())),
        flow: "helpline".to_owned(),
        flows_dir: options.flows_dir.clone(),
        prompts_dir: options.prompts_dir.clone(),
        call_idle_timeout: Duration::from_secs(3600),
        log_format: LogFormat::Pretty,
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

pub async fn spawn_app_with(options: Options) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        sampark::telemetry::init(LogFormat::Pretty);
    }
    let db_dir = options.database.clone().unwrap_or_else(|| Arc::new(TempDir::new().unwrap()));
    let database_url = format!("sqlite://{}", db_dir.path().join("sampark.db").display());
    let app = Application::build(settings(&options, &database_url)).await.expect("the app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let calls = app.call_service();
    let (tx, rx) = oneshot::channel();
    let server = tokio::spawn(app.run_until(async {
        let _ = rx.await;
    }));
    TestApp {
        address,
        client: reqwest::Client::new(),
        token: options.token,
        database_url,
        db_dir,
        calls,
        shutdown: Some(tx),
        server: Some(server),
    }
}

impl TestApp {
    /// Stops the server and waits for it, keeping the database.
    pub async fn stop(mut self) -> Arc<TempDir> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap().unwrap();
        }
        self.db_dir.clone()
    }

    /// Every case, as `sampark cases export --format jsonl` writes it.
    pub async fn cases(&self) -> Vec<serde_json::Value> {
        let store = storage::connect_existing(&self.database_url).await.unwrap();
        let mut out = Vec::new();
        write_export(store.export_cases(), ExportFormat::Jsonl, &mut out).await.unwrap();
        store.close().await;
        String::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }

    /// The one case there should be.
    pub async fn only_case(&self) -> serde_json::Value {
        let mut cases = self.cases().await;
        assert_eq!(cases.len(), 1, "expected exactly one case: {cases:#?}");
        cases.remove(0)
    }

    pub async fn counts(&self) -> Counts {
        self.calls.store().counts().await.unwrap()
    }

    /// Turns a URL from our TwiML (on the public URL) into one on this server.
    pub fn local_url(&self, public: &str) -> String {
        let path = public.strip_prefix(PUBLIC_URL).unwrap_or_else(|| panic!("{public} is not on {PUBLIC_URL}"));
        format!("{}{path}", self.address)
    }

    /// POSTs a form to a path, signed for the public URL unless `signature`
    /// overrides it (`Some("")` sends no header).
    pub async fn post_form(
        &self,
        path_and_query: &str,
        form: &[(String, String)],
        signature: Option<&str>,
    ) -> reqwest::Response {
        let public = format!("{PUBLIC_URL}{path_and_query}");
        let mut request = self.client.post(format!("{}{path_and_query}", self.address)).form(form);
        let computed = self.token.map(|t| sampark::gateway::twilio::sign(t, &public, form));
        match (signature, computed) {
            (Some(""), _) | (None, None) => {}
            (Some(forged), _) => request = request.header("X-Twilio-Signature", forged),
            (None, Some(sig)) => request = request.header("X-Twilio-Signature", sig),
        }
        request.send().await.unwrap()
    }
}

/// A valid 8 kHz mono 16-bit WAV of `millis` of a quiet tone.
pub fn wav_bytes(millis: u32) -> Vec<u8> {
    let samples: Vec<i16> = (0..8 * millis).map(|i| ((i as f32 * 0.3).sin() * 3000.0) as i16).collect();
    let data_len = (samples.len() * 2) as u32;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&8000u32.to_le_bytes());
    out.extend_from_slice(&16000u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

/// A prompts directory with the shipped catalog and the given recordings.
pub fn prompts_with_recordings(recordings: &[(&str, &str)]) -> TempDir {
    let dir = TempDir::new().unwrap();
    std::fs::copy(repo_path("prompts/catalog.toml"), dir.path().join("catalog.toml")).unwrap();
    for (lang, key) in recordings {
        std::fs::create_dir_all(dir.path().join(lang)).unwrap();
        std::fs::write(dir.path().join(lang).join(format!("{key}.wav")), wav_bytes(300)).unwrap();
    }
    dir
}
