"""Unit tests of the speech package (pure, milliseconds)."""
