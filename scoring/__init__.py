"""Deal scoring: point-in-time features, the win model, dimensions, patterns and alert statistics."""
