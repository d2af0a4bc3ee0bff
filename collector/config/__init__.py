"""The configuration: one YAML file validated by frozen pydantic models.

``base`` (frozen models, secret references, identifiers), ``sections`` (one model per
section), ``checks`` (what no one field can say), ``model`` (the whole :class:`Config`),
``load`` (:func:`load_config`: errors name the file and the field path).
"""
