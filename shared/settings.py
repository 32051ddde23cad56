"""Configuration from the environment, validated once at start-up.

Every variable is prefixed `MAGNET_` except `DATABASE_URL`, which keeps the name that
hosting platforms and ops already use.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import TYPE_CHECKING, Annotated, Self
from urllib.parse import urlsplit

from pydantic import AliasChoices, EmailStr, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

if TYPE_CHECKING:
    from starlette.requests import Request

DEV_SECRET = "magnet-local-development-secret-change-me"  # noqa: S105 (refused in production)
SERVICE_NAMES = ("catalog", "participation", "transfer")


class Environment(StrEnum):
    LOCAL = "local"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MAGNET_", extra="ignore", env_ignore_empty=True)

    environment: Environment = Environment.LOCAL
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "MAGNET_DATABASE_URL")
    )
    data_dir: str | None = None
    secret_key: SecretStr = SecretStr(DEV_SECRET)
    # Earlier secrets, comma-separated: tokens they signed still verify until they expire.
    previous_secret_keys: Annotated[list[SecretStr], NoDecode] = []
    token_ttl_seconds: int = Field(default=3600, ge=60, le=86_400)
    admin_email: EmailStr | None = None
    admin_password: SecretStr | None = None

    host: str = "127.0.0.1"
    gateway_port: int = Field(default=8000, ge=1, le=65535)
    catalog_port: int = Field(default=8001, ge=1, le=65535)
    participation_port: int = Field(default=8002, ge=1, le=65535)
    transfer_port: int = Field(default=8003, ge=1, le=65535)
    catalog_url: str | None = None
    participation_url: str | None = None
    transfer_url: str | None = None
    # Where clients reach the platform (the gateway, or a proxy in front of it): every link
    # the API hands out starts with it. Unset: the gateway's own address.
    public_url: str | None = None
    # Where people open the links of their mails (the web app's pages that verify an address
    # or set a new password, by POSTing the link's token). Unset: the public address.
    app_url: str | None = None

    # Four processes share one PostgreSQL (100 connections by default): 4 x 20 leaves room.
    # No overflow by default: overflow connections are opened and closed per request under
    # load, which costs more than waiting for a pooled one.
    db_pool_size: int = Field(default=20, ge=1, le=500)
    db_pool_overflow: int = Field(default=0, ge=0, le=500)
    db_pool_timeout: float = Field(default=5.0, gt=0)
    db_statement_timeout_ms: int = Field(default=15_000, ge=100)
    # DATABASE_URL points at PgBouncer in transaction mode: no named prepared statements,
    # no startup parameters PgBouncer refuses (statement_timeout then belongs to the role).
    db_pgbouncer: bool = False
    peer_connect_timeout: float = Field(default=1.0, gt=0)
    peer_timeout: float = Field(default=5.0, gt=0)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)

    # `magnet serve`: processes per service, and how long a SIGTERM waits for requests in
    # flight (under the pod's grace period, 30 s by default, less its preStop pause).
    workers: int = Field(default=1, ge=1, le=64)
    # How long a worker process may take to answer its supervisor before it is replaced. A
    # worker still starting on a busy core (CPU-limited pod, several workers) needs far more
    # than uvicorn's 5 s, or it is killed and respawned for ever and the port never serves.
    worker_healthcheck_seconds: int = Field(default=60, ge=1, le=600)
    shutdown_timeout_seconds: float = Field(default=20.0, gt=0)

    log_level: str = "INFO"
    log_json: bool = True
    access_log: bool = True
    cors_origins: Annotated[list[str], NoDecode] = []
    # The gateway's edge (the services ignore these). Rate limits are per minute; 0 = off.
    upstream_failure_threshold: int = Field(default=5, ge=1)
    upstream_pause_seconds: float = Field(default=5.0, gt=0)
    dashboard_deadline_seconds: float = Field(default=2.0, gt=0)
    rate_limit_per_minute: int = Field(default=6000, ge=0)
    rate_limit_per_address_per_minute: int = Field(default=12000, ge=0)
    login_attempts_per_minute: int = Field(default=10, ge=1)
    # Set: the gateway's rate limits are counted in Redis, shared by every replica.
    redis_url: str | None = None
    rate_limit_key_prefix: str = "magnet"
    login_attempts_per_address_per_minute: int = Field(default=60, ge=1)
    # Residents' sign-ups and password resets, per hour: from one client address, and for
    # one email address (each sends a mail, so these also bound the mail one address gets).
    resident_requests_per_address_per_hour: int = Field(default=30, ge=1)
    resident_requests_per_email_per_hour: int = Field(default=5, ge=1)
    # Who publishes the transfer plans as IATI activities (the transfer service's iati.xml).
    # The ref prefixes every activity identifier, so it may not hold / & | ? or spaces.
    iati_reporting_org_ref: str = Field(
        default="MAGNET-CELJE", min_length=1, max_length=100, pattern=r"^[^/&|?\s]+$"
    )
    iati_reporting_org_name: str = Field(default="City Municipality of Celje", min_length=1)
    iati_reporting_org_type: str = Field(default="10", pattern=r"^[0-9]{2}$")
    # Password hashing (argon2id) at the gateway: threads (0 = the cores this process may
    # use), logins of one address hashed at once, and the longest wait for a thread.
    password_hashing_threads: int = Field(default=0, ge=0, le=64)
    logins_at_once_per_address: int = Field(default=2, ge=1)
    password_hashing_max_wait_seconds: float = Field(default=2.0, gt=0)
    # Hostile clients get bounded waits: a request's head and its body each arrive within
    # their time or the connection gets a 408; heads are bounded in size (431).
    header_timeout_seconds: float = Field(default=10.0, gt=0)
    body_timeout_seconds: float = Field(default=30.0, gt=0)
    max_header_bytes: int = Field(default=32 * 1024, ge=1024)
    max_headers: int = Field(default=100, ge=10)
    upstream_connections: int = Field(default=256, ge=1)
    upstream_queue_seconds: float = Field(default=2.0, gt=0)
    # Peers whose `X-Forwarded-For` the gateway believes (CIDRs, comma-separated).
    trusted_proxies: Annotated[list[IPv4Network | IPv6Network], NoDecode] = []
    metrics_token: SecretStr | None = None
    dashboard_cache_seconds: float = Field(default=5.0, ge=0)
    # Background work (the worker): mail, webhooks and the schedules.
    worker_port: int = Field(default=8004, ge=1, le=65535)
    smtp_url: str | None = None
    mail_from: str = "MAGNET Celje <no-reply@magnet-celje.si>"
    registration_retention_days: int = Field(default=180, ge=1)
    # Residents' contributions: reports that hide an item pending a coordinator's review,
    # and contributions (proposals, supports, comments, reports) per resident per hour.
    reports_to_hide: int = Field(default=3, ge=1)
    contributions_per_hour: int = Field(default=60, ge=1)
    worker_poll_seconds: float = Field(default=2.0, gt=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    # How long a claimed message is left to its worker: far above the delivery timeouts.
    outbox_lease_seconds: float = Field(default=120.0, ge=1)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_networks(cls, value: object) -> object:
        if isinstance(value, str):
            return [ip_network(part.strip()) for part in value.split(",") if part.strip()]
        return value

    @field_validator("previous_secret_keys", mode="before")
    @classmethod
    def _split_secrets(cls, value: object) -> object:
        if isinstance(value, str):
            return [secret.strip() for secret in value.split(",") if secret.strip()]
        return value

    @field_validator("smtp_url")
    @classmethod
    def _check_smtp_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
            raise ValueError("must be smtp://host:port or smtps://host:port")
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        parts = urlsplit(value)
        if parts.scheme not in {"postgres", "postgresql", "postgresql+asyncpg"}:
            raise ValueError(f"must be a postgresql:// URL, got scheme {parts.scheme!r}")
        return value

    @field_validator("public_url", "app_url")
    @classmethod
    def _check_public_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("must be an absolute http:// or https:// URL")
        if parts.query or parts.fragment:
            raise ValueError("must have no query or fragment")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _refuse_default_secret_outside_local(self) -> Self:
        insecure = self.secret_key.get_secret_value() == DEV_SECRET
        if insecure and self.environment is Environment.PRODUCTION:
            raise ValueError("MAGNET_SECRET_KEY must be set to a secret of your own in production")
        if len(self.secret_key.get_secret_value()) < 32:
            raise ValueError("MAGNET_SECRET_KEY must be at least 32 characters long")
        return self

    def service_port(self, name: str) -> int:
        return {
            "gateway": self.gateway_port,
            "catalog": self.catalog_port,
            "participation": self.participation_port,
            "transfer": self.transfer_port,
            "worker": self.worker_port,
        }[name]

    @property
    def public_base_url(self) -> str:
        """The public address without a trailing slash: `MAGNET_PUBLIC_URL` or the gateway's."""
        if self.public_url:
            return self.public_url
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.gateway_port}"

    @property
    def app_base_url(self) -> str:
        """The web app's address without a trailing slash: `MAGNET_APP_URL` or the public one."""
        return self.app_url or self.public_base_url

    def service_url(self, name: str) -> str:
        configured: str | None = getattr(self, f"{name}_url", None)
        if configured:
            return configured.rstrip("/")
        return f"http://{self.host}:{self.service_port(name)}"


@lru_cache
def get_settings() -> Settings:
    return Settings()


def settings_of(request: Request) -> Settings:
    """The settings of the app serving `request` (set on `app.state` when it was built)."""
    settings: Settings = request.app.state.settings
    return settings
