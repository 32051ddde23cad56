"""`MAGNET_PUBLIC_URL`: where clients reach the platform, the start of every link."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.settings import Settings


class TestPublicUrl:
    def test_defaults_to_the_gateways_own_address(self) -> None:
        settings = Settings(host="10.0.0.5", gateway_port=8080)
        assert settings.public_base_url == "http://10.0.0.5:8080"
        assert Settings(host="::1").public_base_url == "http://[::1]:8000"

    def test_a_configured_address_is_used_without_its_trailing_slash(self) -> None:
        settings = Settings(public_url="https://magnet.example.org/platform/")
        assert settings.public_base_url == "https://magnet.example.org/platform"

    @pytest.mark.parametrize(
        "value",
        ["magnet.example.org", "ftp://magnet.example.org", "https://", "https://x.org/?a=1"],
    )
    def test_anything_but_an_absolute_http_address_is_refused(self, value: str) -> None:
        with pytest.raises(ValidationError, match="public_url"):
            Settings(public_url=value)
