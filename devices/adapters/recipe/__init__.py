"""The built-in `recipe` adapter: devices learned by the explorer, driven from their recipes."""
