"""The API's fixtures (one account and token per role, the `api` caller) for the broadcast tests that send through
the API."""

from tests.gateway.api.conftest import api, staff  # noqa: F401 - fixtures re-exported for this package
