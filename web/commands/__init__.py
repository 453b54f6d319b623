"""The `flask --app web ...` commands, one module per subject."""
