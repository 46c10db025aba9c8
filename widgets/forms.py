from __future__ import annotations

from django import forms

from channels_app.models import Channel
from widgets.models import Widget
from widgets.origins import OriginError, origins_parse
from widgets.services import MAX_STARTERS


class WidgetCreateForm(forms.Form):
    channel = forms.ModelChoiceField(queryset=Channel.objects.none(), empty_label=None)
    name = forms.CharField(max_length=100, required=False, help_text="For you only, e.g. “Blog sidebar”.")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = Channel.objects.owned_by(user)


class WidgetForm(forms.ModelForm):
    starters_text = forms.CharField(
        label="Starter questions", required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=f"One per line, up to {MAX_STARTERS}.",
    )  # fmt: skip
    origins_text = forms.CharField(
        label="Allowed sites", required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One origin per line, like https://www.example.com (scheme, host and port; no path). "
        "The widget loads only on these sites; with none it loads nowhere.",
    )  # fmt: skip

    class Meta:
        model = Widget
        fields = ["name", "mode", "position", "colour", "greeting", "button_text", "open_on_load"]
        widgets = {"colour": forms.TextInput(attrs={"type": "color"}), "greeting": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, origins: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["starters_text"].initial = "\n".join(self.instance.starters or [])
        self.fields["origins_text"].initial = "\n".join(origins)

    def clean_origins_text(self) -> list[str]:
        try:
            return origins_parse(self.cleaned_data["origins_text"])
        except OriginError as error:
            raise forms.ValidationError(str(error)) from None

    def clean_starters_text(self) -> list[str]:
        lines = [line for line in self.cleaned_data["starters_text"].splitlines() if line.strip()]
        if len(lines) > MAX_STARTERS:
            raise forms.ValidationError(f"Up to {MAX_STARTERS} starter questions.")
        return lines
