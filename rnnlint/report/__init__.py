"""Report: the output formats (full, concise, json, sarif, github, junit, ...) and the progress bar."""
