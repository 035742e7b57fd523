# The small world of the authorization tests: an organisation with members, a draft and a
# submitted application with certificates and evidence, a filed report with an attachment.
from tests.security.conftest import world  # noqa: F401
