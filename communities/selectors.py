"""Reads of Communities: functions named <entity>_<action> (STYLE.md §1)."""
