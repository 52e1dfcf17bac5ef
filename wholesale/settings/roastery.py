"""The roastery as pages and emails show it, from its settings (each read when a template first asks)."""

from __future__ import annotations

from ..services import settings


class Roastery:
    @property
    def name(self) -> str:
        return settings.shown("ROASTERY_NAME")

    @property
    def address_lines(self) -> list[str]:
        return settings.shown("ROASTERY_ADDRESS").splitlines()

    @property
    def address(self) -> str:
        return ", ".join(self.address_lines)

    @property
    def email(self) -> str:
        return settings.shown("ROASTERY_EMAIL")

    @property
    def timezone(self) -> str:
        return settings.shown("ROASTERY_TIMEZONE")

    @property
    def logo(self) -> settings.LogoImage | None:
        return settings.shown_logo()
