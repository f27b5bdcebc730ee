"""Domain writes. Each service owns its transaction and writes its audit event."""
