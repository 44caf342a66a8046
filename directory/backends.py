from django.conf import settings
from django.contrib.auth.backends import BaseBackend
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.utils.crypto import constant_time_compare

from directory.demo import DEMO_PASSWORD

CACHE_ATTR = "_position_perm_cache"


class PositionPermissionBackend(BaseBackend):
    """Grants a user the permissions of every position their directory entry holds."""

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, CACHE_ATTR):
            rows = (
                Permission.objects.filter(positions__holdings__person__user=user_obj)
                .values_list("content_type__app_label", "codename")
                .distinct()
            )
            setattr(user_obj, CACHE_ATTR, {f"{app}.{codename}" for app, codename in rows})
        return getattr(user_obj, CACHE_ATTR)

    def has_module_perms(self, user_obj, app_label):
        return any(perm.startswith(f"{app_label}.") for perm in self.get_all_permissions(user_obj))


class DemoPasswordRefusedBackend:
    """Outside the embedded quick start (settings.DEMO_ACCOUNTS_ENABLED False: production),
    the published demo password signs nobody in, so demo accounts that exist in the database
    (created in a quick start whose database went on to serve, say) are refused at sign-in,
    whatever their user name. Raising PermissionDenied stops the other backends; the attempt
    counts as a failure for the login limits. Placed after django-axes' backend. Not a
    BaseBackend: without get_user() it is never the backend a session is bound to."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if (not settings.DEMO_ACCOUNTS_ENABLED and password is not None
                and constant_time_compare(password, DEMO_PASSWORD)):
            raise PermissionDenied
        return None
