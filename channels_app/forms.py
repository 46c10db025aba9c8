from __future__ import annotations

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from channels_app.models import Video
from channels_app.services.youtube_urls import InvalidYouTubeUrl, parse_youtube_url


class ChannelAddForm(forms.Form):
    url = forms.CharField(
        label="YouTube channel, playlist or video",
        max_length=2000,
        widget=forms.TextInput(attrs={"placeholder": "https://www.youtube.com/@creator", "autocomplete": "off"}),
        error_messages={"max_length": "That is far too long to be a YouTube link."},
    )
    include_live = forms.BooleanField(
        label="Also include past live streams", required=False, help_text="Replays from the Live tab."
    )

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            parse_youtube_url(url)
        except InvalidYouTubeUrl as exc:
            raise forms.ValidationError(str(exc)) from exc
        return url


class UploadsCollectionForm(forms.Form):
    title = forms.CharField(label="Name", max_length=300, help_text="For example the name of your podcast or course.")


class CaptionUploadForm(forms.Form):
    file = forms.FileField(label="Caption or transcript file", help_text="VTT, SRT, YouTube json3 or plain text.")
    title = forms.CharField(label="Title (for a new video)", max_length=300, required=False)
    video = forms.ModelChoiceField(
        label="Replace the captions of", queryset=Video.objects.none(), required=False,
        empty_label="— add as a new video —",
    )  # fmt: skip

    def __init__(self, *args, channel=None, **kwargs):
        super().__init__(*args, **kwargs)
        if channel is not None:
            self.fields["video"].queryset = channel.videos.exclude(status=Video.Status.SKIPPED).order_by("title")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.CAPTION_UPLOAD_MAX_BYTES:
            raise forms.ValidationError(f"The file is larger than {filesizeformat(settings.CAPTION_UPLOAD_MAX_BYTES)}.")
        return upload


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.replace(",", "\n").splitlines() if line.strip()]


class ProfileForm(forms.Form):
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=3000)
    topics = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text="One per line or comma-separated."
    )
    catchphrases = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text="One per line.")
    addresses_viewers_as = forms.CharField(label="Addresses viewers as", required=False, max_length=60)
    tone = forms.CharField(required=False, max_length=200)
    vocabulary_level = forms.CharField(required=False, max_length=60)
    is_public = forms.BooleanField(
        label="Public: anyone can chat on the channel's public page", required=False
    )

    @classmethod
    def initial_for(cls, channel) -> dict:
        style = channel.style or {}
        return {
            "summary": channel.summary,
            "topics": "\n".join(channel.topics or []),
            "catchphrases": "\n".join(style.get("catchphrases") or []),
            "addresses_viewers_as": style.get("addresses_viewers_as") or "",
            "tone": style.get("tone") or "",
            "vocabulary_level": style.get("vocabulary_level") or "",
            "is_public": channel.is_public,
        }

    def style(self, previous: dict) -> dict:
        data = self.cleaned_data
        return {
            **(previous or {}),
            "catchphrases": [line.strip() for line in data["catchphrases"].splitlines() if line.strip()],
            "addresses_viewers_as": data["addresses_viewers_as"].strip(),
            "tone": data["tone"].strip(),
            "vocabulary_level": data["vocabulary_level"].strip(),
        }

    def topics_list(self) -> list[str]:
        return _lines(self.cleaned_data["topics"])
