"""The project's own input channels, built on Rasa's (named in credentials.yml)."""
