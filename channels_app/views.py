"""The creator's dashboard for channels: add, watch progress, inspect videos, retry, sync,
delete (a channel or one video), upload transcripts, open the public page, and edit the
persona's profile."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.selectors import plan_get_for_user
from channels_app import selectors
from channels_app.forms import (
    CaptionUploadForm,
    ChannelAddForm,
    ChannelPublicForm,
    ProfileForm,
    UploadsCollectionForm,
)
from channels_app.models import Video
from channels_app.services import channels as services
from channels_app.services.ingest import CaptionUpload, UploadError, videos_upload_captions


def _list_context(request: HttpRequest, **extra) -> dict:
    return {
        "channels": selectors.channel_list_for_owner(user=request.user),
        "plan": plan_get_for_user(user=request.user),
        "polling": selectors.channel_any_in_progress(user=request.user),
        "form": ChannelAddForm(),
        "uploads_form": UploadsCollectionForm(),
        **extra,
    }


@login_required
@require_GET
def channel_list(request: HttpRequest) -> HttpResponse:
    template_name = "channels_app/channel_list.html"
    if request.htmx and request.htmx.target == "channel-list":
        template_name += "#channel-list"
    return render(request, template_name, _list_context(request))


@login_required
@require_http_methods(["GET", "POST"])
def channel_add(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        # Opened directly (a bookmark, a reload after an error): the add form lives on the list.
        return redirect("channels:list")
    form = ChannelAddForm(request.POST)
    limit_reached = False
    if form.is_valid():
        try:
            channel = services.channel_create(
                owner=request.user, url=form.cleaned_data["url"], include_live=form.cleaned_data["include_live"]
            )
        except services.ChannelAlreadyAdded as exc:
            form.add_error("url", f"You already added this: {exc.channel.display_name}.")
        except services.ChannelLimitReached as exc:
            form.add_error(None, str(exc))
            limit_reached = True
        else:
            # No flash message: the channel page says where the work stands and follows it, so a
            # green "added" notice cannot stay beside "Failed".
            return redirect(channel)
    context = _list_context(request, form=form, limit_reached=limit_reached)
    return render(request, "channels_app/channel_list.html", context, status=400)


@login_required
@require_POST
def channel_add_uploads(request: HttpRequest) -> HttpResponse:
    form = UploadsCollectionForm(request.POST)
    limit_reached = False
    if form.is_valid():
        try:
            channel = services.channel_create_for_uploads(owner=request.user, title=form.cleaned_data["title"])
        except services.ChannelLimitReached as exc:
            form.add_error(None, str(exc))
            limit_reached = True
        else:
            messages.success(request, "Collection created. Upload transcripts to it below.")
            return redirect(channel)
    context = _list_context(request, uploads_form=form, limit_reached=limit_reached)
    return render(request, "channels_app/channel_list.html", context, status=400)


def _share_url(channel) -> str:
    """The public page's address from the configured site (SITE_URL), to paste anywhere."""
    return f"{settings.SITE_URL}{reverse('chat:public', args=[channel.slug])}" if channel.slug else ""


def _detail_context(request: HttpRequest, channel, **extra) -> dict:
    videos = selectors.video_list_for_channel(channel=channel)
    return {
        "channel": channel,
        "videos": videos,
        "polling": not channel.is_finished or channel.sync_in_progress,
        "upload_form": CaptionUploadForm(channel=channel),
        "profile_form": ProfileForm(initial=ProfileForm.initial_for(channel)),
        "share_url": _share_url(channel),
        "failed_videos": sum(v.status in {Video.Status.FAILED, Video.Status.NO_CAPTIONS} for v in videos),
        "upload_max_files": settings.CAPTION_UPLOAD_MAX_FILES,
        **extra,
    }


DETAIL_PARTIALS = {"channel-progress", "video-list", "channel-profile", "channel-public"}


@login_required
@require_GET
def channel_detail(request: HttpRequest, pk: int) -> HttpResponse:
    channel = selectors.channel_get_for_owner(user=request.user, pk=pk)
    template_name = "channels_app/channel_detail.html"
    if request.htmx and request.htmx.target in DETAIL_PARTIALS:
        template_name += f"#{request.htmx.target}"
    extra = {}
    replace = request.GET.get("replace", "")
    if replace.isdigit():
        # "Upload captions" on a video's row: the form opens set to replace that video's captions.
        extra["upload_form"] = CaptionUploadForm(channel=channel, initial={"video": int(replace)})
    return render(request, template_name, _detail_context(request, channel, **extra))


# Sync and retry send no flash message: the channel page shows the attempt ("Reading it from
# YouTube", "Checking YouTube for new videos…") and then its outcome in the section it polls,
# where a notice cannot outlive the state it described.


@login_required
@require_POST
def channel_sync(request: HttpRequest, pk: int) -> HttpResponse:
    channel = selectors.channel_get_for_owner(user=request.user, pk=pk)
    services.channel_sync_request(channel=channel)
    return redirect(channel)


@login_required
@require_POST
def channel_retry(request: HttpRequest, pk: int) -> HttpResponse:
    channel = selectors.channel_get_for_owner(user=request.user, pk=pk)
    services.channel_retry(channel=channel)
    return redirect(channel)


@login_required
@require_POST
def channel_public(request: HttpRequest, pk: int) -> HttpResponse:
    channel = selectors.channel_get_for_owner(user=request.user, pk=pk)
    form = ChannelPublicForm(request.POST)
    form.is_valid()  # a missing or odd value reads as "private", the safe side
    error, status = "", 200
    try:
        channel = services.channel_publish(channel=channel, is_public=form.cleaned_data.get("is_public", False))
    except services.ChannelNotReady as exc:
        error, status = str(exc), 400
    if request.htmx:
        context = _detail_context(request, channel, public_error=error, public_changed=not error)
        return render(request, "channels_app/channel_detail.html#channel-public", context, status=status)
    if error:
        messages.error(request, error)
    elif channel.is_public:
        messages.success(request, "Public: anyone with the link can chat with this persona.")
    else:
        messages.success(request, "Private: only you can chat with this persona.")
    return redirect(f"{channel.get_absolute_url()}#channel-public")


@login_required
@require_http_methods(["GET", "POST"])
def channel_delete(request: HttpRequest, pk: int) -> HttpResponse:
    channel = selectors.channel_get_for_owner(user=request.user, pk=pk)
    if request.method == "POST":
        services.channel_delete_request(channel=channel)
        messages.success(request, f"{channel.display_name} is deleted, with its videos and passages.")
        return redirect("channels:list")
    return render(request, "channels_app/channel_confirm_delete.html", {"channel": channel})


@login_required
@require_POST
def video_retry(request: HttpRequest, pk: int, video_pk: int) -> HttpResponse:
    video = selectors.video_get_for_owner(user=request.user, channel_pk=pk, pk=video_pk)
    services.video_retry(video=video)
    if request.htmx:
        return render(request, "channels_app/channel_detail.html#video-list", _detail_context(request, video.channel))
    return redirect(video.channel)


@login_required
@require_http_methods(["GET", "POST"])
def video_delete(request: HttpRequest, pk: int, video_pk: int) -> HttpResponse:
    video = selectors.video_get_for_owner(user=request.user, channel_pk=pk, pk=video_pk)
    if request.method == "POST":
        services.video_delete(video=video)
        messages.success(request, f"“{video.title}” is deleted, with its passages.")
        return redirect(video.channel)
    return render(request, "channels_app/video_confirm_delete.html", {"video": video, "channel": video.channel})


def _uploaded_summary(videos: list[Video]) -> str:
    """Says what each file became, so the creator sees which video it was matched to."""
    parts = [
        f"“{video.title}” (YouTube {video.youtube_id})" if video.youtube_id else f"“{video.title}” (no YouTube link)"
        for video in videos
    ]
    files = "1 file" if len(videos) == 1 else f"{len(videos)} files"
    # Only what stays true: how each one's processing goes is shown (and updated) in the list.
    return f"{files} uploaded: " + ", ".join(parts) + ". Their progress is shown below."


@login_required
@require_POST
def video_upload(request: HttpRequest, pk: int) -> HttpResponse:
    channel = selectors.channel_get_for_owner(user=request.user, pk=pk)
    form = CaptionUploadForm(request.POST, request.FILES, channel=channel)
    status, upgrade, retry_after_s = 400, False, None
    if form.is_valid():
        uploads = [
            CaptionUpload(
                filename=choice.file.name, data=choice.file.read(), title=choice.title,
                video=choice.video, youtube_id=choice.youtube_id,
            )
            for choice in form.choices
        ]  # fmt: skip
        try:
            videos = videos_upload_captions(channel=channel, uploads=uploads)
        except UploadError as exc:
            form.add_error("file", str(exc))
            status = exc.status_code
            upgrade, retry_after_s = exc.upgrade, exc.retry_after_s
        else:
            messages.success(request, _uploaded_summary(videos))
            return redirect(channel)
    response = render(
        request,
        "channels_app/channel_detail.html",
        _detail_context(request, channel, upload_form=form, upload_upgrade=upgrade),
        status=status,
    )
    if retry_after_s:
        response["Retry-After"] = str(retry_after_s)
    return response


@login_required
@require_POST
def channel_profile_edit(request: HttpRequest, pk: int) -> HttpResponse:
    channel = selectors.channel_get_for_owner(user=request.user, pk=pk)
    form = ProfileForm(request.POST)
    if form.is_valid():
        channel = services.channel_profile_update(
            channel=channel,
            summary=form.cleaned_data["summary"],
            topics=form.topics_list(),
            style=form.style(channel.style),
        )
        saved = True
    else:
        saved = False
    context = _detail_context(request, channel, profile_form=form, profile_saved=saved)
    template_name = "channels_app/channel_detail.html"
    if request.htmx:
        template_name += "#channel-profile"
    return render(request, template_name, context, status=200 if saved else 400)
