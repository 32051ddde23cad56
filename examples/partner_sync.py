"""A partner city's sync client for MAGNET: push a batch, then pull the change feed.

    MAGNET_URL=https://magnet.example.org MAGNET_API_KEY=mgk_… \\
        python -m examples.partner_sync --city varazdin batch.json

A batch is `{"plans": [...], "milestones": [...], "indicators": [...], "reports": [...]}`,
each record keyed by your system's own `external_id` (see `POST /api/v1/transfer/cities/
{city}/sync` in the API docs). Without a batch file the client only pulls.

What makes it safe to run from a scheduler that crashes and retries:

- Each push gets a fresh `Idempotency-Key`, saved (with a digest of the batch) to a key file
  before it is sent and removed once the server has given a final answer. A run that died
  before reading the answer finds the file and sends the same batch with the same key, so the
  server returns the first answer instead of applying twice. A later push of the same batch
  is a new push with a new key: it is applied again (restoring anything changed on the server
  meanwhile) and answers `unchanged` where nothing was.
- The server keeps only answers that applied the batch: a refusal (stale `base_version`,
  invalid record) is not kept under its key, so once its cause is fixed the same batch is
  applied, whichever key it carries.
- The body is canonical JSON, gzip-compressed deterministically (mtime 0) when large: the
  server compares retries byte for byte, and a batch over 1 MiB uncompressed must be gzipped.
- Only failures that a retry can cure are retried (the connection, a 409 while the same key
  is still being processed, a 5xx), with exponential backoff or the server's `Retry-After`.
  A batch the server refused is reported, not retried.
- The feed cursor is saved to a file after each page, atomically; a client that stops
  anywhere resumes where it left off. Applying a change must therefore be idempotent: a
  crash between applying a page and saving its cursor replays that page.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt
from tenacity import wait_random_exponential as backoff

SYNC_PATH = "/api/v1/transfer/cities/{city}/sync"
FEED_PATH = "/api/v1/transfer/changes"
GZIP_ABOVE_BYTES = 64 * 1024  # the server refuses bodies over 1 MiB: compress long before
ATTEMPTS = 8
MAX_WAIT_SECONDS = 60.0
SYNC_CONFLICT = "urn:magnet:problem:sync-conflict"  # a stale base_version: final, not retried

Change = dict[str, Any]


class RetryableResponse(Exception):
    """An answer that a later attempt may improve on (in flight, 5xx)."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"{response.status_code} from {response.request.url}")
        self.response = response


def _retryable(response: httpx.Response) -> bool:
    if response.status_code != 409:
        return response.status_code >= 500
    # 409 is also the answer to a stale batch; only "same key still running" is worth a retry.
    try:
        return bool(response.json().get("type") != SYNC_CONFLICT)
    except (ValueError, AttributeError):
        return False


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


_exponential = backoff(multiplier=0.5, max=MAX_WAIT_SECONDS)


def _wait(state: RetryCallState) -> float:
    """The server's Retry-After when it gave one, else exponential backoff with jitter."""
    error = state.outcome.exception() if state.outcome else None
    if isinstance(error, RetryableResponse):
        after = _retry_after(error.response)
        if after is not None:
            return min(after, MAX_WAIT_SECONDS)
    return _exponential(state)


def send(
    client: httpx.Client, request: httpx.Request, *, sleep: Callable[[float], None] = time.sleep
) -> httpx.Response:
    """Send with retries on connection errors, 409-in-flight and 5xx; other answers return."""

    def attempt() -> httpx.Response:
        response = client.send(request)
        if _retryable(response):
            raise RetryableResponse(response)
        return response

    retrying = Retrying(
        retry=retry_if_exception_type((httpx.TransportError, RetryableResponse)),
        wait=_wait,
        stop=stop_after_attempt(ATTEMPTS),
        sleep=sleep,
        reraise=True,
    )
    return retrying(attempt)


# --- push ----------------------------------------------------------------------------------


def canonical(batch: dict[str, Any]) -> bytes:
    return json.dumps(batch, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def encode_batch(batch: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    """Canonical JSON, gzipped deterministically when large: equal batches, equal bytes."""
    body = canonical(batch)
    headers = {"Content-Type": "application/json"}
    if len(body) > GZIP_ABOVE_BYTES:
        body = gzip.compress(body, compresslevel=6, mtime=0)
        headers["Content-Encoding"] = "gzip"
    return body, headers


def batch_digest(city: str, batch: dict[str, Any]) -> str:
    return hashlib.sha256(city.encode() + b"\n" + canonical(batch)).hexdigest()


def push_key(key_file: Path, city: str, batch: dict[str, Any]) -> str:
    """The key of this push: the one a run that died before its answer saved, else a new one.

    Reused only for the very same batch; the file is written before the batch is sent.
    """
    digest = batch_digest(city, batch)
    try:
        saved = json.loads(key_file.read_text())
    except (FileNotFoundError, ValueError):
        saved = None
    if isinstance(saved, dict) and saved.get("digest") == digest and saved.get("key"):
        return str(saved["key"])
    key = f"push-{uuid.uuid4()}"
    write_atomically(key_file, json.dumps({"digest": digest, "key": key}))
    return key


def push(
    client: httpx.Client,
    city: str,
    batch: dict[str, Any],
    key_file: Path,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> httpx.Response:
    """Push one batch; 200 applied it, 409 (stale) and 422 (invalid) applied nothing."""
    body, headers = encode_batch(batch)
    headers["Idempotency-Key"] = push_key(key_file, city, batch)
    request = client.build_request(
        "POST", SYNC_PATH.format(city=city), content=body, headers=headers
    )
    response = send(
        client, request, sleep=sleep
    )  # raises while a retry could still help: keep the key
    key_file.unlink(missing_ok=True)  # a final answer: the next push is a new one
    if response.status_code not in (200, 409, 422):
        response.raise_for_status()  # 401, 403, 404, 413: fix the setup, not the batch
    return response


def report_push(response: httpx.Response) -> None:
    answer = response.json()
    replayed = (
        " (answer to an interrupted run)" if "idempotent-replayed" in response.headers else ""
    )
    verdict = "applied" if answer.get("applied") else "NOT applied"
    say(f"push {response.status_code}: {verdict}{replayed}; {answer.get('summary')}")
    for kind in ("plans", "milestones", "indicators", "reports"):
        for record in answer.get(kind, []):
            if record["status"] == "conflict":
                say(f"  {kind} {record['external_id']}: stale, server has v{record['version']}")
            elif record["status"] == "invalid":
                errors = "; ".join(error["msg"] for error in record["errors"])
                say(f"  {kind} {record['external_id']}: invalid: {errors}")


# --- pull ----------------------------------------------------------------------------------


def load_cursor(path: Path) -> str | None:
    if not path.exists():
        return None
    return path.read_text().strip() or None


def save_cursor(path: Path, cursor: str) -> None:
    write_atomically(path, cursor)


def write_atomically(path: Path, text: str) -> None:
    """Replace the file atomically: a crash leaves the old content or the new, never half."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def pull(
    client: httpx.Client,
    city: str,
    cursor_file: Path,
    apply: Callable[[Change], None],
    *,
    limit: int = 100,
) -> int:
    """Apply every change after the saved cursor, saving it after each page; returns how many."""
    cursor = load_cursor(cursor_file)
    applied = 0
    while True:
        params: dict[str, str | int] = {"city": city, "limit": limit}
        if cursor:
            params["cursor"] = cursor
        response = send(client, client.build_request("GET", FEED_PATH, params=params))
        if response.status_code == 410:  # the log no longer reaches back that far
            # Deletions since then may have left no tombstone: rebuild your store from scratch.
            say("the saved cursor is too old: reading the feed again from the start")
            cursor_file.unlink(missing_ok=True)
            cursor = None
            continue
        response.raise_for_status()
        page = response.json()
        for change in page["items"]:
            apply(change)
            applied += 1
        cursor = page["next_cursor"]
        save_cursor(cursor_file, cursor)
        if not page["has_more"]:
            return applied


def print_change(change: Change) -> None:
    """Where a real client would upsert into (or delete from) its own store, by id."""
    version = "" if change["version"] is None else f" v{change['version']}"
    say(f"{change['op']:<6} {change['entity']:<9} {change['id']}{version}")


# --- the command ---------------------------------------------------------------------------


def say(line: str) -> None:
    print(line)  # noqa: T201 — this is a command-line tool


def connect(base_url: str, api_key: str) -> httpx.Client:
    return httpx.Client(
        base_url=base_url,
        headers={"Authorization": f"Bearer {api_key}", "User-Agent": "magnet-partner-sync/1"},
        timeout=httpx.Timeout(120.0, connect=5.0),  # a 10 000-record batch takes seconds
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m examples.partner_sync", description=__doc__)
    parser.add_argument("batch", nargs="?", type=Path, help="a JSON batch file to push first")
    parser.add_argument("--city", required=True, help="your city's code, e.g. varazdin")
    parser.add_argument("--url", default=os.environ.get("MAGNET_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--api-key", default=os.environ.get("MAGNET_API_KEY"))
    parser.add_argument("--cursor-file", type=Path, help="default: .magnet-cursor-CITY")
    parser.add_argument("--key-file", type=Path, help="default: .magnet-push-CITY")
    args = parser.parse_args(argv)
    if not args.api_key:
        parser.error("set MAGNET_API_KEY or pass --api-key")
    cursor_file = args.cursor_file or Path(f".magnet-cursor-{args.city}")
    key_file = args.key_file or Path(f".magnet-push-{args.city}")
    try:
        with connect(args.url, args.api_key) as client:
            if args.batch is not None:
                batch = json.loads(args.batch.read_text())
                response = push(client, args.city, batch, key_file)
                report_push(response)
                if response.status_code != 200:
                    return 1
            applied = pull(client, args.city, cursor_file, print_change)
    except (httpx.HTTPError, RetryableResponse) as exc:
        say(f"giving up: {exc}")  # the next scheduled run retries with the same key
        return 2
    say(f"{applied} changes applied; cursor saved to {cursor_file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
