"""A refused specialist operation; ``str()`` is the Danish message shown to the user."""


class SpecialistError(Exception):
    pass
