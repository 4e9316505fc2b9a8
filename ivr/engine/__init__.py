"""The pure flow engine: flow language model, loader/validator, interpreter, simulator.

Owns: what a call does, as data and pure functions. The flow model (`model`), its YAML loader
and validator with file:line errors (`yamlread`, `fields`, `build*`, `loader`, `validate`,
`graph`, `schema`), the interpreter (`interpreter` over `transitions`, `input`, `run`, `state`;
events in `events`, commands out `commands`), the trading calendar (`calendar`, file loader
`tradingcal`), the lookup providers' catalogue (`providers`), the simulator (`sim`,
`simfake`) and the spoken forms of typed prompt slots (`speakable`: `{balance:money}` ->
一百二十五万).

Must not import: any I/O library (asyncio, aiohttp, redis, sqlalchemy, vosk) nor any other part
of the app (`ivr.ari`, `ivr.call`, `ivr.queue`, `ivr.store`, `ivr.web`, `ivr.sandbox`, ...):
only `ivr.errors`. It reads no clock (times come in events) and does no I/O beyond reading the
flow and calendar files it is given (PyYAML).

Public API:
- `load_checked(paths, Context(...)) -> FlowSet` (raises `ErrorList`), `check_files(paths, ctx)
  -> (FlowSet, errors)`, `load_flows(paths)` (syntax/type checks only). `Context(calendar=...)`
  (a `MarketCalendar`, e.g. a `TradingCalendar` from `ivr.engine.tradingcal`) becomes
  `FlowSet.calendar`.
- `start(flows, flow_name, CallStarted) -> (CallState, commands)`,
  `step(flows, state, event) -> (CallState, commands)`.
- `iter_prompts(flows)`: every prompt content of every flow (for pre-rendering TTS).
- Events in `ivr.engine.events`, commands in `ivr.engine.commands`, providers' catalogue in
  `ivr.engine.providers`, sample data in `ivr.engine.simfake`. See docs/flows.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ivr.engine.calendar import MarketCalendar
from ivr.engine.events import CallStarted
from ivr.engine.interpreter import start, step
from ivr.engine.loader import load_flows
from ivr.engine.model import Content, FlowSet, prompts_of
from ivr.engine.state import CallState, Outcome
from ivr.engine.validate import Context, check_files, load_checked


@dataclass(frozen=True, slots=True)
class PromptUse:
    """One prompt content in one language and where it is used (`field`: prompt, ...)."""

    flow: str
    node: str  # "defaults" for the flow's default prompts
    field: str
    language: str
    content: Content


def iter_prompts(flows: FlowSet) -> Iterator[PromptUse]:
    """Every prompt content of every flow, in file order. TTS texts may contain `{variables}`
    (`ivr.engine.templates.variables_in`); those can only be rendered during a call."""
    for flow in flows.flows.values():
        for name in ("no_input_prompt", "no_match_prompt"):
            prompt = getattr(flow.defaults, name)
            if prompt is not None:
                for language, content in prompt.contents.items():
                    yield PromptUse(flow.name, "defaults", name, language, content)
        for node in flow.nodes.values():
            for name, prompt in prompts_of(node):
                for language, content in prompt.contents.items():
                    yield PromptUse(flow.name, node.id, name, language, content)


__all__ = [
    "CallStarted",
    "CallState",
    "Context",
    "FlowSet",
    "MarketCalendar",
    "Outcome",
    "PromptUse",
    "check_files",
    "iter_prompts",
    "load_checked",
    "load_flows",
    "start",
    "step",
]
