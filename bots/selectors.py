"""Reads of Bots: functions named <entity>_<action> (STYLE.md §1)."""
