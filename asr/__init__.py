"""Speech navigation ("press or say") with offline Vosk. Never imports `ivr`.

Public entry points: `asr.models.ModelRegistry` (one shared model per language),
`asr.grammar.build_grammar` + `asr.vocab.unknown_words` (per-menu grammar, vocabulary check),
`asr.intent.decide` (pure: transcript -> Accept/Confirm/Reject), `asr.recognizer.VoskRecognizer`
and `RecognizerPool` (off-loop recognition, bounded), `asr.media` (chan_websocket / RTP intake).
See docs/asr.md.
"""
