"""The staff HTTP API and its pages: handlers only.

Owns routing, request and response shapes, authentication (tokens, roles, sessions), the one
error shape (`errors`) and the OpenAPI document. Handlers call the stores and services
(`ivr.store`, `ivr.queue`, `ivr.flowversions`, `queueing`, `recordings`) and let their typed
errors propagate: `errors.error_middleware` maps them by kind. No storage code lives here.
Must not import `ivr.app`, `ivr.cli` or `ivr.commands` (the "ivr layers" import contract).
"""
