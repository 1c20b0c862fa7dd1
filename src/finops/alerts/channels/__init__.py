"""Alert channels: one module per destination kind, all behind `registry.send()`."""
