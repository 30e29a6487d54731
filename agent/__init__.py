"""The language layer and the agent: LLM access, prompts, extraction, learning, the LangGraph graph."""
