"""The whole SQL schema: every model module of the app on `Base.metadata`, plus `recordings`.

Importing this module registers each table module (`models`, `users_model`, `flowversions`,
`outbound_model`, `pinlocks_model`, `followups_model`, `control_audit`,
`surveys_model`) on the one declarative
`Base`; the model modules import only `ivr.store.base`, never each other or this module. The
Alembic environment and the schema test compare `METADATA` with the migrations. A new model
module is added here, or its tables are missing from both.
"""

from __future__ import annotations

from sqlalchemy import MetaData

from ivr.store.base import Base
from ivr.store.control_audit import ControlAuditRow
from ivr.store.flowversions import FlowVersionRow
from ivr.store.followups_model import FollowupRow
from ivr.store.models import CallRow
from ivr.store.outbound_model import CampaignRow
from ivr.store.pinlocks_model import PinLockRow
from ivr.store.surveys_model import SurveyRow
from ivr.store.users_model import UserRow
from recordings.models import metadata as recordings_metadata

# One class of each model module: importing them maps every table on `Base`.
_MODEL_MODULES = (
    CallRow,
    UserRow,
    FlowVersionRow,
    CampaignRow,
    PinLockRow,
    FollowupRow,
    ControlAuditRow,
    SurveyRow,
)
METADATA: tuple[MetaData, ...] = (Base.metadata, recordings_metadata)
