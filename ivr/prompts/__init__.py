"""Prompts as audio: the catalogue of every TTS text the flows can speak (`catalogue`, pure)
and the TTS renderer that turns a text into a cached telephony WAV (`tts`).

Owns the rendering and the cache; serving the files to Asterisk is `ivr.web.prompts`, and
naming them as ARI media is `ivr.call.media`.

Must not import: `ivr.app`, `ivr.web`, `ivr.call`, `ivr.queue`, `ivr.flowversions` or the
commands (its users), nor `ivr.store`, `ivr.ari` or `ivr.sandbox` (siblings). Below it:
`ivr.engine` (the flow model) and `ivr.errors`.
"""
