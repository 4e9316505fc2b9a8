"""Waiting callers: announcements, exit keys, emergency screen pops, supervisor alerts."""
