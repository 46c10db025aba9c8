"""Reads of Affiliates: functions named <entity>_<action> (STYLE.md §1)."""
