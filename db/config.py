"""Process settings, read once from the environment (and `.env`) by pydantic-settings.

Every knob the service has lives here and is documented in `.env.example`, so ops can see
in one place what a deployment can change without reading code.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


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
    redis_url: str = Field(default="redis://127.0.0.1:6379/0", alias="REDIS_URL")
    temporal_address: str = Field(default="127.0.0.1:7233", alias="TEMPORAL_ADDRESS")
    temporal_namespace: str = Field(default="default", alias="TEMPORAL_NAMESPACE")
    temporal_ui_url: str = Field(default="http://127.0.0.1:8233", alias="TEMPORAL_UI_URL")

    api_host: str = Field(default="127.0.0.1", alias="API_HOST")
    api_port: int = Field(default=8000, alias="API_PORT")
    public_base_url: str = Field(default="http://127.0.0.1:8000", alias="PUBLIC_BASE_URL")
    session_secret: SecretStr = Field(
        default=SecretStr("dev-session-secret-change-me"), alias="SESSION_SECRET"
    )

    # Comma-separated Fernet keys; the first encrypts, all decrypt (rotation).
    encryption_keys: SecretStr = Field(
        default=SecretStr("Z0iWzQ0o2mIp2yq3n9Jr6m0h1oV6H3Qw1Jmv1l7cS0M="), alias="ENCRYPTION_KEYS"
    )

    shoptet_api_url: str = Field(default="http://127.0.0.1:8900", alias="SHOPTET_API_URL")
    shoptet_partner_url: str = Field(default="http://127.0.0.1:8900", alias="SHOPTET_PARTNER_URL")
    shoptet_client_id: str = Field(default="shopops-dev", alias="SHOPTET_CLIENT_ID")
    shoptet_client_secret: SecretStr = Field(
        default=SecretStr("shopops-dev-secret"), alias="SHOPTET_CLIENT_SECRET"
    )
    # requests in flight per shop across every process (Shoptet allows 3 per API token)
    shoptet_max_in_flight: int = Field(default=3, ge=1, alias="SHOPTET_MAX_IN_FLIGHT")
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
