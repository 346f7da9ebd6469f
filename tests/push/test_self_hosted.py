"""Self-hosted Web Push services: an ntfy server as UnifiedPush distributor or one's own
autopush is allowed by host through GATEWAY_PUSH_HOSTS, and only that host."""

from __future__ import annotations

import pytest

from gateway.core.settings import Settings
from gateway.push.allowlist import DEFAULT_HOSTS, service_of
from gateway.push.config import PushOptions
from gateway.push.endpoints import check_endpoint
from gateway.push.errors import EndpointRefused

NTFY = "https://ntfy.example.com/upAbCdEf123456?up=1"
AUTOPUSH = "https://push.corp.example.com/wpush/v2/gAAAAABk"


def _public(host: str, port: int) -> list[str]:
    return ["93.184.216.34"]


def test_an_operator_allows_a_self_hosted_push_service_by_host():
    settings = Settings.from_environ({"GATEWAY_PUSH_HOSTS": "ntfy.example.com,*.corp.example.com"})
    hosts = DEFAULT_HOSTS + PushOptions.from_settings(settings).hosts
    for url in (NTFY, AUTOPUSH):
        endpoint = check_endpoint(url, hosts, allow_insecure_local=False, resolve=_public)
        assert endpoint.origin == url[:url.index("/", 8)]
    assert service_of("ntfy.example.com") == "the push service at ntfy.example.com"


@pytest.mark.parametrize("url", [NTFY, AUTOPUSH])
def test_without_the_setting_a_self_hosted_service_is_refused(url):
    with pytest.raises(EndpointRefused):
        check_endpoint(url, DEFAULT_HOSTS, allow_insecure_local=False, resolve=_public)


def test_allowing_one_host_allows_no_look_alike():
    with pytest.raises(EndpointRefused):
        check_endpoint("https://evil-ntfy.example.com/up1", DEFAULT_HOSTS + ("ntfy.example.com",),
                       allow_insecure_local=False, resolve=_public)
