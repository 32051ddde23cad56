"""Webhook endpoints of partner systems and their deliveries (API.md §5)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class WebhookCreate(BaseModel):
    url: str = Field(min_length=8, max_length=2000, description="http(s) URL that receives POSTs.")
    description: str = Field(default="", max_length=500)


class Webhook(BaseModel):
    id: uuid.UUID
    city: str
    url: str
    description: str
    created_at: datetime
    disabled_at: datetime | None
    disabled_reason: str | None


class NewWebhook(Webhook):
    secret: str = Field(
        description="Shown once: verify each delivery's `webhook-signature` with it "
        "(Standard Webhooks v1)."
    )


class Delivery(BaseModel):
    id: uuid.UUID = Field(description="The delivery; its `webhook-id` is `message_id`.")
    message_id: str
    type: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    created_at: datetime
    last_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
