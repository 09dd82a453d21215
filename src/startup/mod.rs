//! Building and running the server. [`Application::build`] binds the
//! listener itself (port 0 works), so tests know the port before serving.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use anyhow::{Context, bail};
use tokio::{net::TcpListener, sync::watch};
use tracing::{info, warn};

mod notices;
mod stopping;
mod tasks;

use notices::{first_admin_command, log_gateways};
use stopping::{finish_calls, shutdown_signal};
use tasks::{metrics_upkeep, people_from_cases, rank_places, refresh_prompts, replay_spool, retain, sweep_idle_calls};

use crate::{
    audio::AudioLimits,
    audit::AuditStore,
    auth::{UserStore, checks::PasswordChecks},
    calls::{CallService, CallStore, Clock, FlowRegistry, system_clock},
    cases::CaseStore,
    config::Settings,
    db::{Db, DbOptions, backup::ServingLock},
    directory::{Directory, Numbering},
    flow::{Flow, load_flow_set},
    http::{App, AppState, ConnectionLimits, Gateways, UnsignedGateway, raise_file_limit, router, serve},
    media::MediaClient,
    prompts::{Catalog, PromptLibrary, PromptStore, PromptVoice, RecordingIndex},
    queue::{Desk, QueueStore},
    reports::ReportStore,
    retention::TwilioRecordings,
    spool::Spool,
};

/// A built server, bound and ready to run.
pub struct Application {
    listener: TcpListener,
    state: AppState,
    cases: CaseStore,
    db: Db,
    idle_timeout: Duration,
    retention: Option<(u32, Option<TwilioRecordings>)>,
    replay_every: Duration,
    prompt_refresh: Duration,
    ranking_refresh: Duration,
    limits: ConnectionLimits,
    stop_grace: Duration,
    /// The command that makes the first admin for this server's database.
    first_admin: String,
    /// Keeps `sampark restore` from swapping the SQLite file while served.
    _serving: Option<ServingLock>,
}

impl Application {
    /// Loads the catalog and flows (refusing to start on a broken one),
    /// opens and migrates the database, scans recordings and binds.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, system_clock()).await
    }

    /// As [`Application::build`], with the driver reading time from `clock`.
    pub async fn build_with_clock(settings: Settings, clock: Clock) -> anyhow::Result<Self> {
        crate::install_tls_provider();
        crate::metrics::handle();
        let catalog = Arc::new(Catalog::load(&settings.prompts_dir)?);
        let flows = load_flows(&settings, &catalog)?;
        let entry = flows.iter().find(|f| f.id == settings.flow).map(|f| f.default_language.clone());
        let Some(fallback_language) = entry else {
            bail!("flow `{}` (SAMPARK_FLOW) is not in {}", settings.flow, settings.flows_dir.display());
        };
        let serving = ServingLock::take(&settings.database_url)?;
        let options = DbOptions { create_if_missing: true, page_limit: settings.sqlite_page_limit.clone() };
        let db = Db::connect(&settings.database_url, options).await.context("cannot open the database")?;
        db.migrate().await.context("cannot migrate the database")?;
        let call_store = CallStore::new(db.clone(), settings.group_commit);
        let users = UserStore::new(db.clone());
        let registry = FlowRegistry::new(flows, call_store.clone()).await?;
        let recordings = RecordingIndex::scan(&settings.prompts_dir, catalog.languages())
            .with_context(|| format!("cannot scan recordings in {}", settings.prompts_dir.display()))?;
        info!(recordings = recordings.len(), "prompt recordings found; other prompts are spoken from the catalog");
        let recordings = Arc::new(recordings);
        let directory = Directory::bundled();
        let voice = PromptVoice::new(catalog.clone(), recordings.clone(), directory, &settings.public_url);
        let limits = AudioLimits {
            max_duration: settings.prompt_max_duration,
            min_sound: settings.prompt_min_sound,
            ..AudioLimits::default()
        };
        let prompts = PromptLibrary::new(PromptStore::new(db.clone()), recordings, catalog, directory, limits);
        let uploaded = prompts.refresh().await.context("cannot read the uploaded prompt recordings")?;
        info!(uploaded, "uploaded prompt recordings are active");
        let desk =
            Desk::new(QueueStore::new(db.clone()), AuditStore::new(db.clone()), clock.clone(), settings.claim_lease);
        let numbering = settings.numbering.clone().unwrap_or_else(Numbering::bundled);
        let calls = Arc::new(CallService::new(call_store, registry, directory, numbering, &settings.flow, clock));
        let gateways = Gateways {
            twilio_auth_token: settings.twilio_auth_token.clone(),
            plivo_auth_token: settings.plivo_auth_token.clone(),
            plivo_signature: settings.plivo_signature,
            kookoo: UnsignedGateway {
                secret: settings.kookoo_secret.clone(),
                allowed_networks: settings.kookoo_allowed_networks.clone(),
            },
            exotel: UnsignedGateway {
                secret: settings.exotel_secret.clone(),
                allowed_networks: settings.exotel_allowed_networks.clone(),
            },
            trusted_proxies: settings.trusted_proxies.clone().into(),
        };
        log_gateways(&settings);
        let state: AppState = App {
            calls,
            desk,
            reports: ReportStore::new(db.clone()),
            voice,
            prompts,
            public_url: settings.public_url.as_str().into(),
            gateways,
            fallback_language,
            bridge: settings.bridge.clone(),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(15))
                .build()
                .context("cannot build the HTTP client")?,
            twilio_account_sid: settings.twilio_account_sid.clone(),
            twilio_api_url: settings.twilio_api_url.as_str().into(),
            media: MediaClient::new(settings.recording_sources.clone()).context("cannot build the HTTP client")?,
            spool: Arc::new(Spool::new(&settings.spool_path)),
            password_checks: PasswordChecks::new(settings.login_concurrency, settings.login_wait),
            users,
            people: crate::people::PeopleStore::new(db.clone()),
            places: crate::places::PlaceStore::new(db.clone()),
            imports_dir: settings.data_dir.join("imports"),
            importing: Arc::default(),
            units: crate::units::UnitStore::new(db.clone()),
            rollups: crate::units::RollupStore::new(db.clone()),
            stopping: false.into(),
        }
        .into();
        if let Some(bridge) = &settings.bridge {
            info!(gateway = bridge.gateway(), "Call now: volunteers are rung and bridged through the gateway");
        }
        let limits = ConnectionLimits {
            header_read_timeout: settings.header_read_timeout,
            max_total: settings.max_connections,
            max_per_peer: settings.max_connections_per_peer,
            exempt: state.gateways.trusted_proxies.clone(),
        }
        .within_file_limit(raise_file_limit());
        info!(
            header_read_timeout_secs = limits.header_read_timeout.as_secs(),
            max_connections = limits.max_total,
            max_connections_per_peer = limits.max_per_peer,
            "HTTP connection limits"
        );
        let listener = TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        let twilio_recordings = match (&settings.twilio_account_sid, &settings.twilio_auth_token) {
            (Some(sid), Some(token)) => Some(TwilioRecordings {
                client: crate::retention::no_redirect_client().context("cannot build the HTTP client")?,
                api_url: settings.twilio_api_url.clone(),
                account_sid: sid.clone(),
                auth_token: token.clone(),
            }),
            _ => None,
        };
        match settings.retention_days {
            Some(days) => info!(days, "retention: personal fields of closed cases are erased after this many days"),
            None => warn!("retention is off (SAMPARK_RETENTION_DAYS): closed cases keep their personal fields"),
        }
        let retention = settings.retention_days.map(|days| (days, twilio_recordings));
        let replay_every = settings.spool_replay_every;
        Ok(Self {
            listener,
            state,
            cases: CaseStore::new(db.clone()),
            db,
            idle_timeout: settings.call_idle_timeout,
            retention,
            replay_every,
            prompt_refresh: settings.prompt_refresh_every,
            ranking_refresh: settings.ranking_refresh_every,
            limits,
            stop_grace: settings.stop_grace,
            first_admin: first_admin_command(&settings),
            _serving: serving,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    /// The spool, for tools and tests that replay it directly.
    pub fn spool(&self) -> Arc<Spool> {
        self.state.spool.clone()
    }

    /// The prompt library, for tools and tests that look inside it.
    pub fn prompt_library(&self) -> PromptLibrary {
        self.state.prompts.clone()
    }

    /// Sign-ins' password checks, for tests that count them.
    pub fn password_checks(&self) -> PasswordChecks {
        self.state.password_checks.clone()
    }

    /// What the handlers reach, for the router's unit tests.
    #[cfg(test)]
    pub(crate) fn state(&self) -> AppState {
        self.state.clone()
    }

    /// Users, sessions and sign-in attempts, for tools and tests.
    pub fn users(&self) -> UserStore {
        self.state.users.clone()
    }

    /// The cases' store, for tests that read or erase cases directly.
    pub fn case_store(&self) -> CaseStore {
        self.cases.clone()
    }

    /// The people's store, for tests and tools that read people directly.
    pub fn people_store(&self) -> crate::people::PeopleStore {
        crate::people::PeopleStore::new(self.db.clone())
    }

    /// The reports' store, for tests that read the figures directly.
    pub fn report_store(&self) -> ReportStore {
        self.state.reports.clone()
    }

    /// The audit log, for tests that read it.
    pub fn audit_store(&self) -> AuditStore {
        self.state.desk.audit_log().clone()
    }

    /// The call driver, for tools and tests that act on calls directly.
    pub fn call_service(&self) -> Arc<CallService> {
        self.state.calls.clone()
    }

    /// Serves until SIGTERM or Ctrl-C, then finishes the calls in progress
    /// (a second signal stops at once).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until_with(shutdown_signal(), shutdown_signal()).await
    }

    /// Serves until `shutdown` completes, then goes on answering the calls
    /// in progress for up to the stop grace (`SAMPARK_STOP_GRACE_SECS`),
    /// lets requests in flight finish, stops the background tasks and
    /// closes the database.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        self.run_until_with(shutdown, std::future::pending()).await
    }

    async fn run_until_with(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
        hurry: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        info!(address = %self.local_addr(), "Sampark is listening");
        match self.state.users.anyone_can_sign_in().await {
            Ok(true) => {}
            Ok(false) => warn!(
                command = %self.first_admin,
                "nobody can sign in yet: create the first admin, with a password of your own, with the command"
            ),
            Err(e) => warn!(error.message = %e, "cannot tell whether anyone can sign in"),
        }
        let (stop_tx, stop_rx) = watch::channel(false);
        let sweeper = tokio::spawn(sweep_idle_calls(self.state.calls.clone(), self.idle_timeout, stop_rx.clone()));
        let upkeep = tokio::spawn(metrics_upkeep(stop_rx.clone()));
        let prompts = tokio::spawn(refresh_prompts(self.state.prompts.clone(), self.prompt_refresh, stop_rx.clone()));
        let ranker = tokio::spawn(rank_places(
            self.cases.clone(),
            self.state.calls.clone(),
            self.ranking_refresh,
            stop_rx.clone(),
        ));
        let people = tokio::spawn(people_from_cases(self.db.clone(), stop_rx.clone()));
        let replayer = tokio::spawn(replay_spool(
            self.state.spool.clone(),
            self.state.calls.clone(),
            self.replay_every,
            stop_rx.clone(),
        ));
        let retention = self.retention.map(|(days, twilio)| {
            tokio::spawn(retain(self.cases.clone(), self.state.desk.clone(), days, twilio, stop_rx))
        });
        let (state, grace) = (self.state.clone(), self.stop_grace);
        let stop = async move {
            shutdown.await;
            state.stopping.store(true, std::sync::atomic::Ordering::Relaxed);
            tokio::select! {
                () = finish_calls(&state.calls, grace) => {}
                () = hurry => warn!("asked again to stop: stopping now, with calls in progress"),
            }
        };
        let served = serve(self.listener, router(self.state), self.limits, stop).await;
        let _ = stop_tx.send(true);
        let _ = sweeper.await;
        let _ = upkeep.await;
        let _ = people.await;
        let _ = prompts.await;
        let _ = ranker.await;
        let _ = replayer.await;
        if let Some(retention) = retention {
            let _ = retention.await;
        }
        self.db.close().await;
        info!("Sampark stopped");
        served
    }
}

/// The built-in flows and every flow file in the flows directory, all
/// checked against the catalog.
pub(crate) fn load_flows(settings: &Settings, catalog: &Catalog) -> anyhow::Result<Vec<Flow>> {
    let loaded = load_flow_set(&settings.flows_dir, catalog)
        .with_context(|| format!("cannot read the flows directory {}", settings.flows_dir.display()))?;
    let mut flows = Vec::new();
    let mut broken = Vec::new();
    for file in loaded {
        match file.result {
            Ok(flow) => flows.push(flow),
            Err(problems) => {
                for problem in problems {
                    broken.push(format!("{}: {problem}", file.path.display()));
                }
            }
        }
    }
    if !broken.is_empty() {
        bail!("refusing to start: the call flows have problems (run `sampark flows check`):\n{}", broken.join("\n"));
    }
    Ok(flows)
}
