"""Writes of Bots: functions named <entity>_<action>, keyword-only (STYLE.md §1).

- events: ``event_take`` (each platform event handled once)
- askers: who pays for a bot question
- relay: ``ask_answer`` (the answer core's events relayed through a platform)
- posts: new-video posts, once per video per place
- places: linking places, choosing their channels and defaults
- discord_setup: the install link, branded Discord bots, command registration, profile sync
"""
