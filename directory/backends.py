from django.contrib.auth.backends import BaseBackend
from django.contrib.auth.models import Permission

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
