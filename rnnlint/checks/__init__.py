"""Rules: small pure functions over a unit's facts, registered by code.

A rule yields :class:`~rnnlint.checks.registry.Report` objects; the engine adds the rule's name and
severity from its doc, applies selection and suppressions, and de-duplicates findings in modules
shared by several units. The package itself stays light: the catalogue of rule docs
(:mod:`rnnlint.checks.catalogue`) is read without loading any rule; :mod:`rnnlint.checks.registry`
holds the registry and loads the rules.
"""
