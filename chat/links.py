"""Where a conversation is read: the one place that builds its URL, for the sign-up `next`, the
fan's "my chats" list and anything else that links back into a chat."""

from __future__ import annotations

from django.urls import reverse


def chat_url(*, channel, conversation=None, viewer=None) -> str:
    """The chat page of ``channel`` (with ``conversation`` open) for ``viewer``: a public channel's
    public page for everyone but its owner, who (like any private channel) reads it on the
    dashboard's chat page."""
    viewer_pk = getattr(viewer, "pk", None) if getattr(viewer, "is_authenticated", False) else None
    public = channel.is_public and channel.slug and channel.owner_id != viewer_pk
    if conversation is not None and conversation.pk:
        if public:
            return reverse("chat:public_conversation", args=[channel.slug, conversation.pk])
        return reverse("chat:conversation", args=[channel.pk, conversation.pk])
    if public:
        return reverse("chat:public", kwargs={"slug": channel.slug})
    return reverse("chat:channel", kwargs={"pk": channel.pk})
