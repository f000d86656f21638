from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Sign-in protection and API tokens: no models of its own (django-axes and
    django-rest-knox keep the records), only backends, signal receivers and the lock-out page."""

    name = "circulation.accounts"
    label = "accounts"
    verbose_name = "登录与令牌 Sign-in and tokens"

    def ready(self) -> None:
        import circulation.accounts.signals  # noqa: F401 - connects the receivers
