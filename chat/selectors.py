"""Reads of Chat: functions named <entity>_<action> (STYLE.md §1)."""
