"""Prompt modules of the agent package, each beside the schema its answer must fit."""
