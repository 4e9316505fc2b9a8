"""Speech in live calls: whole calls through the sandbox switch into Vosk."""
