from django.core.validators import MaxLengthValidator
from django.db import models


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove a row of an append-only record."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model.__name__} rows cannot be updated")

    def delete(self):
        raise AppendOnlyError(f"{self.model.__name__} rows cannot be deleted")

    _raw_delete = delete


class AppendOnlyModel(models.Model):
    """Rows are written once: the ORM refuses to update or delete them."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} rows cannot be deleted")


def limited_text(verbose_name, max_length, **kwargs):
    """A TextField with a length limit that is enforced: Django passes a TextField's
    max_length to its form field only, so the model's validation (full_clean) gets the
    validator as well. The limits of every field are listed in the README."""
    return models.TextField(verbose_name, max_length=max_length,
                            validators=[MaxLengthValidator(max_length)], **kwargs)
