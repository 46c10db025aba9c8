"""Writes of Chat: functions named <entity>_<action>, keyword-only (STYLE.md §1)."""
