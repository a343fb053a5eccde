"""The web app: server-rendered pages on the same routes, rules and read models."""
