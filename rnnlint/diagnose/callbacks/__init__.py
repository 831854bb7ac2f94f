"""Live callbacks: the same findings during training, and optional actions.

``rnnlint.diagnose.callbacks.torch`` (a monitor called after ``backward()`` and per epoch),
``.keras`` (a ``keras.callbacks.Callback``) and ``.lightning`` (a Lightning ``Callback``).
Each module imports only its own framework; :mod:`.core` imports none.
"""
