"""The one error tree: codes, details, kinds, located errors; every package descends from it."""

from __future__ import annotations

from pathlib import Path

import pytest

import errorbase
from asr.errors import AsrError, ModelUnavailable
from errorbase import (
    KINDS,
    Conflict,
    ErrorList,
    InputError,
    IvrError,
    LocatedError,
    NotFound,
    Unavailable,
)
from ivr import errors as ivr_errors
from ivr.sandbox.config import AriErrorReply
from queueing.errors import (
    AgentBusy,
    QueueConfigError,
    QueueConfigErrors,
    QueueingError,
    StoreUnavailable,
)
from recordings.errors import (
    AuditReasonMissing,
    RecordingNotFound,
    RecordingsConfigError,
    RecordingsConfigErrors,
    RecordingsError,
    RecordingUnavailable,
)


def test_code_is_a_class_attribute_overridable_per_instance() -> None:
    assert (IvrError("x").code, IvrError("x", code="my-code").code) == ("error", "my-code")
    assert IvrError.code == "error"
    error = NotFound("no such thing", details={"id": "t-1"})
    assert (str(error), error.code, error.details) == ("no such thing", "not-found", {"id": "t-1"})
    assert IvrError().details == {}


def test_located_errors_and_lists_read_path_line_column() -> None:
    first = LocatedError("bad value", path=Path("f.yaml"), line=3, column=9)
    second = LocatedError("unknown key", path="f.yaml", line=7, column=1)
    assert str(first) == "f.yaml:3:9: bad value"
    assert (first.path, first.line, first.column, first.message) == (
        Path("f.yaml"), 3, 9, "bad value",
    )  # fmt: skip
    both = ErrorList((first, second))
    assert str(both) == "f.yaml:3:9: bad value\nf.yaml:7:1: unknown key"
    assert both.errors == [first, second]


@pytest.mark.parametrize(
    "package_base",
    [QueueingError, RecordingsError, AsrError, AriErrorReply, ivr_errors.ConfigError],
)
def test_every_package_base_is_one_tree(package_base: type[Exception]) -> None:
    assert issubclass(package_base, IvrError)


def test_ivr_errors_are_the_same_classes() -> None:
    for name in errorbase.__all__:
        assert getattr(ivr_errors, name) is getattr(errorbase, name)


def test_package_located_errors_reuse_the_shared_shapes() -> None:
    q = QueueConfigError("unknown skill 'x'", path="q.yaml", line=2, column=5)
    r = RecordingsConfigError("bad period", path="r.yaml", line=1, column=1)
    assert isinstance(q, LocatedError)
    assert isinstance(r, LocatedError)
    assert str(QueueConfigErrors([q])) == "q.yaml:2:5: unknown skill 'x'"
    assert QueueConfigErrors.__mro__[1:3] == (ErrorList, QueueingError)
    assert RecordingsConfigErrors.__mro__[1:3] == (ErrorList, RecordingsError)


@pytest.mark.parametrize(
    ("error", "kind", "code", "details"),
    [
        (AgentBusy("a1"), Conflict, "agent-busy", {"agent_id": "a1"}),
        (StoreUnavailable("queue store: x failed"), Unavailable, "queue-store-unavailable", {}),
        (RecordingNotFound(7), NotFound, "recording-not-found", {"recording_id": 7}),
        (RecordingUnavailable(7, "purged"), Conflict, "recording-unavailable", {"recording_id": 7}),
        (AuditReasonMissing("listen"), InputError, "reason-required", {"field": "reason"}),
    ],
)
def test_errors_a_client_can_cause_have_one_kind_a_code_and_details(
    error: IvrError, kind: type[IvrError], code: str, details: dict[str, object]
) -> None:
    assert [k for k in KINDS if isinstance(error, k)] == [kind]
    assert (error.code, error.details) == (code, details)


def test_unavailable_keeps_backend_text_out_of_the_public_message() -> None:
    error = StoreUnavailable("queue store: get_agent failed: Error 2 connecting to /run/r.sock")
    assert error.public_message == "The queue store is unavailable"
    assert Unavailable.public_message == "A service the request needs is unavailable"


def test_kindless_errors_stay_kindless() -> None:
    model = ModelUnavailable("ko", Path("/m"), "missing")
    assert not any(isinstance(model, k) for k in KINDS)
    assert model.code == "model-unavailable"
