"""Fuzzing the pricing service from its own OpenAPI document (schemathesis + hypothesis).

Every operation in ``/docs.json`` gets schema-valid (positive) and schema-breaking (negative)
requests, half of the valid ones about products the home really has (random ids only ever
meet "unknown product", never the pricing engine), all with the API key, plus a few without
it. Each answer must be no 5xx, conform to the document (status, content type, body schema;
negative data refused, positive accepted) and, for a 4xx, carry an ``error`` that names the
field or the limit.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import SecretStr

from pricing.serving.access import auth_headers
from pricing.settings import Settings

Key = tuple[str, str]
SOURCE_TARGET = "pricing_bentos.service:Pricing"
#: Failures kept as examples in the figures (the counts cover all).
EXAMPLES = 10
UNNAMED = "4xx body does not name the problem"
SERVER_ERROR = "Server error"  # schemathesis' title: counted by status instead
_PYDANTIC_TITLE = re.compile(r"^\d+ validation errors? for ")


def names_problem(status: int, body: Any, fields: frozenset[str] = frozenset()) -> bool:
    """Whether a 4xx body says what was wrong: an ``error`` string, not pydantic's bare title,
    that names a limit (413), or a field (of its ``detail`` locations, or any request field in
    ``fields``) when the problem has a location."""
    if not isinstance(body, dict) or not isinstance(body.get("error"), str):
        return False
    message = body["error"].strip()
    if not message or _PYDANTIC_TITLE.match(message):
        return False
    if status == 413:
        return "limit" in message
    detail = body.get("detail")
    entries = [d for d in detail if isinstance(d, dict)] if isinstance(detail, list) else []
    located = {p for d in entries for p in d.get("loc") or [] if isinstance(p, str)}
    return not located or any(name in message for name in located | fields)


def request_fields(document: dict[str, Any]) -> frozenset[str]:
    """Every property name a request body of ``document`` can hold (``$ref``s followed)."""
    schemas = document.get("components", {}).get("schemas", {})
    names: set[str] = set()
    seen: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for child in node:
                walk(child)
        if not isinstance(node, dict):
            return
        ref = node.get("$ref")
        if isinstance(ref, str) and ref not in seen:
            seen.add(ref)
            walk(schemas.get(ref.rsplit("/", 1)[-1]))
        names.update(node.get("properties", {}))
        for child in node.values():
            walk(child)

    for item in document.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict):
                walk(operation.get("requestBody"))
    return frozenset(names)


@dataclass
class Tally:
    """What the fuzzer sent and what came back."""

    cases: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    by_operation: Counter[str] = field(default_factory=Counter)
    unnamed_4xx: int = 0
    off_document: int = 0  # answers the OpenAPI document does not allow (besides 5xx)
    violations: Counter[str] = field(default_factory=Counter)
    unauthenticated: int = 0
    unauthenticated_401: int = 0
    examples: list[dict[str, Any]] = field(default_factory=list)

    def record(
        self,
        operation: str,
        request: Any,
        status: int,
        body: Any,
        problems: list[str],
        fields: frozenset[str],
    ) -> None:
        """One answer; ``request`` is the body sent (kept with a failure, headers never:
        they carry the key)."""
        self.cases += 1
        self.statuses[status] += 1
        self.by_operation[operation] += 1
        if 400 <= status < 500 and not names_problem(status, body, fields):
            self.unnamed_4xx += 1
            problems = [*problems, UNNAMED]
        self.off_document += any(p not in (UNNAMED, SERVER_ERROR) for p in problems)
        for problem in problems:
            self.violations[problem.splitlines()[0][:120]] += 1
        if problems and len(self.examples) < EXAMPLES:
            self.examples.append(
                {
                    "operation": operation,
                    "request": repr(request)[:300],
                    "status": status,
                    "problems": problems,
                    "response": json.dumps(body)[:300],
                }
            )

    def figures(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "server_errors": sum(n for s, n in self.statuses.items() if s >= 500),
            "client_errors": sum(n for s, n in self.statuses.items() if 400 <= s < 500),
            "unnamed_4xx": self.unnamed_4xx,
            "schema_violations": self.off_document,
            "unauthenticated": self.unauthenticated,
            "unauthenticated_401": self.unauthenticated_401,
            "statuses": {str(s): n for s, n in sorted(self.statuses.items())},
            "operations": dict(sorted(self.by_operation.items())),
            "violations": dict(self.violations.most_common()),
            "examples": self.examples,
        }


def _with_known_product(case: Any, key: Key) -> None:
    """Point a valid case's item(s) at a product the home has (its overrides stay random)."""
    body = case.body
    if not isinstance(body, dict):
        return
    items = body.get("items")
    for item in items if isinstance(items, list) else [body.get("item")]:
        if isinstance(item, dict):
            item["product_id"], item["location_id"] = key


def _operation(result: Any) -> Any:
    """An operation of the document, or the document's error about it."""
    from schemathesis.core.result import Err

    if isinstance(result, Err):
        raise result.err()
    return result.ok()


def _body(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _config() -> Any:
    """Schemathesis' configuration, with two answers the service's document declares allowed:
    schema-breaking data refused as too large (a list past its maxItems: 413), and valid data
    beyond what the models answer (422, e.g. a horizon longer than the forecaster's)."""
    from schemathesis import Config
    from schemathesis.config import ChecksConfig

    defaults = ChecksConfig.from_dict({})
    refused = [*defaults.negative_data_rejection.expected_statuses, "413"]
    accepted = [*defaults.positive_data_acceptance.expected_statuses, "422"]
    checks = {
        "negative_data_rejection": {"expected-statuses": refused},
        "positive_data_acceptance": {"expected-statuses": accepted},
    }
    return Config.from_dict({"checks": checks})


def fuzz_service(
    url: str,
    key: SecretStr | None,
    cases: int,
    known: Sequence[Key],
    seed: int = 0,
    unauthenticated: int = 10,
    timeout: float = 30.0,
) -> Tally:
    """About ``cases`` generated requests against the service at ``url``, spread over every
    operation of its OpenAPI document and both generation modes, with ``key`` (when set),
    and ``unauthenticated`` more without it, each of which must be a 401."""
    import hypothesis
    import requests
    import schemathesis
    from hypothesis import strategies as st
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi import checks as oas

    checks = [
        not_a_server_error,
        oas.status_code_conformance,
        oas.content_type_conformance,
        oas.response_schema_conformance,
        oas.negative_data_rejection,
        oas.positive_data_acceptance,
    ]
    config = _config()
    schema = schemathesis.openapi.from_url(f"{url}/docs.json", config=config, timeout=timeout)
    operations = [_operation(result) for result in schema.get_all_operations()]
    fields = request_fields(schema.raw_schema)
    bodied = [op for op in operations if op.body]  # the endpoints; probes take no input
    per_run = max(1, (cases - len(operations) + len(bodied)) // max(1, 2 * len(bodied)))
    headers = auth_headers(key)
    tally = Tally()
    session = requests.Session()

    def call(case: Any, operation: str, sent: dict[str, str]) -> int:
        response = case.call(base_url=url, session=session, headers=sent, timeout=timeout)
        problems = []
        try:
            case.validate_response(response, checks=checks, headers=sent)
        except BaseExceptionGroup as group:  # schemathesis' FailureGroup
            problems = [getattr(f, "title", str(f)) for f in group.exceptions]
        except AssertionError as failure:
            problems = [getattr(failure, "title", str(failure))]
        status = int(response.status_code)
        tally.record(operation, case.body, status, _body(response), problems, fields)
        return status

    def run(op: Any, mode: Any, budget: int, sent: dict[str, str]) -> None:
        strategy = op.as_strategy(generation_mode=mode)
        if mode is GenerationMode.POSITIVE and known and sent:
            drawn = st.tuples(strategy, st.sampled_from(list(known)) | st.none())
        else:
            drawn = st.tuples(strategy, st.none())

        @hypothesis.seed(seed)
        @hypothesis.settings(
            max_examples=budget,
            deadline=None,
            database=None,
            phases=[hypothesis.Phase.generate],
            suppress_health_check=list(hypothesis.HealthCheck),
        )
        @hypothesis.given(drawn)
        def send(pair: tuple[Any, Key | None]) -> None:
            case, product = pair
            if product is not None:
                _with_known_product(case, product)
            status = call(case, op.label, sent)
            if not sent and key is not None:
                tally.unauthenticated += 1
                tally.unauthenticated_401 += status == 401

        send()

    for op in operations:
        if not op.body:
            run(op, GenerationMode.POSITIVE, 1, headers)
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            run(op, mode, per_run, headers)
        if key is not None and unauthenticated:
            run(op, GenerationMode.POSITIVE, max(1, unauthenticated // len(bodied)), {})
    return tally


def fuzz_bench(
    settings: Settings,
    cases: int,
    seed: int = 0,
    say: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """``bentoml serve`` of this home (with a throwaway API key unless one is set), fuzzed."""
    from pricing.models.elasticity import META
    from pricing.registry import resolve_model
    from pricing.serving.process import service_environment, service_process

    say = say or (lambda _: None)
    meta = json.loads((resolve_model(settings, "elasticity").path / META).read_text())
    known = list(zip(meta["series"]["product_id"], meta["series"]["location_id"], strict=True))
    if settings.api_key is None:  # fuzz the service as it is meant to run: behind a key
        settings = settings.model_copy(update={"api_key": SecretStr(secrets.token_urlsafe(24))})
    log = settings.home_dir / "logs" / "bench_fuzz.log"
    say("starting bentoml serve")
    started = time.perf_counter()
    with service_process(SOURCE_TARGET, service_environment(settings), log) as (url, _):
        say(f"fuzzing {url} with about {cases} generated requests")
        tally = fuzz_service(url, settings.api_key, cases, known, seed)
    payload = tally.figures()
    payload |= {"seed": seed, "seconds": round(time.perf_counter() - started, 1), "log": str(log)}
    return payload
