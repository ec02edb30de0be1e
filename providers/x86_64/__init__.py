"""x86-64 provider: the psABI micro-architecture level (namespace ``x86_64``)."""
