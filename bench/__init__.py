"""Benchmark: this bot against Rasa's default configuration (`make bench`)."""
