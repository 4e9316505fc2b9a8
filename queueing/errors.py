"""Errors raised on purpose by the queueing package.

Rules: `queueing` never imports `ivr`; `QueueingError` subclasses the shared base
`errorbase.IvrError`, so one `except IvrError` (the CLI, the app) catches it with everything
else. Located and list errors reuse the shared shapes (`path:line:col: message`, every error of
a file at once). The store's refusals are typed, each with a kind a boundary maps by type (the
web answers `NotFound` 404, `Conflict` 409, `Unavailable` 503) and a stable `code`: callers
match on the type, never on the message text. `details` names the agent, call or queue.
"""

from __future__ import annotations

from errorbase import (
    Conflict,
    ErrorList,
    InputError,
    IvrError,
    LocatedError,
    NotFound,
    Unavailable,
)


class QueueingError(IvrError):
    """Base of every error raised on purpose by `queueing`."""

    code = "queueing-error"


class QueueConfigError(LocatedError, QueueingError):
    """An error at a position in a queue definitions file: `path:line:col: message`."""

    code = "queue-config-error"


class BadRedisUrl(QueueingError, InputError):
    """A Redis URL that cannot be used; the message says how to write it."""

    code = "bad-redis-url"


class QueueConfigErrors(ErrorList, QueueingError):
    """Every error found in one queue definitions file, one per line, in file order."""

    code = "queue-config-errors"


class QueueStoreError(QueueingError):
    """The queue store refused an operation or could not reach Redis."""

    code = "queue-store-error"


class StoreUnavailable(QueueStoreError, Unavailable):
    """Redis could not be reached or answered with an error (past the store's bounded wait)."""

    code = "queue-store-unavailable"
    public_message = "The queue store is unavailable"


class UnknownQueue(QueueStoreError, NotFound):
    """No queue of that name in the queue definitions; `hint` is a did-you-mean suffix."""

    code = "queue-not-found"

    def __init__(self, queue: str, hint: str = "") -> None:
        super().__init__(f"unknown queue '{queue}'{hint}", details={"queue": queue})
        self.queue = queue


class AgentNotFound(QueueStoreError, NotFound):
    """No agent with that id in the store."""

    code = "agent-not-found"

    def __init__(self, agent_id: str) -> None:
        super().__init__(f"no agent '{agent_id}'", details={"agent_id": agent_id})
        self.agent_id = agent_id


class AgentBusy(QueueStoreError, Conflict):
    """The agent is reserved for or on a call: its state cannot be changed by hand now."""

    code = "agent-busy"

    def __init__(self, agent_id: str) -> None:
        message = f"agent '{agent_id}' is busy with a call; try after it ends"
        super().__init__(message, details={"agent_id": agent_id})
        self.agent_id = agent_id


class AgentLoggedIn(QueueStoreError, Conflict):
    """Removing an agent needs it logged out (so it holds no call)."""

    code = "agent-logged-in"

    def __init__(self, agent_id: str) -> None:
        message = f"Agent '{agent_id}' is logged in; log it out first"
        super().__init__(message, details={"agent_id": agent_id})
        self.agent_id = agent_id


class StateNotSettable(QueueStoreError, InputError):
    """`reserved`, `on_call` and `wrap_up` are set by the queues, never by hand."""

    code = "state-not-settable"

    def __init__(self, state: str) -> None:
        message = f"agent state '{state}' is set by the queues, not by hand"
        super().__init__(message, details={"state": state})
        self.state = state


class CallAlreadyQueued(QueueStoreError, Conflict):
    """A call id can wait in one queue at a time."""

    code = "call-already-queued"

    def __init__(self, call_id: str) -> None:
        super().__init__(f"call '{call_id}' is already queued", details={"call_id": call_id})
        self.call_id = call_id


class CallNotFound(QueueStoreError, NotFound):
    """No call with that id in the queues."""

    code = "call-not-found"

    def __init__(self, call_id: str) -> None:
        super().__init__(f"no call '{call_id}' in the queues", details={"call_id": call_id})
        self.call_id = call_id


class NotOffered(QueueStoreError, Conflict):
    """The call is not (or no longer) offered to that agent."""

    code = "not-offered"

    def __init__(self, call_id: str, agent_id: str) -> None:
        message = f"call '{call_id}' is not offered to agent '{agent_id}'"
        super().__init__(message, details={"call_id": call_id, "agent_id": agent_id})
        self.call_id = call_id
        self.agent_id = agent_id


class CallNotConnected(QueueStoreError, Conflict):
    """Only a call connected to an agent can end as answered."""

    code = "call-not-connected"

    def __init__(self, call_id: str) -> None:
        message = f"call '{call_id}' is not connected to an agent"
        super().__init__(message, details={"call_id": call_id})
        self.call_id = call_id


class CallNotWaiting(QueueStoreError, Conflict):
    """Only a waiting call can book a callback."""

    code = "call-not-waiting"

    def __init__(self, call_id: str) -> None:
        message = f"call '{call_id}' is not waiting in a queue"
        super().__init__(message, details={"call_id": call_id})
        self.call_id = call_id
