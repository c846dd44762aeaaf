"""The publishing configuration (orchestration/publish/destinations.yml), read and checked."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DEFAULT_DESTINATIONS_FILE = Path(__file__).with_name("destinations.yml")
DESTINATIONS_ENV = "LEADQUAL_DESTINATIONS"
TYPES = ("files", "postgres", "http")
MODES = ("upsert", "mirror")
COMMON_KEYS = {"name", "type", "mode", "enabled"}
TYPE_KEYS = {
    "files": {"path"},
    "postgres": {"dsn_env", "table"},
    "http": {
        "url",
        "delete_url",
        "token_env",
        "batch_size",
        "requests_per_second",
        "max_attempts",
        "timeout_seconds",
    },
}
REQUIRED_KEYS = {"files": {"path"}, "postgres": {"dsn_env", "table"}, "http": {"url"}}
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
TABLE_PATTERN = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$")


class PublishConfigError(ValueError):
    """The destinations file is unreadable or invalid; the message lists every problem."""


@dataclass(frozen=True)
class Destination:
    name: str
    type: str
    mode: str = "upsert"
    enabled: bool = True
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def mirrors(self) -> bool:
        return self.mode == "mirror"

    def secret(self, key: str) -> str | None:
        """The value of the environment variable the option ``key`` names."""
        variable = self.options.get(key)
        return os.environ.get(variable) if variable else None


@dataclass(frozen=True)
class Notifications:
    webhook_url_env: str | None = None
    digest_path: str | None = None

    @property
    def webhook_url(self) -> str | None:
        return os.environ.get(self.webhook_url_env) or None if self.webhook_url_env else None


@dataclass(frozen=True)
class PublishConfig:
    source: Path
    destinations: tuple[Destination, ...]
    notifications: Notifications

    @property
    def enabled(self) -> tuple[Destination, ...]:
        return tuple(d for d in self.destinations if d.enabled)


def destinations_path() -> Path:
    configured = os.environ.get(DESTINATIONS_ENV)
    return Path(configured).expanduser().resolve() if configured else DEFAULT_DESTINATIONS_FILE


def load_publish_config(path: Path | None = None) -> PublishConfig:
    path = Path(path) if path else destinations_path()
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise PublishConfigError(f"{path}: cannot read the destinations: {error}") from None
    problems: list[str] = []
    if not isinstance(document, dict):
        raise PublishConfigError(f"{path}: expected a mapping with destinations")
    for key in set(document) - {"destinations", "notifications"}:
        problems.append(f"unknown key {key!r}")
    destinations = [
        destination
        for index, raw in enumerate(document.get("destinations") or [])
        if (destination := _destination(index, raw, problems)) is not None
    ]
    names = [d.name for d in destinations]
    problems += [
        f"destination name {n!r} is used twice" for n in sorted(set(names)) if names.count(n) > 1
    ]
    notifications = _notifications(document.get("notifications") or {}, problems)
    if problems:
        raise PublishConfigError(f"{path}: " + "; ".join(problems))
    return PublishConfig(path, tuple(destinations), notifications)


def _destination(index: int, raw: Any, problems: list[str]) -> Destination | None:
    where = f"destinations[{index}]"
    if not isinstance(raw, dict):
        problems.append(f"{where} must be a mapping")
        return None
    kind = raw.get("type")
    if kind not in TYPES:
        problems.append(f"{where}.type must be one of {', '.join(TYPES)}, got {kind!r}")
        return None
    name = raw.get("name")
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        problems.append(f"{where}.name must be snake_case, got {name!r}")
        return None
    where = f"destination {name}"
    unknown = set(raw) - COMMON_KEYS - TYPE_KEYS[kind]
    problems += [f"{where}: unknown key {key!r} for type {kind}" for key in sorted(unknown)]
    missing = REQUIRED_KEYS[kind] - set(raw)
    problems += [f"{where}: {key} is required" for key in sorted(missing)]
    mode = raw.get("mode", "upsert")
    if mode not in MODES:
        problems.append(f"{where}: mode must be upsert or mirror, got {mode!r}")
    if kind == "postgres" and "table" in raw and not TABLE_PATTERN.match(str(raw["table"])):
        problems.append(f"{where}: table must be schema.table in lowercase, got {raw['table']!r}")
    if mode == "mirror" and kind == "http" and not raw.get("delete_url"):
        problems.append(f"{where}: mirror mode needs delete_url")
    for key in ("batch_size", "max_attempts"):
        if key in raw and (
            not isinstance(raw[key], int) or isinstance(raw[key], bool) or raw[key] < 1
        ):
            problems.append(f"{where}: {key} must be a whole number >= 1")
    for key in ("requests_per_second", "timeout_seconds"):
        if key in raw and (
            not isinstance(raw[key], int | float) or isinstance(raw[key], bool) or raw[key] <= 0
        ):
            problems.append(f"{where}: {key} must be a number > 0")
    # Optional keys may be null (not set); required ones may not.
    optional = {"delete_url", "token_env"}
    for key in ("url", "delete_url"):
        if key in raw and not (
            (raw[key] is None and key in optional)
            or (isinstance(raw[key], str) and raw[key].lower().startswith(("http://", "https://")))
        ):
            problems.append(f"{where}: {key} must be an http:// or https:// address")
    for key in ("path", "table", "dsn_env", "token_env"):
        if key in raw and not (
            (raw[key] is None and key in optional)
            or (isinstance(raw[key], str) and raw[key].strip())
        ):
            problems.append(f"{where}: {key} must be a non-empty text")
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        problems.append(f"{where}: enabled must be true or false, got {enabled!r}")
    options = {k: v for k, v in raw.items() if k not in COMMON_KEYS}
    return Destination(name, kind, mode, enabled is True, options)


def _notifications(raw: Any, problems: list[str]) -> Notifications:
    if not isinstance(raw, dict):
        problems.append("notifications must be a mapping")
        return Notifications()
    unknown = set(raw) - {"webhook_url_env", "digest_path"}
    problems += [f"notifications: unknown key {key!r}" for key in sorted(unknown)]
    for key in ("webhook_url_env", "digest_path"):
        if raw.get(key) is not None and not (isinstance(raw[key], str) and raw[key].strip()):
            problems.append(f"notifications: {key} must be a non-empty text")
    return Notifications(raw.get("webhook_url_env"), raw.get("digest_path"))
