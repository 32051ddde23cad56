"""Fuzz every operation of the public OpenAPI documents with schemathesis.

The gateway's merged document and each service's own are loaded from the running stack;
every operation gets schema-valid and schema-invalid requests, as an admin and as a partner
city, with a fixed seed and a bounded number of examples. Every response must be free of
server errors, have a status code and a media type the document declares, and a body that
matches the declared schema. Findings are collected per document, so one run shows them all.

Two tiers. The quick one (`fuzz`) runs one seed over every document. The deep one
(`fuzz_deep`) runs more seeds with more examples over the gateway's document (every public
operation), each seed in its own order of operations; it stops starting operations when its
share of `MAGNET_FUZZ_DEEP_SECONDS` (default 150) is spent, so a loaded machine covers less
but never runs longer (the log says how many operations each seed covered). Other seeds:
`MAGNET_FUZZ_DEEP_SEEDS=1,2,3`. `./magnet test` runs both tiers; `-m "not fuzz_deep"` skips
the deep one.
"""

from __future__ import annotations

import logging
import os
import random
import time
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.stack import Stack

pytestmark = [pytest.mark.fuzz, pytest.mark.slow]
log = logging.getLogger(__name__)

SEED = 20261121
DEEP_SEEDS = tuple(
    int(seed) for seed in os.environ.get("MAGNET_FUZZ_DEEP_SEEDS", "7,20261202").split(",")
)
DEEP_EXAMPLES = 16
DEEP_SECONDS = float(os.environ.get("MAGNET_FUZZ_DEEP_SECONDS", "150"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Examples per operation and generation mode: the whole module stays within a few minutes
# on two cores. The gateway's document (every public operation) gets the larger budget.
EXAMPLES = {"gateway": 8, "catalog": 4, "participation": 4, "transfer": 4}
DOCUMENTS = tuple(EXAMPLES)
ROLES = ("admin", "partner")


def fuzz_operation(
    operation: Any,
    mode: GenerationMode,
    *,
    base_url: str,
    headers: dict[str, str],
    session: requests.Session,
    max_examples: int,
    seed: int = SEED,
) -> str | None:
    """Run one operation's examples; the first finding's report, or None."""

    @hypothesis.seed(seed)
    @hypothesis.settings(
        max_examples=max_examples,
        database=None,
        deadline=None,
        derandomize=False,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Case[Any]) -> None:
        case.call_and_validate(
            base_url=base_url, session=session, headers=dict(headers), checks=CHECKS, timeout=30
        )

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # a finding, reported with the others
        return f"{operation.label} [{mode.value}, seed {seed}]: {describe(exc)}"
    return None


def modes(operation: Any) -> tuple[GenerationMode, ...]:
    # An operation without parameters or body has nothing to make invalid.
    definition = operation.definition.raw
    if definition.get("parameters") or "requestBody" in definition:
        return (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    return (GenerationMode.POSITIVE,)


def describe(exc: BaseException) -> str:
    """The checks that failed and the request as a curl (schemathesis puts both in str)."""
    return "\n".join([str(exc), *getattr(exc, "__notes__", ())])


def load_operations(base_url: str) -> tuple[list[Any], list[str]]:
    """The document's operations, and a finding for each one schemathesis cannot read."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json", timeout=30)
    operations, findings = [], []
    for result in schema.get_all_operations():
        if isinstance(result, Ok):
            operations.append(result.ok())
        else:
            findings.append(f"an operation schemathesis cannot read: {result.err()}")
    assert len(operations) > 5, "the document lists the operations"
    return operations, findings


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_operation_holds_its_contract(
    document: str,
    role: str,
    quality_stack: Stack,
    quality_admin: dict[str, str],
    quality_partner: dict[str, str],
) -> None:
    base_url = quality_stack.url(document)
    headers = quality_admin if role == "admin" else quality_partner
    operations, findings = load_operations(base_url)
    with requests.Session() as session:
        for operation in operations:
            for mode in modes(operation):
                finding = fuzz_operation(
                    operation,
                    mode,
                    base_url=base_url,
                    headers=headers,
                    session=session,
                    max_examples=EXAMPLES[document],
                )
                if finding is not None:
                    findings.append(finding)
    assert not findings, f"{len(findings)} finding(s):\n\n" + "\n\n".join(findings)


@pytest.mark.fuzz_deep
@pytest.mark.parametrize("seed", DEEP_SEEDS)
def test_more_seeds_and_examples_hold_the_contract(
    seed: int,
    quality_stack: Stack,
    quality_admin: dict[str, str],
    quality_partner: dict[str, str],
) -> None:
    base_url = quality_stack.gateway_url
    operations, findings = load_operations(base_url)
    random.Random(seed).shuffle(operations)  # each seed starts somewhere else
    deadline = time.monotonic() + DEEP_SECONDS / len(DEEP_SEEDS)
    covered = 0
    with requests.Session() as session:
        for index, operation in enumerate(operations):
            if time.monotonic() > deadline:
                break
            covered += 1
            headers = quality_admin if index % 2 == 0 else quality_partner
            for mode in modes(operation):
                finding = fuzz_operation(
                    operation,
                    mode,
                    base_url=base_url,
                    headers=headers,
                    session=session,
                    max_examples=DEEP_EXAMPLES,
                    seed=seed,
                )
                if finding is not None:
                    findings.append(finding)
    log.info("seed %d covered %d of %d operations", seed, covered, len(operations))
    assert not findings, f"{len(findings)} finding(s):\n\n" + "\n\n".join(findings)
