"""Writes of Bots: functions named <entity>_<action>, keyword-only (STYLE.md §1)."""
