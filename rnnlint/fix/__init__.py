"""Fix: apply the fixes that checks attach to findings. Text edits, the Python / notebook / YAML
appliers (bytes kept: BOM, CRLF, cell strings, YAML lines), atomic writes, and the ``--fix`` loop."""
