from django import forms
from django.utils.translation import gettext_lazy as _

from facturier.firms.actions import SETTINGS_FIELDS
from facturier.firms.models import Firm
from facturier.invoicing.models import InvoiceSequence, InvoiceTemplate


class TemplateForm(forms.ModelForm):
    logo_file = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_("PNG, JPEG or SVG, at most 512 KB."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/svg+xml"}),
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)

    class Meta:
        model = InvoiceTemplate
        fields = list(InvoiceTemplate.SETTINGS_FIELDS)
        widgets = {
            "accent_color": forms.TextInput(attrs={"type": "color"}),
            "header_text": forms.Textarea(attrs={"rows": 2}),
            "footer_text": forms.Textarea(attrs={"rows": 2}),
        }

    def clean_accent_color(self):
        value = self.cleaned_data["accent_color"]
        if (
            len(value) != 7
            or not value.startswith("#")
            or any(c not in "0123456789abcdefABCDEF" for c in value[1:])
        ):
            raise forms.ValidationError(_("Use a colour like #1f4e79."))
        return value.lower()

    def model_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def blocks(self):
        return [self[name] for name in InvoiceTemplate.BLOCK_FIELDS]


class FirmSettingsForm(forms.ModelForm):
    class Meta:
        model = Firm
        fields = list(SETTINGS_FIELDS)  # what the action accepts, in the page's order


class NumberingForm(forms.ModelForm):
    class Meta:
        model = InvoiceSequence
        fields = ["prefix", "padding_char", "padding_length", "next_number"]
