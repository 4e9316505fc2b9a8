"""Retention rules (pure): how long each purpose is kept and whether a row may be purged.

Rules:
- Each purpose has a period in years (+ optional days). `retention_until` = start of the
  recording + period, in calendar years of the local timezone (29 February -> 28 February).
- Purposes that are order records (emergency order calls, voice-order captures) are business
  records under 期货和衍生品法 §117: kept at least 20 years. The policy refuses a shorter period
  for them (`MIN_ORDER_RECORD_YEARS`).
- A row may be purged only when it is sealed, not under legal hold, not purged already, and its
  retention date has passed (`retention_until <= now`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from recordings.errors import RecordingsError, UnknownPurpose

MIN_ORDER_RECORD_YEARS = 20


@dataclass(frozen=True, slots=True)
class RetentionRule:
    purpose: str
    years: int
    days: int = 0
    order_record: bool = False  # a §117 business record: at least 20 years

    def __post_init__(self) -> None:
        if self.years < 0 or self.days < 0 or (self.years == 0 and self.days == 0):
            raise RecordingsError(f"retention of {self.purpose!r} must be a positive period")
        if self.order_record and self.years < MIN_ORDER_RECORD_YEARS:
            raise RecordingsError(
                f"retention of {self.purpose!r} is {self.years} years; order records must be"
                f" kept at least {MIN_ORDER_RECORD_YEARS} years (期货和衍生品法 §117)"
            )


def default_rules() -> Mapping[str, RetentionRule]:
    return {
        "emergency": RetentionRule("emergency", 20, order_record=True),
        "voice_order": RetentionRule("voice_order", 20, order_record=True),
        "complaint": RetentionRule("complaint", 5),
    }


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    rules: Mapping[str, RetentionRule] = field(default_factory=default_rules)
    timezone: str = "Asia/Shanghai"

    def rule(self, purpose: str) -> RetentionRule:
        try:
            return self.rules[purpose]
        except KeyError:
            raise UnknownPurpose(purpose, sorted(self.rules)) from None

    def retention_until(self, purpose: str, started_at: datetime) -> datetime:
        """When a recording of `purpose` started at `started_at` (aware) may be purged."""
        rule = self.rule(purpose)
        local = started_at.astimezone(ZoneInfo(self.timezone))
        shifted = datetime.combine(add_years(local.date(), rule.years), local.timetz())
        return shifted + timedelta(days=rule.days)

    def local_day(self, at: datetime) -> date:
        return at.astimezone(ZoneInfo(self.timezone)).date()


class PurgeVerdict(StrEnum):
    PURGE = "purge"
    HELD = "held"  # legal hold: never purged
    RETAINED = "retained"  # retention date not reached
    NOT_SEALED = "not_sealed"  # nothing sealed to delete
    PURGED = "purged"  # done already


def purge_verdict(
    *, sealed: bool, purged: bool, legal_hold: bool, retention_until: datetime, now: datetime
) -> PurgeVerdict:
    """May this row be purged at `now`? Hold and retention win over everything else."""
    if purged:
        return PurgeVerdict.PURGED
    if legal_hold:
        return PurgeVerdict.HELD
    if now < retention_until:
        return PurgeVerdict.RETAINED
    if not sealed:
        return PurgeVerdict.NOT_SEALED
    return PurgeVerdict.PURGE
