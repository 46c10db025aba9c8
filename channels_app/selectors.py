"""Reads of Channels: functions named <entity>_<action> (STYLE.md §1)."""
