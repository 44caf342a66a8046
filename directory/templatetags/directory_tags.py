from django import template

register = template.Library()


@register.filter
def display_name(user):
    """A user as colleagues know them: their directory entry's name, else the account's."""
    if user is None:
        return ""
    person = getattr(user, "person", None)
    if person is not None:
        return person.name
    return user.get_full_name() or user.get_username()
