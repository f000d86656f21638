from django.apps import AppConfig


class WebConfig(AppConfig):
    """The web pages (网页): sign-in, the role-aware home, inboxes and desks, over the services."""

    name = "circulation.web"
    label = "web"
    verbose_name = "网页"
