"""Process settings, read once from the environment (and `.env`) by pydantic-settings.

Every knob the service has lives here and is documented in `.env.example`, so ops can see
in one place what a deployment can change without reading code.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
# Known to everyone who has read this file: fine on a laptop, refused anywhere else.
DEV_ENCRYPTION_KEY = "Z0iWzQ0o2mIp2yq3n9Jr6m0h1oV6H3Qw1Jmv1l7cS0M="
DEV_SESSION_SECRET = "dev-session-secret-change-me"
LOCAL_ENVIRONMENTS = ("development", "test")


class UnsafeSettings(RuntimeError):
    """A process outside development/test was configured with a built-in or missing secret."""


class Settings(BaseSettings):
    """Deployment settings; runtime-editable business settings live in the `app_settings` table."""

    model_config = SettingsConfigDict(
        env_file=ROOT / ".env", env_file_encoding="utf-8", extra="ignore", env_prefix=""
    )

    environment: str = Field(default="development", alias="SHOPOPS_ENV")
    data_dir: Path = Field(default=ROOT / ".data", alias="SHOPOPS_DATA_DIR")

    database_url: str = Field(
        default="postgresql+psycopg://postgres@127.0.0.1:5432/shopops", alias="DATABASE_URL"
    )
    # Connections per process and event loop: pool + overflow; a request waits pool_timeout
    # seconds for one, then gets a 503. PostgreSQL's max_connections must cover every process:
    # (API replicas + worker processes) × (pool + overflow), or put PgBouncer in front.
    database_pool_size: int = Field(default=10, ge=1, alias="DATABASE_POOL_SIZE")
    database_max_overflow: int = Field(default=10, ge=0, alias="DATABASE_MAX_OVERFLOW")
    database_pool_timeout: float = Field(default=30, gt=0, alias="DATABASE_POOL_TIMEOUT")
    redis_url: str = Field(default="redis://127.0.0.1:6379/0", alias="REDIS_URL")
    # answer kind=seconds pairs overriding db.tagged_cache.TTL_BY_KIND, e.g. "shops=30,segments=600"
    cache_ttls: str = Field(default="", alias="CACHE_TTLS")
    # how long the reader that finds a trailing answer (counts, a run's live state) stale after a
    # write waits for its refresh before it takes the previous answer
    # (db.tagged_cache.cached_trailing); the refresh goes on in the background
    cache_refresh_wait_ms: int = Field(default=50, ge=0, alias="CACHE_REFRESH_WAIT_MS")
    temporal_address: str = Field(default="127.0.0.1:7233", alias="TEMPORAL_ADDRESS")
    temporal_namespace: str = Field(default="default", alias="TEMPORAL_NAMESPACE")
    temporal_ui_url: str = Field(default="http://127.0.0.1:8233", alias="TEMPORAL_UI_URL")

    api_host: str = Field(default="127.0.0.1", alias="API_HOST")
    # after its warm-up the API moves the objects alive then out of the garbage collector's
    # full passes (api.warmup): a 200 ms pause every ~10 s under load becomes ~3 ms
    api_gc_freeze: bool = Field(default=True, alias="API_GC_FREEZE")
    api_port: int = Field(default=8000, alias="API_PORT")
    public_base_url: str = Field(default="http://127.0.0.1:8000", alias="PUBLIC_BASE_URL")
    # signs the CSRF token derived from a session (so a planted cookie cannot forge one)
    session_secret: SecretStr = Field(default=SecretStr(DEV_SESSION_SECRET), alias="SESSION_SECRET")

    # Comma-separated Fernet keys; the first encrypts, all decrypt (rotation).
    encryption_keys: SecretStr = Field(default=SecretStr(DEV_ENCRYPTION_KEY), alias="ENCRYPTION_KEYS")

    # Cookies only over HTTPS; unset = on everywhere but development and test
    cookie_secure: bool | None = Field(default=None, alias="COOKIE_SECURE")
    # Origins besides our own and PUBLIC_BASE_URL's allowed to send state-changing requests
    # (comma-separated), e.g. a UI served from another host
    csrf_trusted_origins: str = Field(default="", alias="CSRF_TRUSTED_ORIGINS")
    # Sign-in throttling: failures allowed before a lockout, per e-mail and per client IP; the
    # lockout starts at signin_lockout_seconds and doubles with every further failure
    signin_max_failures_account: int = Field(default=5, ge=1, alias="SIGNIN_MAX_FAILURES_ACCOUNT")
    signin_max_failures_ip: int = Field(default=20, ge=1, alias="SIGNIN_MAX_FAILURES_IP")
    signin_lockout_seconds: int = Field(default=30, ge=1, alias="SIGNIN_LOCKOUT_SECONDS")
    signin_lockout_max_seconds: int = Field(default=3600, ge=1, alias="SIGNIN_LOCKOUT_MAX_SECONDS")
    # failures are forgotten this long after the last one and after the lockout ended
    signin_failure_window_seconds: int = Field(default=900, ge=1, alias="SIGNIN_FAILURE_WINDOW_SECONDS")

    # catalog feeds (README "Feeds"): gzip level of the feed files; B2B API requests per key a minute
    feeds_gzip_level: int = Field(default=6, ge=1, le=9, alias="FEEDS_GZIP_LEVEL")
    b2b_rate_limit_per_minute: int = Field(default=120, ge=1, alias="B2B_RATE_LIMIT_PER_MINUTE")
    shoptet_api_url: str = Field(default="http://127.0.0.1:8900", alias="SHOPTET_API_URL")
    shoptet_partner_url: str = Field(default="http://127.0.0.1:8900", alias="SHOPTET_PARTNER_URL")
    shoptet_client_id: str = Field(default="shopops-dev", alias="SHOPTET_CLIENT_ID")
    shoptet_client_secret: SecretStr = Field(
        default=SecretStr("shopops-dev-secret"), alias="SHOPTET_CLIENT_SECRET"
    )
    # requests in flight per shop across every process (Shoptet allows 3 per API token)
    shoptet_max_in_flight: int = Field(default=3, ge=1, alias="SHOPTET_MAX_IN_FLIGHT")
    # Open-Meteo-compatible weather archive (GET /v1/archive) of the inventory forecasts; the
    # sandbox serves one locally, https://archive-api.open-meteo.com is the real one
    weather_api_url: str = Field(default="http://127.0.0.1:8900", alias="WEATHER_API_URL")
    sandbox_host: str = Field(default="127.0.0.1", alias="SANDBOX_HOST")
    sandbox_port: int = Field(default=8900, alias="SANDBOX_PORT")

    # Point-in-time recovery: where archived WAL and base backups live (on the database host),
    # and a direct connection to the server whose WAL is archived: pg_basebackup needs a
    # replication connection, which a pooler in DATABASE_URL (PgBouncer) cannot give.
    pitr_dir: Path | None = Field(default=None, alias="PITR_DIR")
    pitr_source_url: str | None = Field(default=None, alias="PITR_SOURCE_URL")

    otel_exporter: str = Field(default="none", alias="OTEL_EXPORTER")  # otlp | console | none
    otel_endpoint: str = Field(default="http://127.0.0.1:4318", alias="OTEL_EXPORTER_OTLP_ENDPOINT")
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    # Prometheus endpoint of a worker process (0 = none); the API serves /metrics itself
    worker_metrics_port: int = Field(default=0, alias="WORKER_METRICS_PORT")

    # A read replica (streaming standby) for heavy reads: analytics, reports, exports,
    # monitoring. Unset = those reads go to DATABASE_URL (see db.engine.replica_session).
    database_replica_url: str | None = Field(default=None, alias="DATABASE_REPLICA_URL")
    # The role of a worker process: the task queues it polls (comma-separated, short names such
    # as `snapshots,sync` or full ones; empty = all). `shopops worker -q …` overrides it.
    worker_queues: str = Field(default="", alias="WORKER_QUEUES")
    # Whether this worker process creates/updates the Temporal schedules at start (one role
    # per deployment is enough; it is idempotent, so more do no harm)
    worker_schedules: bool = Field(default=True, alias="WORKER_SCHEDULES")
    # Activities one worker process runs at once per queue it polls; 0 = each queue's own
    # figure (infra/queue_settings.py: 2 exports, 32 webhook deliveries, 8 elsewhere)
    worker_max_activities: int = Field(default=0, ge=0, alias="WORKER_MAX_ACTIVITIES")
    # On SIGTERM a worker stops polling and gives running activities this long to finish;
    # then they are cancelled and retried elsewhere from their last heartbeat. Keep it below
    # the orchestrator's grace period (compose stop_grace_period, k8s terminationGracePeriodSeconds)
    worker_shutdown_seconds: float = Field(default=10, ge=0, alias="WORKER_SHUTDOWN_SECONDS")
    # Liveness/readiness HTTP endpoint of a worker process (0 = none): /live and /ready
    worker_health_port: int = Field(default=0, alias="WORKER_HEALTH_PORT")
    # How often a worker publishes its queues' backlog as the gauge shopops_task_queue_backlog
    worker_backlog_interval_seconds: float = Field(default=15, gt=0, alias="WORKER_BACKLOG_INTERVAL_SECONDS")
    # Search documents of a full snapshot: "after" = built once, set-based, after the run on the
    # indexing queue; "batch" = refreshed in every ingest batch's transaction (slower ingest;
    # the bench compares the two). Sync and incremental snapshots always refresh per change.
    snapshot_search_index: Literal["after", "batch"] = Field(default="after", alias="SNAPSHOT_SEARCH_INDEX")
    # Seconds the install callback may take (Shoptet fails an install after 5 s); only a test
    # harness on an oversubscribed machine (`make chaos`) raises it, with the sandbox's budget
    install_budget_seconds: float = Field(default=4.5, gt=1, alias="INSTALL_BUDGET_SECONDS")
    # Seconds between the API's sweeps of the webhook outbox (events stored but not dispatched:
    # Temporal was down, or the API died in between); `make chaos` sweeps every 5 s
    webhook_outbox_seconds: float = Field(default=30.0, gt=0, alias="WEBHOOK_OUTBOX_SECONDS")
    # Milliseconds a webhook's sync nudge waits so that every notification for one shop and
    # resource within the window costs one trailing schedule trigger (a Redis lease, SET NX PX,
    # picks the one API process that triggers); 0 = trigger per webhook as it arrives
    webhook_nudge_window_ms: int = Field(default=500, ge=0, le=60_000, alias="WEBHOOK_NUDGE_WINDOW_MS")
    # Outgoing e-mail (reports, notifications, purchase orders); unset SMTP_HOST = e-mail off
    smtp_host: str | None = Field(default=None, alias="SMTP_HOST")
    smtp_port: int = Field(default=587, alias="SMTP_PORT")
    smtp_user: str | None = Field(default=None, alias="SMTP_USER")
    smtp_password: SecretStr | None = Field(default=None, alias="SMTP_PASSWORD")
    smtp_starttls: bool = Field(default=True, alias="SMTP_STARTTLS")
    smtp_from: str = Field(default="shopops@localhost", alias="SMTP_FROM")
    # An OpenAI-compatible chat endpoint (…/v1); unset AI_BASE_URL = AI features off
    ai_base_url: str | None = Field(default=None, alias="AI_BASE_URL")
    ai_api_key: SecretStr | None = Field(default=None, alias="AI_API_KEY")
    ai_model: str = Field(default="gpt-4o-mini", alias="AI_MODEL")
    # Notifications: the same kind and key within this window count as a repeat, not a message;
    # more than NOTIFY_DIGEST_AFTER messages to one user and channel in NOTIFY_DIGEST_WINDOW
    # become one digest
    notify_dedup_window_seconds: int = Field(default=3600, ge=0, alias="NOTIFY_DEDUP_WINDOW_SECONDS")
    notify_digest_after: int = Field(default=10, ge=1, alias="NOTIFY_DIGEST_AFTER")
    notify_digest_window_seconds: int = Field(default=3600, ge=1, alias="NOTIFY_DIGEST_WINDOW_SECONDS")
    # Exports: how long a finished file can be downloaded before the cleanup deletes it
    export_ttl_hours: float = Field(default=24, gt=0, alias="EXPORT_TTL_HOURS")
    # Search (README "Search"): which backend holds the documents and answers /api/search.
    # `opensearch`: ingest and sync feed OPENSEARCH_URL's index through the SearchBackend
    # interface instead of `search_documents`
    search_backend: str = Field(default="postgres", pattern="^(postgres|opensearch)$", alias="SEARCH_BACKEND")
    opensearch_url: str | None = Field(default=None, alias="OPENSEARCH_URL")
    opensearch_index: str = Field(default="shopops-search", alias="OPENSEARCH_INDEX")
    # Exports: signed download links (HMAC with SESSION_SECRET) stay valid this many seconds
    export_link_seconds: int = Field(default=900, ge=30, alias="EXPORT_LINK_SECONDS")
    # Retention (the daily cleanup, README "Backups and recovery"): days kept before deletion of
    # sent/failed e-mails, finished outbound webhook deliveries (with their attempts), weekly
    # reports, and the rows of exports whose file has expired
    retention_sent_mails_days: int = Field(default=90, ge=1, alias="RETENTION_SENT_MAILS_DAYS")
    retention_webhook_deliveries_days: int = Field(default=30, ge=1, alias="RETENTION_WEBHOOK_DELIVERIES_DAYS")
    retention_reports_days: int = Field(default=400, ge=1, alias="RETENTION_REPORTS_DAYS")
    retention_exports_days: int = Field(default=30, ge=1, alias="RETENTION_EXPORTS_DAYS")

    # Outbound webhooks: the first retry waits backoff, each next one twice as long up to
    # max_backoff, for at most retry_hours; disable_after failed deliveries in a row turn the
    # endpoint off. Private/loopback targets are refused unless allowed (default: development/test).
    outbound_webhook_backoff_seconds: float = Field(default=30, gt=0, alias="OUTBOUND_WEBHOOK_BACKOFF_SECONDS")
    outbound_webhook_max_backoff_seconds: float = Field(default=3600, gt=0, alias="OUTBOUND_WEBHOOK_MAX_BACKOFF_SECONDS")
    outbound_webhook_retry_hours: float = Field(default=24, gt=0, alias="OUTBOUND_WEBHOOK_RETRY_HOURS")
    outbound_webhook_disable_after: int = Field(default=5, ge=1, alias="OUTBOUND_WEBHOOK_DISABLE_AFTER")
    outbound_webhook_timeout_seconds: float = Field(default=10, gt=0, alias="OUTBOUND_WEBHOOK_TIMEOUT_SECONDS")
    outbound_webhook_allow_private: bool | None = Field(default=None, alias="OUTBOUND_WEBHOOK_ALLOW_PRIVATE")

    @property
    def outbound_private_allowed(self) -> bool:
        if self.outbound_webhook_allow_private is not None:
            return self.outbound_webhook_allow_private
        return self.is_local

    @property
    def export_dir(self) -> Path:
        return self.data_dir / "exports"

    @property
    def is_local(self) -> bool:
        return self.environment in LOCAL_ENVIRONMENTS

    @property
    def secure_cookies(self) -> bool:
        return self.cookie_secure if self.cookie_secure is not None else not self.is_local

    def refuse_unsafe_secrets(self) -> None:
        """Stop a server or worker outside development/test that would run on a secret
        published in this repository (or none): every stored token would decrypt with it."""
        if self.is_local:
            return
        keys = [k.strip() for k in self.encryption_keys.get_secret_value().split(",") if k.strip()]
        problems: list[str] = []
        if not keys:
            problems.append(
                "ENCRYPTION_KEYS is empty: set it to a Fernet key of your own "
                '(python -c "from cryptography.fernet import Fernet; '
                'print(Fernet.generate_key().decode())")'
            )
        elif DEV_ENCRYPTION_KEY in keys:
            problems.append(
                "ENCRYPTION_KEYS contains the development key from db/config.py: put a key of "
                "your own first, run `shopops rotate-keys`, then remove the development key"
            )
        if self.session_secret.get_secret_value() in ("", DEV_SESSION_SECRET):
            problems.append(
                "SESSION_SECRET is the development default or empty: set a long random value "
                '(python -c "import secrets; print(secrets.token_urlsafe(48))")'
            )
        if problems:
            raise UnsafeSettings(
                f"refusing to start with SHOPOPS_ENV={self.environment}: " + "; ".join(problems)
            )

    @property
    def snapshot_dir(self) -> Path:
        return self.data_dir / "snapshots"

    @property
    def backup_dir(self) -> Path:
        return self.data_dir / "backups"

    @property
    def pitr_root(self) -> Path:
        return self.pitr_dir or self.data_dir / "pitr"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; tests clear the cache after changing the environment."""
    return Settings()
