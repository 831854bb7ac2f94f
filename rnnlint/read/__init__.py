"""Read: bytes to trees. Python source (``ast``, exact positions), notebooks' code cells, YAML nodes with
their marks (safe compose, bounded), and text positions shared by the readers and the fix appliers."""
