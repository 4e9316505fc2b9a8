"""Logging with call keys, and redaction helpers.

Rules:
- Every record carries the current call's key (the caller's channel id; the SQL row id is
  another thing, `call_id`): `call_key` is a ContextVar set by the task that owns a call
  (children inherit it); `CallKeyFilter` sits on the handler, so records of libraries get it
  too ("-" outside a call).
- Format: `%(asctime)s %(levelname)s %(name)s call=%(call_key)s %(message)s`; modules use
  `logging.getLogger(__name__)` and %-args.
- Audio, PINs, account digits and credentials are never logged: mask them first with
  `ivr.engine.masking.mask_account` (`****5678`) or `mask_digits` (`****`), the one masking
  policy.
"""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from typing import TextIO

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s call=%(call_key)s %(message)s"

call_key: ContextVar[str] = ContextVar("call_key", default="-")


class CallKeyFilter(logging.Filter):
    """Stamp `record.call_key` from the context of the task that logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.call_key = call_key.get()
        return True


def setup_logging(level: str | int = "INFO", stream: TextIO | None = None) -> logging.Handler:
    """Install one stream handler with the call-id format on the root logger; return it.

    Idempotent: a handler installed by an earlier call is replaced, not duplicated.
    """
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_ivr_handler", False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(CallKeyFilter())
    handler._ivr_handler = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    return handler
