"""The creator's dashboard for channels: add, watch progress, inspect videos, retry, sync,
delete, upload transcripts, and edit the persona's profile."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.selectors import plan_get_for_user
from channels_app import selectors
from channels_app.forms import CaptionUploadForm, ChannelAddForm, ProfileForm, UploadsCollectionForm
from channels_app.services import channels as services
from channels_app.services.ingest import UploadError, video_upload_captions


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
            messages.success(request, "Channel added. Its videos are being processed; this page updates by itself.")
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


def _detail_context(request: HttpRequest, channel, **extra) -> dict:
    return {
        "channel": channel,
        "videos": selectors.video_list_for_channel(channel=channel),
        "polling": not channel.is_finished,
        "upload_form": CaptionUploadForm(channel=channel),
        "profile_form": ProfileForm(initial=ProfileForm.initial_for(channel)),
        **extra,
    }


@login_required
@require_GET
def channel_detail(request: HttpRequest, pk: int) -> HttpResponse:
    channel = selectors.channel_get_for_owner(user=request.user, pk=pk)
    template_name = "channels_app/channel_detail.html"
    if request.htmx and request.htmx.target in {"channel-progress", "video-list", "channel-profile"}:
        template_name += f"#{request.htmx.target}"
    return render(request, template_name, _detail_context(request, channel))


@login_required
@require_POST
def channel_sync(request: HttpRequest, pk: int) -> HttpResponse:
    channel = selectors.channel_get_for_owner(user=request.user, pk=pk)
    services.channel_sync_request(channel=channel)
    messages.success(request, "Checking for new videos now.")
    return redirect(channel)


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
@require_POST
def video_upload(request: HttpRequest, pk: int) -> HttpResponse:
    channel = selectors.channel_get_for_owner(user=request.user, pk=pk)
    form = CaptionUploadForm(request.POST, request.FILES, channel=channel)
    status, upgrade, retry_after_s = 400, False, None
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            video_upload_captions(
                channel=channel,
                filename=upload.name,
                data=upload.read(),
                title=form.cleaned_data["title"],
                video=form.cleaned_data["video"],
            )
        except UploadError as exc:
            form.add_error("file", str(exc))
            status = exc.status_code
            upgrade, retry_after_s = exc.upgrade, exc.retry_after_s
        else:
            messages.success(request, f"{upload.name} uploaded; it is being processed.")
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
            is_public=form.cleaned_data["is_public"],
        )
        if channel.is_public:
            services.channel_slug_assign(channel=channel)
        saved = True
    else:
        saved = False
    context = _detail_context(request, channel, profile_form=form, profile_saved=saved)
    template_name = "channels_app/channel_detail.html"
    if request.htmx:
        template_name += "#channel-profile"
    return render(request, template_name, context, status=200 if saved else 400)
