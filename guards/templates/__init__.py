"""Guard prompt templates (package data): the Llama Guard 3 classification prompt."""
