"""Forms of the creator's Discord page."""

from __future__ import annotations

from django import forms

from channels_app.models import Channel


class BrandedBotForm(forms.Form):
    channel = forms.ModelChoiceField(queryset=Channel.objects.none(), label="Channel this bot answers for")
    application_id = forms.CharField(
        label="Application ID", max_length=24, help_text="General Information page of your Discord application."
    )
    public_key = forms.CharField(
        label="Public key", max_length=64, required=False,
        help_text="Optional: read from Discord with the token; if you paste it, it must match.",
    )  # fmt: skip
    token = forms.CharField(
        label="Bot token", max_length=200, widget=forms.PasswordInput(render_value=False),
        help_text="Bot page → Reset Token. Stored encrypted and never shown again.",
    )  # fmt: skip

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = Channel.objects.owned_by(owner).order_by("title")


class PlaceForm(forms.Form):
    channels = forms.ModelMultipleChoiceField(
        queryset=Channel.objects.none(), required=False, widget=forms.CheckboxSelectMultiple,
        label="Personas this server can ask",
    )  # fmt: skip
    member_daily_cap = forms.IntegerField(
        min_value=0, max_value=10000, label="Questions per member per day",
        help_text="For members without a linked Yoppy account; they ask on your plan.",
    )  # fmt: skip
    new_video_posts = forms.BooleanField(required=False, label="Post new videos (in the channel chosen with /channel)")

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channels"].queryset = Channel.objects.owned_by(owner).order_by("title")
