"""Nodes of the chat graph: guard the input, route to a tool, run it, answer."""
