//! `spawn_app` and friends: a real server per test, a fresh database each.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::Arc,
};

use sampark::{
    calls::CallService,
    calls::Counts,
    cases::CaseStore,
    cases::{ExportFormat, write_export},
    config::{LogFormat, Settings},
    startup::Application,
};
use tempfile::TempDir;
use tokio::{sync::oneshot, task::JoinHandle};

/// The URL Twilio is told to use; requests are signed against it while they
/// actually go to 127.0.0.1 (as behind a tunnel or proxy).
pub const PUBLIC_URL: &str = "https://sampark.test";
pub const TOKEN: &str = "test-auth-token-not-a-secret";
pub const PLIVO_TOKEN: &str = "plivo-test-token-not-a-secret";
pub const KOOKOO_SECRET: &str = "kookoo-test-path-secret";
pub const EXOTEL_SECRET: &str = "exotel-test-path-secret";

pub fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// How to start a test server; `Default` is the shipped flow and prompts.
pub struct Options {
    pub flows_dir: PathBuf,
    pub prompts_dir: PathBuf,
    pub token: Option<&'static str>,
    /// Reuse a database (to restart a server on it).
    pub database: Option<Arc<TestDatabase>>,
    /// More `SAMPARK_*` settings, winning over the defaults here.
    pub env: Vec<(&'static str, String)>,
    /// SQLite: a handle that fills the disk on demand.
    pub page_limit: Option<sampark::db::PageLimit>,
    /// Number series to guess home states from (test numbers are in no
    /// real series); `None`: the bundled ones.
    pub numbering: Option<Arc<sampark::directory::Numbering>>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            flows_dir: repo_path("call_flows"),
            prompts_dir: repo_path("prompts"),
            token: Some(TOKEN),
            database: None,
            env: Vec::new(),
            page_limit: None,
            numbering: None,
        }
    }
}

/// A clock the test moves by hand; it starts at the real time.
#[derive(Clone)]
pub struct TestClock {
    start: chrono::DateTime<chrono::Utc>,
    offset_ms: Arc<std::sync::atomic::AtomicI64>,
}

impl TestClock {
    fn new() -> Self {
        Self { start: chrono::Utc::now(), offset_ms: Arc::default() }
    }

    /// Time passes: a caller listens and answers, a gateway times out.
    pub fn advance(&self, seconds: u32) {
        self.offset_ms.fetch_add(i64::from(seconds) * 1000, std::sync::atomic::Ordering::SeqCst);
    }

    fn clock(&self) -> sampark::calls::Clock {
        let this = self.clone();
        Arc::new(move || {
            let offset = this.offset_ms.load(std::sync::atomic::Ordering::SeqCst);
            this.start + chrono::Duration::milliseconds(offset)
        })
    }
}

/// A fresh database for one test: an SQLite file in a temporary directory,
/// or — when `SAMPARK_TEST_DATABASE_URL` names a PostgreSQL server — a new
/// database on it.
pub struct TestDatabase {
    pub url: String,
    _dir: Option<TempDir>,
}

impl From<String> for TestDatabase {
    fn from(url: String) -> Self {
        Self { url, _dir: None }
    }
}

impl TestDatabase {
    pub async fn fresh() -> Self {
        match std::env::var("SAMPARK_TEST_DATABASE_URL") {
            Ok(admin) if admin.starts_with("postgres") => {
                let name = format!(
                    "sampark_test_{}",
                    sampark::auth::new_token().to_lowercase().replace(['-', '_'], "")[..16].to_owned()
                );
                let pool = sqlx::PgPool::connect(&admin).await.expect("the test PostgreSQL server answers");
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&pool).await.unwrap();
                pool.close().await;
                let base = admin.rsplit_once('/').map_or(admin.as_str(), |(base, _)| base);
                Self { url: format!("{base}/{name}"), _dir: None }
            }
            _ => {
                let dir = TempDir::new().unwrap();
                let url = format!("sqlite://{}", dir.path().join("sampark.db").display());
                Self { url, _dir: Some(dir) }
            }
        }
    }

    /// A fresh SQLite database whatever the suite runs on (for what only
    /// SQLite has: `sampark backup`).
    pub fn sqlite() -> Self {
        let dir = TempDir::new().unwrap();
        let url = format!("sqlite://{}", dir.path().join("sampark.db").display());
        Self { url, _dir: Some(dir) }
    }

    pub fn is_postgres(&self) -> bool {
        self.url.starts_with("postgres")
    }

    /// A number from raw SQL (for checks the API does not expose).
    pub async fn scalar(&self, sql: &str) -> i64 {
        if self.is_postgres() {
            let pool = sqlx::PgPool::connect(&self.url).await.unwrap();
            let value = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned())).fetch_one(&pool).await.unwrap();
            pool.close().await;
            value
        } else {
            let pool = sqlx::SqlitePool::connect(&self.url).await.unwrap();
            let value = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned())).fetch_one(&pool).await.unwrap();
            pool.close().await;
            value
        }
    }

    /// Pairs of text from raw SQL (for checks the API does not expose).
    pub async fn pairs(&self, sql: &str) -> Vec<(String, String)> {
        if self.is_postgres() {
            let pool = sqlx::PgPool::connect(&self.url).await.unwrap();
            let rows = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_owned())).fetch_all(&pool).await.unwrap();
            pool.close().await;
            rows
        } else {
            let pool = sqlx::SqlitePool::connect(&self.url).await.unwrap();
            let rows = sqlx::query_as(sqlx::AssertSqlSafe(sql.to_owned())).fetch_all(&pool).await.unwrap();
            pool.close().await;
            rows
        }
    }

    /// Runs raw SQL on the database (to break it on purpose).
    pub async fn execute(&self, sql: &str) {
        if self.is_postgres() {
            let pool = sqlx::PgPool::connect(&self.url).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).execute(&pool).await.unwrap();
            pool.close().await;
        } else {
            let pool = sqlx::SqlitePool::connect(&self.url).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).execute(&pool).await.unwrap();
            pool.close().await;
        }
    }
}

pub struct TestApp {
    pub spool: Arc<sampark::spool::Spool>,
    pub spool_path: PathBuf,
    _work: TempDir,
    pub clock: TestClock,
    pub address: String,
    pub client: reqwest::Client,
    pub token: Option<&'static str>,
    pub database_url: String,
    pub database: Arc<TestDatabase>,
    pub calls: Arc<CallService>,
    /// The cases' store (retention runs on it).
    pub case_store: CaseStore,
    /// The people's store (the national database).
    pub people: sampark::people::PeopleStore,
    pub audit: sampark::audit::AuditStore,
    pub reports: sampark::reports::ReportStore,
    pub prompts: sampark::prompts::PromptLibrary,
    /// The server's password checks, to count them.
    pub password_checks: sampark::auth::checks::PasswordChecks,
    /// The server's users and sessions.
    pub users: sampark::auth::UserStore,
    shutdown: std::sync::Mutex<Option<oneshot::Sender<()>>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
}

/// Settings as the server reads them, from `SAMPARK_*` variables: every
/// gateway on, each with its test secret.
pub fn settings(options: &Options, database_url: &str) -> Settings {
    settings_with_spool(options, database_url, Path::new("/nonexistent/spool.jsonl"))
}

pub fn settings_with_spool(options: &Options, database_url: &str, spool: &Path) -> Settings {
    let mut env: HashMap<&str, String> = HashMap::from([
        ("SAMPARK_SPOOL_PATH", spool.display().to_string()),
        // Tests replay the spool themselves, when they choose.
        ("SAMPARK_SPOOL_REPLAY_SECS", "86400".to_owned()),
        ("SAMPARK_LISTEN", "127.0.0.1:0".to_owned()),
        // Every path below is given; nothing may land in a home directory.
        ("SAMPARK_DATA_DIR", "/nonexistent/data".to_owned()),
        // A test that stops a server mid-call means to (graceful.rs waits).
        ("SAMPARK_STOP_GRACE_SECS", "0".to_owned()),
        ("SAMPARK_DATABASE_URL", database_url.to_owned()),
        ("SAMPARK_PUBLIC_URL", PUBLIC_URL.to_owned()),
        ("SAMPARK_FLOWS_DIR", options.flows_dir.display().to_string()),
        ("SAMPARK_PROMPTS_DIR", options.prompts_dir.display().to_string()),
        ("SAMPARK_CALL_IDLE_TIMEOUT_SECS", "3600".to_owned()),
        ("SAMPARK_PLIVO_AUTH_TOKEN", PLIVO_TOKEN.to_owned()),
        ("SAMPARK_KOOKOO_SECRET", KOOKOO_SECRET.to_owned()),
        ("SAMPARK_EXOTEL_SECRET", EXOTEL_SECRET.to_owned()),
    ]);
    if let Some(token) = options.token {
        env.insert("SAMPARK_TWILIO_AUTH_TOKEN", token.to_owned());
    }
    for (name, value) in &options.env {
        env.insert(name, value.clone());
    }
    Settings::from_sources(None, |name| env.get(name).cloned()).expect("test settings are valid")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

pub async fn spawn_app_with(options: Options) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        sampark::telemetry::init(LogFormat::Pretty);
    }
    let database = match options.database.clone() {
        Some(database) => database,
        None => Arc::new(TestDatabase::fresh().await),
    };
    let database_url = database.url.clone();
    let clock = TestClock::new();
    let work = TempDir::new().unwrap();
    let spool_path = work.path().join("spool.jsonl");
    let mut settings = settings_with_spool(&options, &database_url, &spool_path);
    settings.sqlite_page_limit = options.page_limit.clone();
    settings.numbering = options.numbering.clone();
    let app = Application::build_with_clock(settings, clock.clock()).await.expect("the app builds");
    let spool = app.spool();
    let address = format!("http://127.0.0.1:{}", app.port());
    let calls = app.call_service();
    let case_store = app.case_store();
    let people = app.people_store();
    let audit = app.audit_store();
    let reports = app.report_store();
    let prompts = app.prompt_library();
    let password_checks = app.password_checks();
    let users = app.users();
    let (tx, rx) = oneshot::channel();
    let server = tokio::spawn(app.run_until(async {
        let _ = rx.await;
    }));
    TestApp {
        spool,
        spool_path,
        _work: work,
        clock,
        address,
        client: reqwest::Client::new(),
        token: options.token,
        database_url,
        database,
        calls,
        case_store,
        people,
        audit,
        reports,
        prompts,
        password_checks,
        users,
        shutdown: std::sync::Mutex::new(Some(tx)),
        server: Some(server),
    }
}

impl TestApp {
    /// Asks the server to stop, as SIGTERM does, without waiting for it.
    pub fn ask_to_stop(&self) {
        if let Some(tx) = self.shutdown.lock().unwrap().take() {
            let _ = tx.send(());
        }
    }

    /// Whether the server has stopped.
    pub fn has_stopped(&self) -> bool {
        self.server.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Stops the server and waits for it, keeping the database.
    pub async fn stop(mut self) -> Arc<TestDatabase> {
        self.ask_to_stop();
        if let Some(server) = self.server.take() {
            server.await.unwrap().unwrap();
        }
        self.database.clone()
    }

    /// Every case, as `sampark cases export --format jsonl` writes it.
    pub async fn cases(&self) -> Vec<serde_json::Value> {
        let db = sampark::db::Db::open_existing(&self.database_url).await.unwrap();
        let mut out = Vec::new();
        write_export(CaseStore::new(db.clone()).export_cases(), ExportFormat::Jsonl, &mut out).await.unwrap();
        db.close().await;
        String::from_utf8(out).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }

    /// The one case there should be.
    pub async fn only_case(&self) -> serde_json::Value {
        let mut cases = self.cases().await;
        assert_eq!(cases.len(), 1, "expected exactly one case: {cases:#?}");
        cases.remove(0)
    }

    pub async fn counts(&self) -> Counts {
        self.calls.calls().counts().await.unwrap()
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
/// The recordings of the default flow's first question for a caller with
/// no guess (the language menu's first page, each line in its language),
/// in the order it plays them: 19 recordings.
pub fn language_menu_recordings() -> Vec<(&'static str, &'static str)> {
    const FIRST_PAGE: [&str; 8] = ["hi", "bn", "or", "en", "bho", "mai", "ur", "ne"];
    const KEYS: [&str; 8] = ["press_1", "press_2", "press_3", "press_4", "press_5", "press_6", "press_7", "press_8"];
    let mut list = vec![("hi", "welcome")];
    for (lang, key) in FIRST_PAGE.iter().zip(KEYS) {
        list.extend([(*lang, "language_option"), (*lang, key)]);
    }
    list.extend([("hi", "more_languages"), ("hi", "key_9")]);
    list
}

pub fn prompts_with_recordings(recordings: &[(&str, &str)]) -> TempDir {
    let dir = TempDir::new().unwrap();
    std::fs::copy(repo_path("prompts/catalog.toml"), dir.path().join("catalog.toml")).unwrap();
    for (lang, key) in recordings {
        std::fs::create_dir_all(dir.path().join(lang)).unwrap();
        std::fs::write(dir.path().join(lang).join(format!("{key}.wav")), wav_bytes(300)).unwrap();
    }
    dir
}

/// A signed-in API client: bearer token and CSRF token.
pub struct ApiSession {
    pub token: String,
    pub csrf: String,
}

/// The password [`TestApp::add_user`] gives `name`: strong enough for the
/// strength check (`password-<name>` alone is not).
pub fn password(name: &str) -> String {
    format!("password-{name}-kite-river")
}

impl TestApp {
    /// Adds a user straight into the store (password [`password`]).
    pub async fn add_user(&self, name: &str, role: &str, states: &str, languages: &str, phone: &str) {
        let user = sampark::auth::new_user(name, role, states, languages, phone, &password(name), &|_| true).unwrap();
        self.users.create_user(&user, chrono::Utc::now()).await.unwrap();
    }

    /// Signs in through the API.
    pub async fn api_login(&self, name: &str) -> ApiSession {
        let body = serde_json::json!({ "username": name, "password": password(name) });
        let response = self.client.post(format!("{}/api/v1/login", self.address)).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 200, "login {name}");
        let json: serde_json::Value = response.json().await.unwrap();
        ApiSession {
            token: json["token"].as_str().unwrap().to_owned(),
            csrf: json["csrf_token"].as_str().unwrap().to_owned(),
        }
    }

    /// An API request with the session's bearer token.
    pub fn api(&self, session: &ApiSession, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, format!("{}{path}", self.address)).bearer_auth(&session.token)
    }

    /// A caller who keys language, consent and home state, then hangs up:
    /// a queued case. `need` is keyed too when given (1–6).
    pub async fn queue_caller(&self, sid: &str, phone: &str, language_key: &str, state: &str, need: Option<&str>) {
        let mut call = super::twilio_sim::Call::start(self, sid, phone).await;
        call.press(language_key).await;
        call.press("1").await;
        call.press("0").await; // the state list: the code, please
        call.press(&format!("{state}#")).await;
        if let Some(need) = need {
            // No district code: three silences, then the names; "not in the
            // list" (0), and nothing said after the beep.
            call.silence().await;
            call.silence().await;
            call.silence().await;
            call.press("0").await;
            call.silence().await;
            call.press(need).await;
        }
        call.hang_up().await;
    }
}

/// A request the fake gateway received: path, `Authorization`, form.
pub type Received = (String, Option<String>, Vec<(String, String)>);

/// A stand-in for a gateway's REST API and media server, recording requests.
#[derive(Clone, Default)]
pub struct FakeGateway {
    pub requests: Arc<tokio::sync::Mutex<Vec<Received>>>,
}

pub async fn fake_gateway() -> (String, FakeGateway) {
    let fake = FakeGateway::default();
    async fn record(
        axum::extract::State(fake): axum::extract::State<FakeGateway>,
        method: axum::http::Method,
        uri: axum::http::Uri,
        headers: axum::http::HeaderMap,
        body: axum::body::Bytes,
    ) -> axum::response::Response {
        use axum::response::IntoResponse;
        let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
        let auth = headers.get("authorization").map(|v| v.to_str().unwrap().to_owned());
        let mut requests = fake.requests.lock().await;
        requests.push((format!("{method} {}", uri.path()), auth, form));
        if uri.path().ends_with("/Calls.json") {
            // The first call is CA999…; each later one has a sid of its own.
            let placed = requests.iter().filter(|(path, _, _)| path.ends_with("/Calls.json")).count();
            let sid = if placed == 1 { format!("CA{}", "9".repeat(32)) } else { format!("CA{placed:032}") };
            axum::Json(serde_json::json!({"sid": sid, "status": "queued"})).into_response()
        } else {
            axum::Json(serde_json::json!({"Call": {"Sid": "exotel-call-1", "Status": "in-progress"}})).into_response()
        }
    }
    async fn audio() -> impl axum::response::IntoResponse {
        ([("content-type", "audio/x-wav")], wav_bytes(200))
    }
    /// `/recordings/redirect?to=URL`: a 302 to `URL`, as a media host may send.
    async fn redirect(
        axum::extract::Query(query): axum::extract::Query<HashMap<String, String>>,
    ) -> axum::response::Response {
        use axum::response::IntoResponse;
        let to = query.get("to").cloned().unwrap_or_default();
        (axum::http::StatusCode::FOUND, [("location", to)]).into_response()
    }
    let router = axum::Router::new()
        .route("/recordings/rec-1.wav", axum::routing::get(audio))
        .route("/recordings/redirect", axum::routing::get(redirect))
        .fallback(record)
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (address, fake)
}

/// The real binary's `serve`, run in `cwd` with nothing from the
/// environment of the test but `env` (and PATH): its log on stderr.
pub fn serve_binary(cwd: &Path, port: u16, env: &[(&str, String)]) -> std::process::Child {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_sampark"));
    command
        .arg("serve")
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("SAMPARK_LISTEN", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    command.spawn().unwrap()
}

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Polls /healthz until the server on `port` answers (bounded).
pub async fn wait_up(port: u16) {
    sampark::install_tls_provider();
    let client = reqwest::Client::new();
    for _ in 0..400 {
        if client.get(format!("http://127.0.0.1:{port}/healthz")).send().await.is_ok() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the server did not come up");
}
