"""What the catalog's routers share."""

from __future__ import annotations

PREFIX = "/api/v1/catalog"
