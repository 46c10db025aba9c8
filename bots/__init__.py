"""Bots: the persona answering in messengers (Discord now, Telegram next), on the answer core.

A bot is one more surface of chat.services.asking: it builds an asker, calls ``answer_stream``
and relays the neutral events (chat.events) in its platform's format. Nothing here builds its
own retrieval, prompt or citation text beyond formatting ``AnswerDone.citations``.

Pieces, platform-neutral:
- models: ``Bot`` (shared from the environment, or branded: a creator's own, token encrypted
  with yoppy.crypto, answers for one channel), ``Place`` (a Discord server or a Telegram chat:
  its linked account, the channels it may ask, its default, the per-member daily cap, new-video
  opt-in), ``RoomDefault`` (a room's persona inside a place), ``PlatformUserLink`` (a platform
  user's Yoppy account), ``ProcessedEvent`` (each incoming event once), ``VideoPost`` (each new
  video announced once per place).
- bots.platforms.base.Platform: the shape every messenger has (verify, reply_progress,
  reply_final, reply_notice, format_citations, post_video, asker_ref), and ``Ask``, the neutral
  question a platform hands to the relay.
- bots.services.relay.ask_answer (job bots.tasks.ask_answer on the ``bots`` queue): persona and
  asker resolution, the asker's latest conversation continued, throttled edits, 429 handling.
- bots.services.askers: a linked user pays on their own plan; anyone else on the place's
  account's plan under ``Place.member_daily_cap`` (atomic Redis counter).
- bots.receivers: channels_app.signals.video_ready -> new-video posts (bots.services.posts);
  channel_profile_changed -> a branded bot's profile sync.

How a platform plugs in (Telegram, say):
1. ``bots/platforms/telegram.py``: ``class TelegramPlatform(Platform)`` with ``name``,
   ``asker_kind`` (AskerKind.TELEGRAM_CHAT), ``max_message_chars`` and the methods of the base
   class; payload details (update shapes, HTML parse mode) stay inside it. Copy
   bots/platforms/discord.py and replace its inside.
2. Add it to the dict in ``bots.platforms.platform_for``.
3. A view in bots/views.py for its webhook: find the active Bot (bots.selectors.bot_get_active),
   ``platform.verify`` on the raw body (401, nothing queued, when it fails), parse with
   yoppy.safejson, ``bots.services.events.event_take`` for the event id (a duplicate gets 2xx
   and no effect), turn it into an ``Ask`` and enqueue ``tasks.ask_answer.delay(platform.name,
   ask.as_dict())`` on commit; answer at once.
4. Places: make or find the Place for the chat (bots.services.places), set its account and
   channels; per-chat persona in ``Place.default_channel``.
Everything after the acknowledgement (asking, quotas, streaming, retries, new-video posts) is
then the core's.
"""
