"""The creator's widget pages: create a widget for a channel, set its sites and looks with a live
preview, copy the snippet, rotate the key, see analytics."""

from __future__ import annotations

from csp.constants import SELF
from csp.decorators import csp_update
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from widgets import selectors, services
from widgets.forms import WidgetCreateForm, WidgetForm
from widgets.looks import looks_resolve
from widgets.views.embed import frame_context, framed_by, own_origin


@login_required
@require_http_methods(["GET", "POST"])
def widget_list(request: HttpRequest) -> HttpResponse:
    form = WidgetCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        widget = services.widget_create(channel=form.cleaned_data["channel"], name=form.cleaned_data["name"])
        messages.success(request, "Widget created. Add the sites it may load on, then copy the snippet.")
        return redirect("widgets:detail", pk=widget.pk)
    widgets = selectors.widget_list_for_owner(user=request.user)
    return render(request, "widgets/widget_list.html", {"widgets": widgets, "form": form})


@login_required
@csp_update({"frame-src": [SELF]})  # the live preview is our own page in an iframe
@require_http_methods(["GET", "POST"])
def widget_detail(request: HttpRequest, pk: int) -> HttpResponse:
    widget = selectors.widget_get_for_owner(user=request.user, pk=pk)
    origins = selectors.widget_origin_list(widget=widget)
    form = WidgetForm(request.POST or None, instance=widget, origins=origins)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.widget_update(
            widget=widget, name=data["name"], mode=data["mode"], position=data["position"], colour=data["colour"],
            greeting=data["greeting"], starters=data["starters_text"], button_text=data["button_text"],
            open_on_load=data["open_on_load"], origins=data["origins_text"],
        )  # fmt: skip
        messages.success(request, "Widget saved.")
        return redirect("widgets:detail", pk=widget.pk)
    site = request.build_absolute_uri("/").rstrip("/")
    snippet = f'<script src="{site}/embed.js" data-widget="{widget.public_key}" async></script>'
    return render(request, "widgets/widget_detail.html", {
        "widget": widget, "form": form, "origins": origins, "snippet": snippet,
        "secret": selectors.widget_secret(widget=widget),
    })  # fmt: skip


@login_required
@require_POST
def widget_rotate_key(request: HttpRequest, pk: int) -> HttpResponse:
    widget = selectors.widget_get_for_owner(user=request.user, pk=pk)
    services.widget_rotate_key(widget=widget)
    messages.success(request, "New key made. The old key stopped working: update the snippet on your sites.")
    return redirect("widgets:detail", pk=widget.pk)


@login_required
@require_POST
def widget_regenerate_secret(request: HttpRequest, pk: int) -> HttpResponse:
    widget = selectors.widget_get_for_owner(user=request.user, pk=pk)
    services.widget_regenerate_secret(widget=widget)
    messages.success(request, "New secret made. Visitor tokens signed with the old one are refused from now on.")
    return redirect("widgets:detail", pk=widget.pk)


@login_required
@require_POST
def widget_delete(request: HttpRequest, pk: int) -> HttpResponse:
    widget = selectors.widget_get_for_owner(user=request.user, pk=pk)
    services.widget_delete(widget=widget)
    messages.success(request, "Widget deleted.")
    return redirect("widgets:list")


@login_required
@require_GET
def widget_analytics(request: HttpRequest, pk: int) -> HttpResponse:
    widget = selectors.widget_get_for_owner(user=request.user, pk=pk)
    start, end, days = selectors.period_from(request.GET.get("days"))
    analytics = selectors.widget_analytics(widget=widget, start=start, end=end)
    chart = {"days": [day.isoformat() for day in analytics.days], "series": analytics.series}
    return render(request, "widgets/widget_analytics.html", {
        "widget": widget, "analytics": analytics, "chart": chart, "days": days, "start": start, "end": end,
        "periods": [7, 30, 90],
        "top_questions": selectors.widget_top_questions(widget=widget, start=start, end=end),
        "unanswered": selectors.widget_unanswered_questions(widget=widget, start=start, end=end),
    })  # fmt: skip


@login_required
@xframe_options_sameorigin
@require_GET
def widget_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The widget's frame as the creator's dashboard shows it beside the form: asking is off, and
    the form's edits are shown live through postMessage (widgets/widget.js, preview mode)."""
    widget = selectors.widget_get_for_owner(user=request.user, pk=pk)
    looks = looks_resolve(widget=widget, overrides={"mode": "inline"})
    context = frame_context(request, widget=widget, looks=looks, token="", host_origin=own_origin(request), preview=True)
    return framed_by(request, render(request, "widgets/frame.html", context), [SELF])
