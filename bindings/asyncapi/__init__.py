"""The AsyncAPI 3.0 description of the event topics, built from the declaration table and the event models.

`document.build` returns docs/asyncapi.json; `markdown.render` turns it into docs/events.md for people.
Both are rendered by `python -m bindings manifests` (bindings/manifests/contracts.py).
"""
