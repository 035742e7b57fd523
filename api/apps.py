from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("API")

    def ready(self) -> None:
        # The schema's descriptions of the authentication classes (drf-spectacular extensions).
        from api import schema  # noqa: F401
        from api.authentication import bears_a_usable_token
        from api.services import tokens_erase
        from portal.request_limits import register_uploader
        from privacy.services import register_account_eraser

        # A middleware may read a multipart body before the API's views know the token's user:
        # the upload limit lets such a request's files through as a logged-in user's.
        register_uploader(bears_a_usable_token)
        # A deleted account's tokens are erased with it.
        register_account_eraser(tokens_erase)
