"""CLI command groups (one module per group, each with `register(subparsers)`), dispatched by
`ivr.cli`.

Commands may import any layer below them; nothing but `ivr.cli` imports them. Errors raised on
purpose (`ivr.errors.IvrError` and every package error under it) propagate untouched to
`ivr.cli`, which prints them: a command never re-wraps one.
"""
