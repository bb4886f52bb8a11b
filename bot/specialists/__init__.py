"""Specialists: the catalogue, prompt versions, settings, and which one answers where."""

from bot.specialists.service import SpecialistError, SpecialistService

__all__ = ["SpecialistError", "SpecialistService"]
