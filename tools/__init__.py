"""The agent's tools: thin typed functions over memory and scoring."""
