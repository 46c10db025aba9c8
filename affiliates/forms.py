"""The payout request form: amount, currency, and where to send the money."""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms

from affiliates.models import PayoutDestination

IFSC = re.compile(r"^[A-Z]{4}0[A-Z0-9]{6}$")


class PayoutRequestForm(forms.Form):
    METHODS = [("bank", "Bank transfer (India, INR)"), ("paypal", "PayPal")]

    currency = forms.ChoiceField(choices=[])
    amount = forms.DecimalField(
        min_value=Decimal("0.01"), max_digits=12, decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}), help_text="In rupees or dollars, e.g. 500.00",
    )  # fmt: skip
    method = forms.ChoiceField(choices=METHODS, widget=forms.RadioSelect, initial="bank")
    # render_value stays off: a re-displayed form never echoes the account number.
    account_number = forms.CharField(
        required=False, max_length=18, widget=forms.PasswordInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
        help_text="9 to 18 digits.",
    )  # fmt: skip
    ifsc = forms.CharField(label="IFSC", required=False, max_length=11, help_text="e.g. HDFC0001234")
    holder_name = forms.CharField(label="Account holder name", required=False, max_length=120)
    paypal_email = forms.EmailField(label="PayPal email", required=False)

    def __init__(self, *args, currencies: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [(c, c) for c in currencies]

    def clean_account_number(self) -> str:
        value = re.sub(r"\s", "", self.cleaned_data["account_number"])
        if value and not re.fullmatch(r"\d{9,18}", value):
            raise forms.ValidationError("An account number is 9 to 18 digits.")
        return value

    def clean_ifsc(self) -> str:
        value = self.cleaned_data["ifsc"].strip().upper()
        if value and not IFSC.match(value):
            raise forms.ValidationError("An IFSC is 4 letters, a 0, then 6 letters or digits (e.g. HDFC0001234).")
        return value

    def clean(self) -> dict:
        data = super().clean()
        if data.get("method") == "bank":
            for name in ("account_number", "ifsc", "holder_name"):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, "Required for a bank transfer.")
        elif data.get("method") == "paypal" and not data.get("paypal_email") and "paypal_email" not in self.errors:
            self.add_error("paypal_email", "Required for a PayPal payout.")
        return data

    def destination(self) -> PayoutDestination:
        data = self.cleaned_data
        if data["method"] == "bank":
            return PayoutDestination(
                account_number=data["account_number"], ifsc=data["ifsc"], holder_name=data["holder_name"].strip()
            )
        return PayoutDestination(paypal_email=data["paypal_email"])

    def amount_minor(self) -> int:
        return int(self.cleaned_data["amount"] * 100)
