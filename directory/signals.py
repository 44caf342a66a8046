"""Lockouts come from django-axes as a signal (not a model signal); they go on the
timeline so the office can see who is being locked out of what."""

from axes.signals import user_locked_out
from django.dispatch import receiver

from directory.services import login_locked_out


@receiver(user_locked_out)
def record_lockout(sender, request, username, ip_address, **kwargs):
    login_locked_out(username=username, ip_address=ip_address)
