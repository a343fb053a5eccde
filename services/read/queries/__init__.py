"""The answers the JSON API and the web pages both show, read through a `ProjectionsAt` from
the statements of each read model (projections/) and built into pydantic models."""
