"""Analysis: trees to facts. The Python index, name and value resolution, training steps, wrappers,
framework sites, configs translated into what they describe, the fact builder, and the sites where a
fix would go (found here, where the trees are; applied by :mod:`rnnlint.fix`)."""
