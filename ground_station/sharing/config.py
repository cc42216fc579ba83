"""The ``sharing`` section of the station config: this centre's federation identity and its partners.

Off by default: a station that is not configured for federation opens no listener and shares nothing.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

SLUG = r"^[a-z0-9][a-z0-9-]{0,62}$"
"""Same as ``ground_station.sharing.model.SLUG``; repeated so loading the config does not load shapely."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PartnerConfig(_Strict):
    centre: str = Field(pattern=SLUG)
    """The partner's organisation slug: the CN of its certificate and the ``partner`` of agreements."""
    ca_file: Path
    """The partner's CA, as exported by its ``borderwatch federation init``."""
    url: str | None = Field(default=None, pattern=r"^wss://\S+$")
    """Set on the side that dials (``wss://host:port``); the other side waits for the connection."""
    revoked_serials: list[str] = Field(default_factory=list)
    """Hex serial numbers of the partner's certificates that must no longer be accepted."""


class SharingConfig(_Strict):
    enabled: bool = False
    listen_host: str = "127.0.0.1"
    listen_port: int | None = Field(default=None, ge=0, le=65535)
    """None: do not listen (only dial). 0: an ephemeral port (tests)."""
    cert_file: Path | None = None
    key_file: Path | None = None
    ca_file: Path | None = None
    partners: list[PartnerConfig] = Field(default_factory=list)
    max_retention_s: int = Field(default=24 * 3600, gt=0)
    """The longest this centre keeps partner data, whatever the sender's stamp allows."""
    digest_interval_s: float = Field(default=60.0, gt=0)
    """How often open sessions are summarised in the audit and the chain head is sent to partners."""
    rate_per_s: float = Field(default=5000.0, gt=0)
    """Frames a partner may send per second (burst: twice that) before its link is cut as flooding."""

    @model_validator(mode="after")
    def _complete(self) -> SharingConfig:
        if self.enabled and (self.cert_file is None or self.key_file is None or self.ca_file is None):
            raise ValueError(
                "sharing.enabled needs cert_file, key_file and ca_file (borderwatch federation init)"
            )
        return self
