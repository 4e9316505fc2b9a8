"""Survey campaign files: a CSV of clients to call back for a satisfaction survey (回访), checked
whole like a margin-call file (`ivr.outbound.campaigns`; docs/surveys.md).

Format (UTF-8, a BOM is allowed), header exactly `phone,call_id,agent,queue`, one survey per line:
- `phone`: a number `ivr.engine.phones.parse_phone` accepts (mainland mobile or landline, or
  +E.164); anything else is refused with its reason;
- `call_id`: the call the survey is about (the call id of the call records, 1-128 of
  `A-Z a-z 0-9 . _ -`); the answers are stored under it (channel `outbound`);
- `agent`, `queue`: who took that call and in which queue (may be empty; 1-64 of the same
  characters), so the report groups outbound answers with the inbound ones.
A bad line is `FILE:LINE: field: reason` in one `CampaignError` listing every bad line: nothing
from the file is queued until all of it is right. Two lines for the same call are refused.

Rules: pure (bytes in, values out); refused text is never echoed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ivr.engine.phones import InvalidPhone, PhoneNumber, parse_phone
from ivr.outbound.campaigns import CampaignError, csv_rows

HEADER = ("phone", "call_id", "agent", "queue")
_ID = re.compile(r"[A-Za-z0-9._-]{1,128}", re.ASCII)
_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}", re.ASCII)


@dataclass(frozen=True, slots=True)
class SurveyLine:
    line: int
    phone: PhoneNumber
    call_id: str
    agent: str
    queue: str

    def facts(self) -> dict[str, str]:
        """What the survey call carries (stored in SQL, given to the session)."""
        return {"call_id": self.call_id, "agent": self.agent, "queue": self.queue}


def _line(number: int, row: list[str], problems: list[tuple[int, str, str]]) -> SurveyLine | None:
    if len(row) != len(HEADER):
        problems.append((number, "line", f"has {len(row)} fields, expected {len(HEADER)}"))
        return None
    phone_text, call_id, agent, queue = (v.strip() for v in row)
    found = len(problems)
    phone: PhoneNumber | None = None
    try:
        phone = parse_phone(phone_text)
    except InvalidPhone as exc:
        problems.append((number, "phone", str(exc)))
    if not _ID.fullmatch(call_id):
        problems.append((number, "call_id", "not a call id: 1-128 of A-Z a-z 0-9 . _ -"))
    for field, value in (("agent", agent), ("queue", queue)):
        if value and not _NAME.fullmatch(value):
            problems.append((number, field, "not an id: 1-64 of A-Z a-z 0-9 . _ -"))
    if len(problems) > found or phone is None:
        return None
    return SurveyLine(number, phone, call_id, agent, queue)


def parse_survey_csv(data: bytes, name: str) -> list[SurveyLine]:
    """Every survey of the file, or `CampaignError` naming each bad line."""
    problems: list[tuple[int, str, str]] = []
    surveys: list[SurveyLine] = []
    seen: dict[str, int] = {}
    for number, row in csv_rows(data, name, HEADER, "surveys"):
        survey = _line(number, row, problems)
        if survey is None:
            continue
        if survey.call_id in seen:
            problems.append((number, "call_id", f"same call as line {seen[survey.call_id]}"))
            continue
        seen[survey.call_id] = number
        surveys.append(survey)
    if problems:
        raise CampaignError(name, problems)
    if not surveys:
        raise CampaignError(name, [(2, "file", "no surveys: add one line per survey")])
    return surveys
