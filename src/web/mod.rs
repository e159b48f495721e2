//! actix-web: one route table, the auth extractors, thin handlers (JSON API and HTML
//! pages side by side), and the one place errors become responses.
//! Invariant: handlers parse input, call one use case through `Db::run`, and shape the
//! output; rules live in `domain` and `workflow`.

pub mod api;
pub mod audit_words;
pub mod auth;
pub mod client;
pub mod disposal_api;
pub mod disposal_pages;
pub mod errors;
pub mod export;
pub mod forms;
pub mod headers;
pub mod i18n;
pub mod intake_api;
pub mod intake_pages;
pub mod lab_api;
pub mod lab_pages;
pub mod labels;
pub mod login;
pub mod multipart;
pub mod openapi;
pub mod pages;
pub mod public_api;
pub mod public_pages;
pub mod ratelimit;
pub mod redirect;
pub mod reports_api;
pub mod reports_pages;
pub mod retention_api;
pub mod retention_pages;
pub mod screening;
pub mod session;
pub mod stats_api;
pub mod stats_pages;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};

use crate::clock::SharedClock;
use crate::config::Config;
use crate::db::Db;

/// What every handler shares: the database, the clock and the configuration.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub clock: SharedClock,
    pub config: Arc<Config>,
    pub signer: session::Signer,
    /// Public report verification, per client address.
    pub verify_limiter: Arc<ratelimit::RateLimiter>,
    /// Public nominations and supports, per client address.
    pub nominate_limiter: Arc<ratelimit::RateLimiter>,
    /// Bounds the password hashes running at once (logins).
    pub hash_gate: Arc<login::HashGate>,
    /// Login lock-outs this instance saw, answered from memory until they end.
    pub login_locks: Arc<login::LockCache>,
    /// When this instance last pruned the tables of limits.
    pub pruner: Arc<ratelimit::Pruner>,
}

impl AppState {
    pub fn new(db: Db, clock: SharedClock, config: Config) -> AppState {
        let signer = session::Signer::new(&config.secret);
        let pruner = Arc::new(ratelimit::Pruner::default());
        let limiter = |name, limit| {
            Arc::new(ratelimit::RateLimiter::new(
                name,
                limit,
                60,
                db.clone(),
                pruner.clone(),
            ))
        };
        AppState {
            verify_limiter: limiter("verify", config.verify_per_minute),
            nominate_limiter: limiter("nominate", config.nominate_per_minute),
            hash_gate: Arc::new(login::HashGate::for_this_machine()),
            login_locks: Arc::default(),
            pruner,
            db,
            clock,
            config: Arc::new(config),
            signer,
        }
    }

    /// Now, as the database stores it (UTC, microseconds): the one clock accessor of
    /// the web layer.
    pub fn now(&self) -> chrono::NaiveDateTime {
        self.clock.now_naive()
    }

    /// Runs one use case on the blocking pool in its context: a pooled connection, now
    /// (read once, here) and the actor.
    pub async fn call<T, F>(
        &self,
        actor: crate::workflow::Actor,
        f: F,
    ) -> crate::error::AppResult<T>
    where
        F: FnOnce(&mut crate::workflow::Ctx<'_>) -> crate::error::AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let now = self.now();
        self.db
            .run(move |conn| f(&mut crate::workflow::Ctx::new(conn, now, &actor)))
            .await
    }

    /// What issuing and verifying reports needs from the configuration.
    pub fn issuer(&self) -> crate::workflow::reports::Issuer {
        crate::workflow::reports::Issuer {
            base_url: self.config.base_url.clone(),
            key: self.config.secret.clone(),
        }
    }

    /// Whether cookies must be marked Secure (the public URL is https).
    pub fn secure_cookies(&self) -> bool {
        self.config.base_url.starts_with("https://")
    }
}

/// The whole route table, used by `main` and by the tests alike.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(errors::json_config())
        .app_data(errors::query_config())
        .app_data(errors::path_config())
        .app_data(errors::form_config())
        .route("/healthz", web::get().to(api::healthz))
        .service(
            web::scope("/api/v1")
                .configure(api::configure)
                .configure(intake_api::configure)
                .configure(labels::configure_api)
                .configure(lab_api::configure)
                .configure(retention_api::configure)
                .configure(reports_api::configure)
                .configure(disposal_api::configure)
                .configure(public_api::configure)
                .configure(screening::configure_api)
                .configure(stats_api::configure)
                .default_service(web::to(errors::not_found)),
        )
        .configure(pages::configure)
        .configure(intake_pages::configure)
        .configure(retention_pages::configure)
        .configure(lab_pages::configure)
        .configure(labels::configure_pages)
        .configure(reports_pages::configure)
        .configure(disposal_pages::configure)
        .configure(public_pages::configure)
        .configure(screening::configure_pages)
        .configure(stats_pages::configure)
        .default_service(web::to(errors::not_found));
}

/// Starts the HTTP server on `listener` (workers sized for this machine).
pub fn start(state: AppState, listener: TcpListener, workers: usize) -> std::io::Result<Server> {
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .wrap(actix_web::middleware::from_fn(errors::render_errors))
            .wrap(actix_web::middleware::Compress::default())
            .wrap(actix_web::middleware::from_fn(headers::security_headers))
            .configure(configure)
    })
    .workers(workers.max(1))
    .listen(listener)?
    .run();
    Ok(server)
}
