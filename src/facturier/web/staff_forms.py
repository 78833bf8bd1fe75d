"""The forms of Settings → Staff and of accepting an invitation."""

from django import forms
from django.utils.translation import gettext_lazy as _

from facturier.access.staff import RIGHTS


def rights_field() -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=_("rights"),
        required=False,
        choices=list(RIGHTS.items()),
        widget=forms.CheckboxSelectMultiple,
    )


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("e-mail"), max_length=254)
    rights = rights_field()


class MemberForm(forms.Form):
    rights = rights_field()
    clients = forms.TypedMultipleChoiceField(
        label=_("clients owned"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, clients=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clients"].choices = list(clients)


class AcceptForm(forms.Form):
    first_name = forms.CharField(label=_("first name"), max_length=150)
    last_name = forms.CharField(label=_("last name"), max_length=150)
    password1 = forms.CharField(
        label=_("password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data
