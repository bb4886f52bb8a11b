"""Specialists: the catalogue, prompt versions, settings, and which one answers where (persistence)."""

from bot.specialists.store import SpecialistStore

__all__ = ["SpecialistStore"]
