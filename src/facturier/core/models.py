"""What the domain's models share."""

from django.core.exceptions import ValidationError
from django.db import models

from .validators import check_model_text


class CheckedText(models.Model):
    """full_clean() also refuses control characters in text (validators.check_model_text),
    so the actions, the forms built on the model and the admin refuse them alike."""

    class Meta:
        abstract = True

    def clean_fields(self, exclude=None):
        errors: dict = {}
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        try:
            check_model_text(self)
        except ValidationError as exc:
            for field, messages in exc.update_error_dict({}).items():
                if not exclude or field not in exclude:
                    errors.setdefault(field, []).extend(messages)
        try:
            self.check_fields(exclude=exclude)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def check_fields(self, exclude=None) -> None:
        """A model's own checks, reported with the others (e.g. a party's identifiers)."""
