"""Settings: config files found and read (``files``), rule selection (``selection``), the pydantic model
(``model``) and rnnlint's training-recipe schema (``recipe``). Stays import-light: a warm run never builds
the pydantic model."""
