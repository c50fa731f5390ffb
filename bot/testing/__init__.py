"""Helpers that the tests and the benchmark share: the in-process agent, a server
process, the REST client, the NLU test data. Nothing here is used by the bot itself."""
