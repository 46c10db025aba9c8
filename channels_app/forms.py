from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat

from channels_app.models import Video
from channels_app.services.youtube_urls import (
    InvalidYouTubeUrl,
    parse_video_ref,
    parse_youtube_url,
    video_id_from_filename,
)


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


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input (Django's documented pattern): cleans to a list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)]


@dataclass(frozen=True)
class UploadChoice:
    """One file of the upload form and what it is for."""

    file: UploadedFile
    youtube_id: str
    title: str
    video: Video | None


class CaptionUploadForm(forms.Form):
    """Caption files, several at once, each matched to its YouTube video.

    Without JavaScript the form has one set of fields (for a single file; with several files
    each is matched by its name). The page's script adds, per chosen or dropped file, the fields
    ``youtube_<i>`` and ``title_<i>`` (``i`` is the file's position in the input), read here.
    """

    file = MultipleFileField(
        label="Caption or transcript files",
        help_text="VTT, SRT, YouTube json3 or plain text; several at once.",
    )
    youtube = forms.CharField(
        label="YouTube video (link or id)", max_length=2000, required=False,
        help_text="Left empty, it is taken from the file name when it holds one, as yt-dlp names files: "
        "“Title [dQw4w9WgXcQ].en.vtt”. Then citations link to the video and play it.",
    )  # fmt: skip
    title = forms.CharField(label="Title (for a new video)", max_length=300, required=False)
    video = forms.ModelChoiceField(
        label="Replace the captions of", queryset=Video.objects.none(), required=False,
        empty_label="— add as a new video —",
    )  # fmt: skip

    def __init__(self, *args, channel=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.channel = channel
        if channel is not None:
            self.fields["video"].queryset = channel.videos.exclude(status=Video.Status.SKIPPED).order_by("title")

    def clean_file(self):
        uploads = self.cleaned_data["file"]
        if len(uploads) > settings.CAPTION_UPLOAD_MAX_FILES:
            raise forms.ValidationError(f"Upload at most {settings.CAPTION_UPLOAD_MAX_FILES} files at a time.")
        for upload in uploads:
            if upload.size > settings.CAPTION_UPLOAD_MAX_BYTES:
                raise forms.ValidationError(
                    f"{upload.name} is larger than {filesizeformat(settings.CAPTION_UPLOAD_MAX_BYTES)}."
                )
        if sum(upload.size for upload in uploads) > settings.CAPTION_UPLOAD_MAX_TOTAL_BYTES:
            raise forms.ValidationError(
                f"Together the files are larger than {filesizeformat(settings.CAPTION_UPLOAD_MAX_TOTAL_BYTES)}: "
                "upload them in smaller groups."
            )
        return uploads

    def clean(self):
        cleaned = super().clean()
        files = cleaned.get("file") or []
        single = len(files) == 1
        if cleaned.get("video") is not None and not single:
            self.add_error("video", "Replacing a video's captions takes one file.")
        choices = []
        for i, upload in enumerate(files):
            typed = (self.data.get(f"youtube_{i}") or (cleaned.get("youtube") if single else "") or "").strip()
            try:
                youtube_id = parse_video_ref(typed) if typed else video_id_from_filename(upload.name)
            except InvalidYouTubeUrl as exc:
                typed_in_form_field = single and not self.data.get(f"youtube_{i}")
                self.add_error("youtube" if typed_in_form_field else "file", f"{upload.name}: {exc}")
                continue
            if not youtube_id and single and self.channel is not None and self.channel.kind == "video":
                # A single-video channel's one file is for that video.
                youtube_id = _channel_video_id(self.channel)
            title = (self.data.get(f"title_{i}") or (cleaned.get("title") if single else "") or "").strip()[:300]
            video = cleaned.get("video") if single else None
            choices.append(UploadChoice(file=upload, youtube_id="" if video else youtube_id, title=title, video=video))
        self.choices = choices
        return cleaned


def _channel_video_id(channel) -> str:
    try:
        target = parse_youtube_url(channel.source_url)
    except InvalidYouTubeUrl:
        return ""
    return target.value if target.kind == "video" else ""


class ChannelPublicForm(forms.Form):
    is_public = forms.BooleanField(required=False)


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
