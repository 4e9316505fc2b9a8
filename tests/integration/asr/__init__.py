"""Integration tests of the speech package (real Vosk Korean model, real sockets)."""
